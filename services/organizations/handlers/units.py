"""Resident units (驻区单位): registration by credit code, and report-ins (报到) to communities
that the community confirms."""

from sqlalchemy import and_, or_, select

from services.organizations import access, domain, schemas
from services.organizations.handlers.common import (
    as_uuid,
    emit,
    keyset,
    load,
    now,
    paged,
    within_any,
)
from services.organizations.handlers.territory import active_node, get_node_row
from services.organizations.models import Node, ReportIn, Unit
from shared.errors import Conflict, Forbidden, ValidationError

UNIT_EVENT = schemas.UnitEvent()
REPORT_EVENT = schemas.UnitReportEvent()
UNIT_FULL = schemas.Unit()
UNIT_PUBLIC = schemas.UnitPublic()
REPORT = schemas.ReportIn()


def get_unit_row(session, unit_id, lock=None, field="unit_id"):
    return load(session, Unit, unit_id, "unit", lock=lock, field=field)


def active_unit(session, unit_id, lock=None, field="unit_id"):
    unit = get_unit_row(session, unit_id, lock=lock, field=field)
    if unit.archived:
        raise Conflict("the unit is archived", {"status": unit.status, "unit_id": str(unit.id)})
    return unit


def community_node(session, community_id, action="attach to", lock=None, field="community_id"):
    node = active_node(session, community_id, action, lock=lock, field=field)
    if node.kind != domain.COMMUNITY:
        raise ValidationError("not a community", {field: [f"is a {node.kind}, not a community"]})
    return node


def require_unit_manager(caller):
    """Registering and editing units: admins and street/community secretaries."""
    if not (caller.is_admin or caller.roles & set(access.MANAGERS)):
        raise Forbidden("tenant admins and secretaries only", {"roles": sorted(caller.roles)})
    return caller


def sees_contacts(caller, unit_id):
    return access.is_staff(caller) or access.acts_for_unit(caller, unit_id)


def confirmed_communities(session, unit_ids):
    """unit id → [{community_id, name, path}] of its confirmed report-ins."""
    rows = session.execute(
        select(ReportIn.unit_id, Node.id, Node.name, Node.path)
        .join(Node, Node.id == ReportIn.community_id)
        .where(ReportIn.unit_id.in_(list(unit_ids)), ReportIn.status == domain.CONFIRMED)
        .order_by(Node.name)
    ).all()
    found = {unit_id: [] for unit_id in unit_ids}
    for row in rows:
        found[row.unit_id].append({"community_id": str(row.id), "name": row.name, "path": row.path})
    return found


def unit_view(scope, unit, communities=None):
    if communities is None:
        communities = confirmed_communities(scope.session, [unit.id])[unit.id]
    schema = UNIT_FULL if sees_contacts(scope.caller, unit.id) else UNIT_PUBLIC
    data = schema.dump(unit)
    data["communities"] = communities
    return data


def register_unit(scope, data):
    caller = require_unit_manager(scope.caller)
    session = scope.session
    existing = session.execute(select(Unit.id).where(Unit.credit_code == data["credit_code"])).scalar()
    if existing is not None:
        raise Conflict("a unit with this credit code is already registered",
                       {"credit_code": data["credit_code"], "unit_id": str(existing)})
    location = data.pop("location") or {}
    unit = Unit(**data, lat=location.get("lat"), lng=location.get("lng"), created_by=caller.subject)
    session.add(unit)
    session.flush()
    emit(scope, "unit_registered", UNIT_EVENT, unit)
    return unit_view(scope, unit, communities=[])


def get_unit(scope, unit_id):
    return unit_view(scope, get_unit_row(scope.session, unit_id))


def list_units(scope, data):
    session = scope.session
    statement = select(Unit).where(Unit.archived_at.is_(None))
    if data["text"]:
        pattern = "%" + data["text"].replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Unit.name.ilike(pattern), Unit.credit_code.ilike(pattern)))
    if data["kind"]:
        statement = statement.where(Unit.kind == data["kind"])
    if data["credit_code"]:
        statement = statement.where(Unit.credit_code == domain.normalize_credit_code(data["credit_code"]))
    if data["community_id"]:
        community = get_node_row(session, data["community_id"], field="community_id")
        statement = statement.where(Unit.id.in_(
            select(ReportIn.unit_id).where(ReportIn.community_id == community.id,
                                           ReportIn.status == domain.CONFIRMED)))
    rows = session.execute(keyset(statement, data, [Unit.name, Unit.id])).scalars().all()
    communities = confirmed_communities(session, [u.id for u in rows[: data["limit"]]])
    return paged(rows, data, lambda u: [u.name, str(u.id)],
                 lambda u: unit_view(scope, u, communities[u.id]))


def update_unit(scope, data):
    session = scope.session
    unit = active_unit(session, data["unit_id"], lock="update")
    if not access.acts_for_unit(scope.caller, unit.id):
        require_unit_manager(scope.caller)
    before = (unit.name, unit.kind)
    for field in ("name", "kind", "address", "contact_name", "contact_phone"):
        if field in data:
            setattr(unit, field, data[field])
    if "location" in data:
        location = data["location"] or {}
        unit.lat, unit.lng = location.get("lat"), location.get("lng")
    unit.updated_at = now()
    session.flush()
    if (unit.name, unit.kind) != before:
        emit(scope, "unit_updated", UNIT_EVENT, unit)
    return unit_view(scope, unit)


# -- report-in ------------------------------------------------------------------------------


def report_event(report, unit, community):
    return {"report_id": str(report.id), "unit_id": str(unit.id), "name": unit.name, "kind": unit.kind,
            "credit_code": unit.credit_code, "community_id": str(community.id),
            "community_path": community.path, "status": report.status}


def report_view(report, unit, community):
    return REPORT.dump({
        **{c: getattr(report, c) for c in ("id", "unit_id", "community_id", "status", "note",
                                           "decision_note", "requested_by", "requested_at",
                                           "decided_by", "decided_at", "withdrawn_at")},
        "unit_name": unit.name, "community_name": community.name, "community_path": community.path,
    })


def request_report_in(scope, data):
    session = scope.session
    unit = active_unit(session, data["unit_id"])
    community = community_node(session, data["community_id"], lock="share")
    if not access.acts_for_unit(scope.caller, unit.id):
        access.require_manager(scope.caller, community.path)
    live = session.execute(
        select(ReportIn).where(ReportIn.unit_id == unit.id, ReportIn.community_id == community.id,
                               ReportIn.status.in_(domain.LIVE_REPORT_IN))
    ).scalar_one_or_none()
    if live is not None:
        raise Conflict(f"the unit's report-in to this community is already {live.status}",
                       {"status": live.status, "report_id": str(live.id)})
    report = ReportIn(unit_id=unit.id, community_id=community.id, status=domain.PENDING,
                      note=data["note"], requested_by=scope.caller.subject, requested_at=now())
    session.add(report)
    session.flush()
    scope.emit("unit_report_in_requested", REPORT_EVENT.dump(report_event(report, unit, community)))
    return report_view(report, unit, community)


def _decide(scope, data, action, event_type):
    session = scope.session
    report = load(session, ReportIn, data["report_id"], "report", lock="update")
    unit = get_unit_row(session, report.unit_id)
    community = get_node_row(session, report.community_id)
    if action == "withdraw" and access.acts_for_unit(scope.caller, unit.id):
        pass  # a unit may withdraw its own report-in
    else:
        access.require_manager(scope.caller, community.path)
    report.status = domain.REPORT_IN.next(report.status, action)
    if action == "withdraw":
        report.withdrawn_at = now()
    else:
        report.decided_at, report.decided_by = now(), scope.caller.subject
    if data.get("note") is not None:
        report.decision_note = data["note"]
    session.flush()
    scope.emit(event_type, REPORT_EVENT.dump(report_event(report, unit, community)))
    return report_view(report, unit, community)


def confirm_report_in(scope, data):
    return _decide(scope, data, "confirm", "unit_reported_in")


def reject_report_in(scope, data):
    return _decide(scope, data, "reject", "unit_report_in_rejected")


def withdraw_report_in(scope, data):
    return _decide(scope, data, "withdraw", "unit_report_in_withdrawn")


def list_report_ins(scope, data):
    session = scope.session
    caller = scope.caller
    statement = (select(ReportIn, Unit, Node)
                 .join(Unit, Unit.id == ReportIn.unit_id)
                 .join(Node, Node.id == ReportIn.community_id))
    if data["community_id"]:
        statement = statement.where(ReportIn.community_id == as_uuid(data["community_id"], "community_id"))
    if data["unit_id"]:
        statement = statement.where(ReportIn.unit_id == as_uuid(data["unit_id"], "unit_id"))
    if data["status"]:
        statement = statement.where(ReportIn.status == data["status"])
    # Secretaries see their communities' report-ins, liaisons their own unit's.
    paths = access.scope_paths(caller, access.MANAGERS)
    if paths is not None:
        units = [as_uuid(u) for u in access.liaison_units(caller)]
        visible = [within_any(Node.path, paths)] if paths else []
        if units:
            visible.append(ReportIn.unit_id.in_(units))
        if not visible:
            raise Forbidden("secretaries and unit liaisons only", {"roles": sorted(caller.roles)})
        statement = statement.where(or_(*visible))
    statement = keyset(statement, data, [ReportIn.requested_at, ReportIn.id])
    rows = session.execute(statement).all()
    return paged(rows, data, lambda r: [r[0].requested_at.isoformat(), str(r[0].id)],
                 lambda r: report_view(*r))


def confirmed_in(session, unit_id, community_id):
    return session.execute(
        select(ReportIn.id).where(and_(ReportIn.unit_id == unit_id, ReportIn.community_id == community_id,
                                       ReportIn.status == domain.CONFIRMED))
    ).first() is not None
