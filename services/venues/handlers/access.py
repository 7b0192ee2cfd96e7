"""Who may do what in the venues service. Checks always run against the object touched: the
territory path of the node a venue serves, the resident unit that lends it, the booking's booker.
Tenant admins (and the tenant's system identity) pass every check.

* managers — street and community secretaries inside their subtree, and the liaison of the unit
  that lends a shared space — run venues, rooms, approvals and check-ins;
* grid workers inside their subtree check people in (duty at the centre);
* star ratings are given by the level above: tenant admins and street secretaries, never by the
  community that runs the venue;
* emergency mode: tenant admins and street/community secretaries inside their subtree;
* bookers are whoever a room's rules allow (see ``booking_role``).
"""

from sqlalchemy import select

from services.venues.handlers.replica import community_path, unit_in_community
from services.venues.models import Node
from shared.caller import path_within
from shared.errors import Forbidden

STREET_SECRETARY = "street_secretary"
COMMUNITY_SECRETARY = "community_secretary"
GRID_WORKER = "grid_worker"
UNIT_LIAISON = "unit_liaison"
MANAGERS = (STREET_SECRETARY, COMMUNITY_SECRETARY)
OPERATORS = MANAGERS + (GRID_WORKER,)
RATERS = (STREET_SECRETARY,)


def node_path(session, node_id):
    return session.execute(select(Node.path).where(Node.id == node_id)).scalar()


def lends(caller, venue):
    return venue.lender_unit_id is not None and caller.can((UNIT_LIAISON,), unit_id=str(venue.lender_unit_id))


def can_manage(caller, venue, path):
    return caller.can(MANAGERS, path=path) or lends(caller, venue)


def require_manage(caller, venue, path):
    if not can_manage(caller, venue, path):
        raise Forbidden("only the venue's managers may do this", {"venue_id": str(venue.id)})
    return caller


def can_operate(caller, venue, path):
    return can_manage(caller, venue, path) or caller.can((GRID_WORKER,), path=path)


def require_place(caller, path, lender_unit_id=None):
    """Create a venue at ``path``: managers of that subtree, or the lending unit's liaison."""
    if caller.can(MANAGERS, path=path):
        return caller
    if lender_unit_id is not None and caller.can((UNIT_LIAISON,), unit_id=str(lender_unit_id)):
        return caller
    raise Forbidden("only the managers of this territory may place venues here", {"path": path})


def require_rater(caller, path):
    if not caller.can(RATERS, path=path):
        raise Forbidden("star ratings are given by tenant admins and street secretaries",
                        {"roles": sorted(caller.roles)})
    return caller


def require_emergency(caller, path):
    if not caller.can(MANAGERS, path=path):
        raise Forbidden("only the territory's secretaries may switch to emergency duty", {"path": path})
    return caller


def acts_for_unit(caller, unit_id):
    return unit_id is not None and caller.can((UNIT_LIAISON,), unit_id=str(unit_id))


def is_party(caller, booking):
    """The booker themself, or a liaison of the unit the booking was made for."""
    return caller.subject == booking.booker or acts_for_unit(caller, booking.unit_id)


def booking_role(session, caller, rules, venue_path, unit_id=None):
    """The role the caller books with under a room's rules, or Forbidden. With audience
    "community", a grant must reach the venue's community: a resident/member whose home (grant
    scope) lies in it, staff whose scope covers it, or a unit that reported in to it."""
    if caller.is_admin:
        return "tenant_admin"
    allowed = set(rules["bookable_by"])
    community = community_path(venue_path)
    local_only = rules["audience"] == "community"
    for grant in caller.grants:
        if grant.role not in allowed:
            continue
        if grant.role == UNIT_LIAISON:
            if unit_id is None or grant.unit_id != str(unit_id):
                continue
            if local_only and not unit_in_community(session, unit_id, venue_path):
                continue
            return grant.role
        if unit_id is not None:
            continue  # only a unit's liaison books for a unit
        if not local_only:
            return grant.role
        if grant.scope is not None and (path_within(grant.scope, community) or path_within(community, grant.scope)):
            return grant.role
    if unit_id is not None and not acts_for_unit(caller, unit_id):
        raise Forbidden("only the unit's liaison books for it", {"unit_id": str(unit_id)})
    who = ", ".join(rules["bookable_by"])
    where = " of the venue's community" if local_only else ""
    raise Forbidden(f"this room is booked by {who}{where}", {"bookable_by": rules["bookable_by"],
                                                              "audience": rules["audience"]})

