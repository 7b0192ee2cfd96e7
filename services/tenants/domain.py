"""Rules of the tenant registry, as plain functions."""

import hashlib
import hmac
import re
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import Conflict
from shared.tenancy import ACTIVE, PROVISIONING, SUSPENDED

# First two digits of a GB/T 2260 administrative division code: the province-level unit.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82".split()
)
DIVISION_CODE = re.compile(r"^\d{6}$")

# action → (states it may start from, state it leads to)
TRANSITIONS = {
    "activate": ({PROVISIONING}, ACTIVE),
    "suspend": ({ACTIVE}, SUSPENDED),
    "resume": ({SUSPENDED}, ACTIVE),
}

PROVISION_PENDING = "pending"
PROVISION_DONE = "provisioned"
PROVISION_FAILED = "failed"

CLIENT_SECRET_PREFIX = "gjs_"
DEFAULT_TOKEN_TTL = 900
MAX_TOKEN_TTL = 3600


def division_code_problem(code):
    """Why ``code`` is not a county/city-level GB/T 2260 code, or None."""
    if not DIVISION_CODE.match(code):
        return "must be 6 digits"
    if code[:2] not in PROVINCE_PREFIXES:
        return f"unknown province prefix {code[:2]}"
    if code[2:] == "0000":
        return "is a province; tenants are cities or districts"
    return None


def timezone_problem(name):
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "unknown IANA time zone"
    return None


def next_status(current, action):
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise Conflict(f"cannot {action} a tenant that is {current}", {"status": current})
    return target


def onboarding_complete(expected_services, provisioned_services):
    return set(expected_services) <= set(provisioned_services)


def new_client_secret():
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret):
    # Secrets are 256 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret, stored_hash):
    return hmac.compare_digest(hash_secret(secret), stored_hash)
