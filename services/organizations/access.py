"""Who may do what in the organizations service. The checks always run against the object being
touched (its territory path or its resident unit), never only against a role name; tenant
admins (and the tenant's system identity) pass every check."""

from shared.caller import TENANT_ADMIN, path_within
from shared.errors import Forbidden

STREET_SECRETARY = "street_secretary"
COMMUNITY_SECRETARY = "community_secretary"
GRID_WORKER = "grid_worker"
UNIT_LIAISON = "unit_liaison"
RESIDENT = "resident"

MANAGERS = (STREET_SECRETARY, COMMUNITY_SECRETARY)  # run the territory below their scope
STAFF = MANAGERS + (GRID_WORKER,)
# Roles whose holders are tenant staff and see non-public fields (inside their scope).
STAFF_ROLES = frozenset(STAFF) | {TENANT_ADMIN}


def require_admin(caller):
    return caller.require_admin()


def require_manager(caller, path):
    """Street/community secretaries inside their subtree; admins anywhere."""
    return caller.require(MANAGERS, path=path)


def require_staff(caller, path):
    return caller.require(STAFF, path=path)


def is_staff(caller):
    return caller.is_admin or bool(caller.roles & STAFF_ROLES)


def can_manage(caller, path):
    return caller.can(MANAGERS, path=path)


def acts_for_unit(caller, unit_id):
    """A unit liaison acts only for the unit named in their grant."""
    return caller.can((UNIT_LIAISON,), unit_id=str(unit_id))


def require_unit(caller, unit_id):
    if not acts_for_unit(caller, unit_id):
        raise Forbidden("only this unit's liaison may do this", {"unit_id": str(unit_id)})
    return caller


def liaison_units(caller):
    """Unit ids this caller is liaison for (empty for everybody else)."""
    return {grant.unit_id for grant in caller.grants if grant.role == UNIT_LIAISON and grant.unit_id}


def scope_paths(caller, roles):
    """Territory paths the caller acts in with ``roles``: None = everywhere, [] = nowhere."""
    return caller.scopes(roles)


def resident_of(caller, path):
    """A resident whose home (grant scope) lies inside ``path`` or on the way to it; a resident
    grant without a scope counts everywhere."""
    for grant in caller.grants:
        if grant.role != RESIDENT:
            continue
        if grant.scope is None or path_within(grant.scope, path) or path_within(path, grant.scope):
            return True
    return False
