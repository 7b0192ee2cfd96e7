import pytest

from services.tenants import domain
from services.tenants.service import TenantsService
from shared.errors import Conflict
from shared.services import ALL_SERVICES


@pytest.mark.parametrize("code", ["340700", "330502", "610582", "370705", "110101"])
def test_real_division_codes(code):
    assert domain.division_code_problem(code) is None


@pytest.mark.parametrize("code,problem", [
    ("34070", "6 digits"), ("34070a", "6 digits"), ("990101", "province"), ("340000", "province"),
])
def test_bad_division_codes(code, problem):
    assert problem in domain.division_code_problem(code)


def test_time_zones():
    assert domain.timezone_problem("Asia/Shanghai") is None
    assert domain.timezone_problem("Mars/Olympus") is not None


@pytest.mark.parametrize("current,action,expected", [
    ("provisioning", "activate", "active"), ("active", "suspend", "suspended"), ("suspended", "resume", "active"),
])
def test_allowed_transitions(current, action, expected):
    assert domain.next_status(current, action) == expected


@pytest.mark.parametrize("current,action", [
    ("active", "activate"), ("suspended", "suspend"), ("active", "resume"), ("provisioning", "suspend"),
])
def test_refused_transitions_name_the_current_state(current, action):
    with pytest.raises(Conflict) as error:
        domain.next_status(current, action)
    assert error.value.details == {"status": current}


def test_onboarding_completes_only_when_every_service_answered():
    assert not domain.onboarding_complete(["tenants", "venues"], ["tenants"])
    assert domain.onboarding_complete(["tenants", "venues"], ["venues", "tenants"])


def test_secrets_are_random_and_checked_by_hash():
    secret = domain.new_client_secret()
    assert secret.startswith("gjs_") and secret != domain.new_client_secret()
    stored = domain.hash_secret(secret)
    assert secret not in stored
    assert domain.secret_matches(secret, stored)
    assert not domain.secret_matches(secret + "x", stored)


def test_tenants_listens_to_every_service_of_the_saga():
    for service in ALL_SERVICES:
        assert hasattr(TenantsService, f"on_{service}_provisioned"), service
        assert hasattr(TenantsService, f"on_{service}_provisioning_failed"), service
