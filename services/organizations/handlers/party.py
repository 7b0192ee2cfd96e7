"""Party organisations attached to territory nodes and their seats, including part-time
committee members (兼职委员) seated from resident units."""

from sqlalchemy import select

from services.organizations import access, domain, schemas
from services.organizations.handlers.common import as_uuid, keyset, load, now, paged, today, within
from services.organizations.handlers.territory import active_node, get_node_row
from services.organizations.handlers.units import active_unit
from services.organizations.models import Node, PartyOrg, ReportIn, Seat, Unit
from shared.errors import Conflict, ValidationError

PARTY_ORG = schemas.PartyOrg()
PARTY_ORG_EVENT = schemas.PartyOrgEvent()
SEAT_EVENT = schemas.SeatEvent()

ORG = domain.StateMachine("party organisation", {
    "update": ({"active"}, None),
    "dissolve": ({"active"}, "dissolved"),
    "seat members of": ({"active"}, None),
    "attach to": ({"active"}, None),
})


def get_org_row(session, org_id, lock=None, field="party_org_id"):
    return load(session, PartyOrg, org_id, "party_org", lock=lock, field=field)


def org_view(session, org, node=None, seats=None):
    node = node or get_node_row(session, org.node_id)
    data = {c: getattr(org, c) for c in ("id", "kind", "name", "node_id", "parent_id", "branch_type",
                                        "unit_id", "big_committee", "founded_on", "status",
                                        "dissolved_at", "created_at")}
    data.update(node_name=node.name, node_path=node.path)
    if seats is not None:
        data["seats"] = seats
    return PARTY_ORG.dump(data)


def org_event(org, node):
    return PARTY_ORG_EVENT.dump({"party_org_id": org.id, "kind": org.kind, "name": org.name,
                                 "node_id": org.node_id, "node_path": node.path,
                                 "parent_id": org.parent_id, "branch_type": org.branch_type,
                                 "unit_id": org.unit_id, "status": org.status})


def active_seats(session, org_id):
    rows = session.execute(
        select(Seat, Unit.name).outerjoin(Unit, Unit.id == Seat.unit_id)
        .where(Seat.org_id == org_id, Seat.ended_on.is_(None))
        .order_by(Seat.role, Seat.person_name)
    ).all()
    return [{**{c: getattr(seat, c) for c in ("id", "person_name", "role", "unit_id", "title",
                                              "started_on", "ended_on")}, "unit_name": unit_name}
            for seat, unit_name in rows]


def create_party_org(scope, data):
    session = scope.session
    node = active_node(session, data["node_id"], "attach to", lock="share")
    access.require_manager(scope.caller, node.path)
    parent = None
    if data["parent_id"] is not None:
        parent = get_org_row(session, data["parent_id"], lock="share", field="parent_id")
        ORG.next(parent.status, "attach to")
    problem = domain.party_org_problem(data["kind"], node.kind, parent.kind if parent else None,
                                       data["branch_type"], data["unit_id"])
    if problem:
        raise ValidationError("invalid party organisation", {problem[0]: [problem[1]]})
    if parent is not None:
        parent_node = get_node_row(session, parent.node_id)
        if not (node.path == parent_node.path or node.path.startswith(parent_node.path + ".")):
            raise ValidationError("invalid parent", {"parent_id": [
                "the parent organisation must sit at this node or above it"]})
    if data["unit_id"] is not None:
        active_unit(session, data["unit_id"])
    if data["big_committee"] and data["kind"] not in ("working_committee", "community_committee"):
        raise ValidationError("invalid party organisation", {"big_committee": [
            "only working committees and community committees are 'big' (大工委/大党委)"]})
    org = PartyOrg(kind=data["kind"], name=data["name"], node_id=node.id, node_kind=node.kind,
                   parent_id=parent.id if parent else None, parent_kind=parent.kind if parent else None,
                   branch_type=data["branch_type"], unit_id=data["unit_id"],
                   big_committee=data["big_committee"], founded_on=data["founded_on"])
    session.add(org)
    session.flush()
    scope.emit("party_org_created", org_event(org, node))
    return org_view(session, org, node, seats=[])


def get_party_org(scope, org_id):
    session = scope.session
    org = get_org_row(session, org_id)
    return org_view(session, org, seats=active_seats(session, org.id))


def list_party_orgs(scope, data):
    session = scope.session
    statement = select(PartyOrg, Node).join(Node, Node.id == PartyOrg.node_id)
    if data["node_id"]:
        statement = statement.where(PartyOrg.node_id == as_uuid(data["node_id"], "node_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    if data["parent_id"]:
        statement = statement.where(PartyOrg.parent_id == as_uuid(data["parent_id"], "parent_id"))
    if data["kind"]:
        statement = statement.where(PartyOrg.kind == data["kind"])
    if not data["include_dissolved"]:
        statement = statement.where(PartyOrg.dissolved_at.is_(None))
    rows = session.execute(keyset(statement, data, [PartyOrg.name, PartyOrg.id])).all()
    return paged(rows, data, lambda r: [r[0].name, str(r[0].id)], lambda r: org_view(session, r[0], r[1]))


def update_party_org(scope, data):
    session = scope.session
    org = get_org_row(session, data["party_org_id"], lock="update")
    ORG.next(org.status, "update")
    node = get_node_row(session, org.node_id)
    access.require_manager(scope.caller, node.path)
    if data.get("big_committee") and org.kind not in ("working_committee", "community_committee"):
        raise ValidationError("invalid party organisation", {"big_committee": [
            "only working committees and community committees are 'big' (大工委/大党委)"]})
    for field in ("name", "big_committee", "founded_on"):
        if field in data:
            setattr(org, field, data[field])
    session.flush()
    scope.emit("party_org_updated", org_event(org, node))
    return org_view(session, org, node, seats=active_seats(session, org.id))


def dissolve_party_org(scope, data):
    session = scope.session
    org = get_org_row(session, data["party_org_id"], lock="update")
    node = get_node_row(session, org.node_id)
    access.require_manager(scope.caller, node.path)
    ORG.next(org.status, "dissolve")
    children = session.execute(
        select(PartyOrg.id).where(PartyOrg.parent_id == org.id, PartyOrg.dissolved_at.is_(None))
    ).first()
    if children:
        raise Conflict("cannot dissolve a party organisation that has active sub-organisations",
                       {"status": org.status})
    org.dissolved_at = now()
    for seat in session.execute(select(Seat).where(Seat.org_id == org.id, Seat.ended_on.is_(None))).scalars():
        seat.ended_on = max(today(scope), seat.started_on)
    session.flush()
    scope.emit("party_org_dissolved", org_event(org, node))
    return org_view(session, org, node, seats=[])


def _unit_connected_to(session, unit_id, node):
    """A part-time member's unit has reported in to a community at or below / above this node."""
    rows = session.execute(
        select(Node.path).join(ReportIn, ReportIn.community_id == Node.id)
        .where(ReportIn.unit_id == unit_id, ReportIn.status == domain.CONFIRMED)
    ).scalars().all()
    return any(p == node.path or p.startswith(node.path + ".") or node.path.startswith(p + ".")
               for p in rows)


def seat_member(scope, data):
    session = scope.session
    org = get_org_row(session, data["party_org_id"], lock="update")
    ORG.next(org.status, "seat members of")
    node = get_node_row(session, org.node_id)
    access.require_manager(scope.caller, node.path)
    problem = domain.seat_problem(org.kind, data["role"], data["unit_id"])
    if problem:
        raise ValidationError("invalid seat", {problem[0]: [problem[1]]})
    if data["unit_id"] is not None:
        unit = active_unit(session, data["unit_id"])
        if data["role"] == "part_time_member" and not _unit_connected_to(session, unit.id, node):
            raise Conflict("a part-time member's unit must have reported in to this area",
                           {"unit_id": str(unit.id)})
    if data["role"] == "secretary":
        current = session.execute(
            select(Seat.person_name).where(Seat.org_id == org.id, Seat.role == "secretary",
                                           Seat.ended_on.is_(None))).scalar()
        if current is not None:
            raise Conflict("the organisation has a secretary; unseat them first",
                           {"secretary": current})
    seat = Seat(org_id=org.id, person_name=data["person_name"], role=data["role"],
                unit_id=data["unit_id"], title=data["title"],
                started_on=data["started_on"] or today(scope))
    session.add(seat)
    session.flush()
    scope.emit("party_org_member_seated", SEAT_EVENT.dump({
        "party_org_id": org.id, "seat_id": seat.id, "role": seat.role, "person_name": seat.person_name,
        "unit_id": seat.unit_id, "node_path": node.path}))
    return org_view(session, org, node, seats=active_seats(session, org.id))


def unseat_member(scope, data):
    session = scope.session
    seat = load(session, Seat, data["seat_id"], "seat", lock="update")
    org = get_org_row(session, seat.org_id)
    node = get_node_row(session, org.node_id)
    access.require_manager(scope.caller, node.path)
    if seat.ended_on is not None:
        raise Conflict("cannot unseat a member whose seat has ended", {"status": "ended"})
    ended_on = data["ended_on"] or today(scope)
    if ended_on < seat.started_on:
        raise ValidationError("invalid date", {"ended_on": ["before the seat started"]})
    seat.ended_on = ended_on
    session.flush()
    scope.emit("party_org_member_unseated", SEAT_EVENT.dump({
        "party_org_id": org.id, "seat_id": seat.id, "role": seat.role, "person_name": seat.person_name,
        "unit_id": seat.unit_id, "node_path": node.path}))
    return org_view(session, org, node, seats=active_seats(session, org.id))

