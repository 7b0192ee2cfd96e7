"""Unified social credit codes (GB 32100-2015): charset, length and the mod-31 check digit."""

import random

import pytest

from services.organizations.domain import (
    USCC_CHARSET,
    credit_code_problem,
    normalize_credit_code,
    uscc_check_digit,
)

# Published codes of real organisations.
REAL = ["91350100M000100Y43", "91110000100017643K", "91440300708461136T"]


def make(body):
    return body + uscc_check_digit(body)


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code):
    assert credit_code_problem(code) is None


def test_check_digit_by_hand():
    # sum of value × weight over "91350100M000100Y4" = 1640; 1640 mod 31 = 28; 31 - 28 = 3 → "3"
    body = "91350100M000100Y4"
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(
        body, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), strict=True))
    assert total == 1640 and 31 - total % 31 == USCC_CHARSET.index("3")
    assert uscc_check_digit(body) == "3"


def test_remainder_zero_gives_check_digit_zero():
    rng = random.Random(7)
    while True:
        body = "".join(rng.choice(USCC_CHARSET) for _ in range(17))
        if uscc_check_digit(body) == "0":
            break
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(
        body, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), strict=True))
    assert total % 31 == 0  # 31 - 0 = 31 → "0"
    assert credit_code_problem(body + "0") is None


def test_random_computed_codes_are_valid_and_every_other_check_digit_is_not():
    rng = random.Random(2026)
    for _ in range(200):
        code = make("".join(rng.choice(USCC_CHARSET) for _ in range(17)))
        assert credit_code_problem(code) is None
        wrong = next(c for c in USCC_CHARSET if c != code[17])
        assert "check digit" in credit_code_problem(code[:17] + wrong)


@pytest.mark.parametrize("code, problem", [
    ("91350100M000100Y4", "must be 18 characters, not 17"),
    ("91350100M000100Y433", "must be 18 characters, not 19"),
    ("", "must be 18 characters, not 0"),
    ("91350100I000100Y43", "character 'I' at position 9"),
    ("91350100O000100Y43", "character 'O' at position 9"),
    ("9135010SM000100Y43", "character 'S' at position 8"),
    ("91350100M000100Z43", "character 'Z' at position 16"),
    ("91350100m000100Y43", "character 'm' at position 9"),
    ("91350100M000100Y44", "check digit is '4' but should be '3'"),
])
def test_invalid_codes_say_why(code, problem):
    assert problem in credit_code_problem(code)


def test_a_single_changed_character_is_caught():
    code = REAL[0]
    for position in range(17):
        for char in USCC_CHARSET:
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1:]
            assert credit_code_problem(changed) is not None, changed


def test_normalisation():
    assert normalize_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert credit_code_problem(12345) == "must be a string"
