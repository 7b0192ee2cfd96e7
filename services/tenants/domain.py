"""Rules of the tenant registry, as plain functions."""

import hashlib
import hmac
import re
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.caller import Grant, path_within
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


# -- people ---------------------------------------------------------------------------------

PERSON_ACTIVE, PERSON_DEACTIVATED, PERSON_ERASED = "active", "deactivated", "erased"

# action → (states it may start from, state it leads to)
PERSON_TRANSITIONS = {
    "deactivate": ({PERSON_ACTIVE}, PERSON_DEACTIVATED),
    "reactivate": ({PERSON_DEACTIVATED}, PERSON_ACTIVE),
    "erase": ({PERSON_ACTIVE, PERSON_DEACTIVATED, PERSON_ERASED}, PERSON_ERASED),
}

# How far a role reaches, for "never grant a role above your own" (站内层级).
ROLE_RANK = {
    "tenant_admin": 100,  # 组织部
    "street_secretary": 80,  # 街道书记
    "community_secretary": 60,  # 社区书记
    "grid_worker": 40,  # 网格员
    "unit_liaison": 20,  # 单位联络员
    "party_member": 20,  # 党员
    "volunteer": 20,  # 志愿者
    "social_org": 20,  # 社会组织
    "resident": 10,  # 居民
}
GRANTORS = ("street_secretary", "community_secretary")  # may grant inside their subtree
STAFF = GRANTORS + ("grid_worker",)  # may register and look up people inside their subtree
BASE_ROLE = "resident"  # every active person holds it, tenant-wide
# Roles an app acting for a person (a `delegate` client) may never put into a token.
NEVER_DELEGATED = frozenset({"tenant_admin", "platform_operator", "system"})


def next_person_status(current, action):
    sources, target = PERSON_TRANSITIONS[action]
    if current not in sources:
        raise Conflict(f"cannot {action} a person who is {current}", {"status": current})
    return target


def grant_problem(caller, role, scope, unit_id):
    """Why ``caller`` may not grant (or revoke) ``role`` at ``scope``/``unit_id``, or None.

    Tenant admins grant anything. A street or community secretary grants only inside their own
    subtree (never tenant-wide) and never a role above their own; unit-bound grants need an admin
    because the unit's place in the territory is not known here."""
    if caller.is_admin:
        return None
    if unit_id is not None:
        return "only tenant administrators grant unit-bound roles"
    if role not in ROLE_RANK:
        return f"unknown role {role}"
    for grant in caller.grants:
        if grant.role not in GRANTORS or grant.unit_id is not None:
            continue
        if ROLE_RANK[grant.role] < ROLE_RANK[role]:
            continue
        if grant.scope is None or (scope is not None and path_within(scope, grant.scope)):
            return None
    if not any(grant.role in GRANTORS for grant in caller.grants):
        return "only tenant administrators and street or community secretaries grant roles"
    return "a role above your own or outside your subtree"


def person_grants(role_rows, delegated):
    """The grants a person's token carries: their active grants plus the tenant-wide base role;
    an app acting for the person (``delegated``) never passes on administrator roles."""
    grants = []
    for row in role_rows:
        if delegated and row.role in NEVER_DELEGATED:
            continue
        grant = Grant(row.role, row.scope, str(row.unit_id) if row.unit_id else None)
        if grant not in grants:
            grants.append(grant)
    if Grant(BASE_ROLE) not in grants:
        grants.append(Grant(BASE_ROLE))
    return grants
