"""Regional party-building alliances (members, council seats, liaisons, activity days) and
pairings of city-level party organisations with communities."""

from sqlalchemy import func, select, union

from services.organizations import access, domain, schemas
from services.organizations.handlers.common import as_uuid, keyset, load, paged, today, within
from services.organizations.handlers.territory import get_node_row
from services.organizations.handlers.units import active_unit, community_node, confirmed_in
from services.organizations.models import (
    ActivityDay,
    Alliance,
    AllianceMember,
    Node,
    Pairing,
    ReportIn,
    Unit,
)
from shared.errors import Conflict, ValidationError

ALLIANCE = schemas.Alliance()
ALLIANCE_EVENT = schemas.AllianceEvent()
ACTIVITY_DAY = schemas.ActivityDay()
PAIRING = schemas.Pairing()
PAIRING_EVENT = schemas.PairingEvent()

PAIRING_MACHINE = domain.StateMachine("pairing", {"end": ({"active"}, "ended")})


def get_alliance_row(session, alliance_id, lock=None):
    alliance = load(session, Alliance, alliance_id, "alliance", lock=lock)
    if alliance.archived:
        raise Conflict("the alliance is archived", {"status": alliance.status})
    return alliance


def members(session, alliance_id, with_contacts):
    rows = session.execute(
        select(AllianceMember, Unit).join(Unit, Unit.id == AllianceMember.unit_id)
        .where(AllianceMember.alliance_id == alliance_id, AllianceMember.left_on.is_(None))
        .order_by(AllianceMember.council_role.is_(None), AllianceMember.council_role, Unit.name)
    ).all()
    found = []
    for member, unit in rows:
        item = {"unit_id": unit.id, "unit_name": unit.name, "unit_kind": unit.kind,
                "council_role": member.council_role, "joined_on": member.joined_on,
                "left_on": member.left_on, "liaison_name": member.liaison_name}
        if with_contacts:
            item["liaison_phone"] = member.liaison_phone
        found.append(item)
    return found


def alliance_view(scope, alliance, community=None, with_members=True):
    session = scope.session
    community = community or get_node_row(session, alliance.community_id)
    data = {c: getattr(alliance, c) for c in ("id", "community_id", "name", "founded_on",
                                             "activity_day", "status")}
    data.update(community_name=community.name, community_path=community.path)
    listed = members(session, alliance.id, access.is_staff(scope.caller))
    data["member_count"] = len(listed)
    if with_members:
        data["members"] = listed
    return ALLIANCE.dump(data)


def alliance_event(alliance, community, unit_id=None, council_role=None):
    return ALLIANCE_EVENT.dump({"alliance_id": alliance.id, "community_id": alliance.community_id,
                                "community_path": community.path, "name": alliance.name,
                                "unit_id": unit_id, "council_role": council_role})


def create_alliance(scope, data):
    session = scope.session
    community = community_node(session, data["community_id"], lock="share")
    access.require_manager(scope.caller, community.path)
    existing = session.execute(select(Alliance.id).where(
        Alliance.community_id == community.id, Alliance.archived_at.is_(None))).scalar()
    if existing is not None:
        raise Conflict("the community already has an alliance", {"alliance_id": str(existing)})
    alliance = Alliance(community_id=community.id, name=data["name"],
                        founded_on=data["founded_on"] or today(scope), activity_day=data["activity_day"])
    session.add(alliance)
    session.flush()
    scope.emit("alliance_created", alliance_event(alliance, community))
    return alliance_view(scope, alliance, community)


def get_alliance(scope, alliance_id):
    return alliance_view(scope, load(scope.session, Alliance, alliance_id, "alliance"))


def list_alliances(scope, data):
    session = scope.session
    statement = select(Alliance, Node).join(Node, Node.id == Alliance.community_id).where(
        Alliance.archived_at.is_(None))
    if data["community_id"]:
        statement = statement.where(Alliance.community_id == as_uuid(data["community_id"], "community_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    rows = session.execute(keyset(statement, data, [Alliance.name, Alliance.id])).all()
    return paged(rows, data, lambda r: [r[0].name, str(r[0].id)],
                 lambda r: alliance_view(scope, r[0], r[1], with_members=False))


def _membership(session, alliance_id, unit_id, lock=False):
    statement = select(AllianceMember).where(AllianceMember.alliance_id == alliance_id,
                                             AllianceMember.unit_id == as_uuid(unit_id, "unit_id"),
                                             AllianceMember.left_on.is_(None))
    if lock:
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


def _check_chair(session, alliance_id, council_role, unit_id):
    if council_role != "chair":
        return
    chair = session.execute(select(AllianceMember.unit_id).where(
        AllianceMember.alliance_id == alliance_id, AllianceMember.council_role == "chair")).scalar()
    if chair is not None and chair != unit_id:
        raise Conflict("the alliance council already has a chair", {"unit_id": str(chair)})


def add_alliance_member(scope, data):
    session = scope.session
    alliance = get_alliance_row(session, data["alliance_id"], lock="update")
    community = get_node_row(session, alliance.community_id)
    access.require_manager(scope.caller, community.path)
    unit = active_unit(session, data["unit_id"])
    if not confirmed_in(session, unit.id, community.id):
        raise Conflict("only units that have reported in to the community can join its alliance",
                       {"unit_id": str(unit.id)})
    if _membership(session, alliance.id, unit.id) is not None:
        raise Conflict("the unit is already a member", {"unit_id": str(unit.id)})
    _check_chair(session, alliance.id, data["council_role"], unit.id)
    member = AllianceMember(alliance_id=alliance.id, unit_id=unit.id, council_role=data["council_role"],
                            liaison_name=data["liaison_name"], liaison_phone=data["liaison_phone"],
                            joined_on=data["joined_on"] or today(scope))
    session.add(member)
    session.flush()
    scope.emit("alliance_member_joined", alliance_event(alliance, community, unit.id, member.council_role))
    return alliance_view(scope, alliance, community)


def update_alliance_member(scope, data):
    session = scope.session
    alliance = get_alliance_row(session, data["alliance_id"], lock="update")
    community = get_node_row(session, alliance.community_id)
    access.require_manager(scope.caller, community.path)
    member = _membership(session, alliance.id, data["unit_id"], lock=True)
    if member is None:
        raise Conflict("the unit is not a member of this alliance", {"unit_id": str(data["unit_id"])})
    if "council_role" in data:
        _check_chair(session, alliance.id, data["council_role"], member.unit_id)
    for field in ("council_role", "liaison_name", "liaison_phone"):
        if field in data:
            setattr(member, field, data[field])
    session.flush()
    scope.emit("alliance_member_updated",
               alliance_event(alliance, community, member.unit_id, member.council_role))
    return alliance_view(scope, alliance, community)


def remove_alliance_member(scope, data):
    session = scope.session
    alliance = get_alliance_row(session, data["alliance_id"], lock="update")
    community = get_node_row(session, alliance.community_id)
    access.require_manager(scope.caller, community.path)
    member = _membership(session, alliance.id, data["unit_id"], lock=True)
    if member is None:
        raise Conflict("the unit is not a member of this alliance", {"unit_id": str(data["unit_id"])})
    left_on = data["left_on"] or today(scope)
    if left_on < member.joined_on:
        raise ValidationError("invalid date", {"left_on": ["before the unit joined"]})
    member.left_on, member.council_role = left_on, None
    session.flush()
    scope.emit("alliance_member_left", alliance_event(alliance, community, member.unit_id))
    return alliance_view(scope, alliance, community)


def record_activity_day(scope, data):
    session = scope.session
    alliance = get_alliance_row(session, data["alliance_id"])
    community = get_node_row(session, alliance.community_id)
    access.require_manager(scope.caller, community.path)
    if data["host_unit_id"] is not None and _membership(session, alliance.id, data["host_unit_id"]) is None:
        raise ValidationError("invalid host", {"host_unit_id": ["is not a member of this alliance"]})
    day = ActivityDay(alliance_id=alliance.id, held_on=data["held_on"], title=data["title"],
                      host_unit_id=data["host_unit_id"], description=data["description"],
                      participants=data["participants"])
    session.add(day)
    session.flush()
    return ACTIVITY_DAY.dump(day)


def list_activity_days(scope, data):
    session = scope.session
    alliance = load(session, Alliance, data["alliance_id"], "alliance")
    statement = select(ActivityDay).where(ActivityDay.alliance_id == alliance.id)
    rows = session.execute(keyset(statement, data, [ActivityDay.held_on, ActivityDay.id])).scalars().all()
    return paged(rows, data, lambda d: [d.held_on.isoformat(), str(d.id)], ACTIVITY_DAY.dump)


# -- pairings -------------------------------------------------------------------------------


def pairing_view(pairing, unit, community):
    data = {c: getattr(pairing, c) for c in ("id", "unit_id", "community_id", "started_on", "ended_on",
                                             "note", "status")}
    data.update(unit_name=unit.name, community_name=community.name, community_path=community.path)
    return PAIRING.dump(data)


def pairing_event(pairing, community):
    return PAIRING_EVENT.dump({"pairing_id": pairing.id, "unit_id": pairing.unit_id,
                               "community_id": pairing.community_id, "community_path": community.path,
                               "status": pairing.status})


def create_pairing(scope, data):
    session = scope.session
    community = community_node(session, data["community_id"], lock="share")
    access.require_manager(scope.caller, community.path)
    unit = active_unit(session, data["unit_id"])
    existing = session.execute(select(Pairing.id).where(
        Pairing.unit_id == unit.id, Pairing.community_id == community.id, Pairing.ended_on.is_(None))).scalar()
    if existing is not None:
        raise Conflict("the unit is already paired with this community", {"pairing_id": str(existing)})
    pairing = Pairing(unit_id=unit.id, community_id=community.id,
                      started_on=data["started_on"] or today(scope), note=data["note"])
    session.add(pairing)
    session.flush()
    scope.emit("pairing_created", pairing_event(pairing, community))
    return pairing_view(pairing, unit, community)


def end_pairing(scope, data):
    session = scope.session
    pairing = load(session, Pairing, data["pairing_id"], "pairing", lock="update")
    community = get_node_row(session, pairing.community_id)
    access.require_manager(scope.caller, community.path)
    PAIRING_MACHINE.next(pairing.status, "end")
    ended_on = data["ended_on"] or today(scope)
    if ended_on < pairing.started_on:
        raise ValidationError("invalid date", {"ended_on": ["before the pairing started"]})
    pairing.ended_on = ended_on
    session.flush()
    scope.emit("pairing_ended", pairing_event(pairing, community))
    return pairing_view(pairing, session.get(Unit, pairing.unit_id), community)


def list_pairings(scope, data):
    session = scope.session
    statement = (select(Pairing, Unit, Node).join(Unit, Unit.id == Pairing.unit_id)
                 .join(Node, Node.id == Pairing.community_id))
    if data["community_id"]:
        statement = statement.where(Pairing.community_id == as_uuid(data["community_id"], "community_id"))
    if data["unit_id"]:
        statement = statement.where(Pairing.unit_id == as_uuid(data["unit_id"], "unit_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    if not data["include_ended"]:
        statement = statement.where(Pairing.ended_on.is_(None))
    rows = session.execute(keyset(statement, data, [Pairing.started_on, Pairing.id])).all()
    return paged(rows, data, lambda r: [r[0].started_on.isoformat(), str(r[0].id)],
                 lambda r: pairing_view(*r))


# -- who a community can summon -------------------------------------------------------------


def connected_units(session, community_id):
    """Units a community can summon: confirmed report-ins, active alliance members, active
    pairings."""
    reported = select(ReportIn.unit_id.label("unit_id")).where(
        ReportIn.community_id == community_id, ReportIn.status == domain.CONFIRMED)
    allied = (select(AllianceMember.unit_id.label("unit_id"))
              .join(Alliance, Alliance.id == AllianceMember.alliance_id)
              .where(Alliance.community_id == community_id, Alliance.archived_at.is_(None),
                     AllianceMember.left_on.is_(None)))
    paired = select(Pairing.unit_id.label("unit_id")).where(
        Pairing.community_id == community_id, Pairing.ended_on.is_(None))
    return set(session.execute(union(reported, allied, paired)).scalars().all())


def alliance_units(session, alliance_id):
    return session.execute(select(AllianceMember.unit_id).where(
        AllianceMember.alliance_id == alliance_id, AllianceMember.left_on.is_(None))).scalars().all()


def count_members(session, alliance_id):
    return session.execute(select(func.count()).where(
        AllianceMember.alliance_id == alliance_id, AllianceMember.left_on.is_(None))).scalar()
