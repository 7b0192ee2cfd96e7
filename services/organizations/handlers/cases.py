"""Cases: resident demands, grid events and hotline tickets (Open311 fields) through
reported → accepted → dispatched → handled → replied → rated → closed, escalating community →
street → district (三级三轮: each level is a round), and the public problem wall + echo wall.

Who acts on a case depends on its level: the community's secretaries (or the street above)
at community level, the street's secretary at street level, the tenant admin at district level.
"""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from services.organizations import access, domain, schemas
from services.organizations.handlers import whistles
from services.organizations.handlers.common import (
    as_uuid,
    keyset,
    load,
    now,
    paged,
    within,
    within_any,
)
from services.organizations.handlers.party import get_org_row
from services.organizations.handlers.rules import current_limits
from services.organizations.handlers.territory import active_node, ancestor_of_kind, get_node_row
from services.organizations.handlers.units import active_unit
from services.organizations.models import Case, CaseEntry, Node
from shared.errors import Conflict, Forbidden, ValidationError

CASE = schemas.Case()
CASE_PUBLIC = schemas.CasePublic()
CASE_EVENT = schemas.CaseEvent()
EVENTS = {"accept": "case_accepted", "reject": "case_rejected", "dispatch": "case_dispatched",
          "handle": "case_handled", "reply to": "case_replied", "rate": "case_rated", "close": "case_closed",
          "escalate": "case_escalated"}
STAMPS = {"accept": "accepted_at", "dispatch": "dispatched_at", "handle": "handled_at",
          "reply to": "replied_at", "rate": "rated_at", "close": "closed_at", "escalate": "escalated_at"}
REPORTERS = (access.RESIDENT, "party_member", "volunteer", access.GRID_WORKER) + access.MANAGERS


def get_case_row(session, case_id, lock=None):
    return load(session, Case, case_id, "case", lock=lock)


def _places(session, case):
    community = get_node_row(session, case.community_id)
    node = community if case.node_id == case.community_id else get_node_row(session, case.node_id)
    return community, node


def _record(session, case, action, from_status, actor, note=None):
    session.add(CaseEntry(case_id=case.id, at=now(), action=action, from_status=from_status,
                          to_status=case.status, level=case.level, actor=actor, note=note))


def _emit(scope, event_type, case, community, node, reason=None):
    data = CASE_EVENT.dump(case)
    data.update(community_path=community.path, node_path=node.path, reason=reason)
    scope.emit(event_type, data)


def _expected(session, case, at):
    """When a reply is due: the tenant's SLA for the level that holds the case."""
    _, case_sla = current_limits(session)
    return at + case_sla[case.level]


def require_handler(caller, case, community, node=None):
    """The level that holds the case acts on it."""
    if case.level == "community":
        return caller.require(access.MANAGERS, path=community.path)
    if case.level == "street":
        street = community.path.split(".")[0]
        return caller.require((access.STREET_SECRETARY,), path=street)
    return caller.require_admin()


def _sees_internals(caller, case, community):
    return caller.can(access.STAFF, path=community.path) or caller.subject == case.reporter_subject


def case_view(scope, case, community=None, node=None):
    session = scope.session
    if community is None:
        community, node = _places(session, case)
    if not _sees_internals(scope.caller, case, community):
        return CASE_PUBLIC.dump({**_fields(case), "community_name": community.name})
    history = session.execute(select(CaseEntry).where(CaseEntry.case_id == case.id)
                              .order_by(CaseEntry.id)).scalars().all()
    return CASE.dump({**_fields(case), "community_name": community.name, "community_path": community.path,
                      "node_path": node.path, "history": history})


def _fields(case):
    return {column: getattr(case, column) for column in Case.__table__.columns.keys() if column != "location"}


# -- reporting and the state machine --------------------------------------------------------


def report_case(scope, data):
    session = scope.session
    caller = scope.caller
    if not (caller.is_admin or caller.roles & set(REPORTERS)):
        raise Forbidden("residents, grid workers and staff report cases", {"roles": sorted(caller.roles)})
    node = active_node(session, data["node_id"], "attach to")
    community = ancestor_of_kind(session, node, domain.COMMUNITY)
    if community is None:
        raise ValidationError("cases are reported inside a community", {"node_id": [
            f"is a {node.kind}; name the community or a node inside it"]})
    source = data["source"] or _default_source(caller)
    if source == "hotline" and not caller.is_admin:
        raise Forbidden("hotline tickets come from integrations with admin rights", {"source": source})
    if data["external_id"] is not None:
        existing = session.execute(select(Case.id).where(
            Case.source == source, Case.external_id == data["external_id"])).scalar()
        if existing is not None:
            raise Conflict("this ticket was already reported", {"case_id": str(existing)})
    at = now()
    reporter = data["reporter"] or {}
    case = Case(service_code=data["service_code"], description=data["description"],
                status=domain.REPORTED, level="community", source=source, external_id=data["external_id"],
                node_id=node.id, community_id=community.id, address=data["address"], lat=data["lat"],
                lng=data["long"], media_url=data["media_url"], public=data["public"],
                requested_datetime=data["requested_datetime"] or at, updated_datetime=at,
                reporter_name=reporter.get("name"), reporter_phone=reporter.get("phone"),
                reporter_subject=caller.subject)
    case.expected_datetime = _expected(session, case, at)
    session.add(case)
    session.flush()
    _record(session, case, "report", None, caller.subject)
    _emit(scope, "case_reported", case, community, node)
    return case_view(scope, case, community, node)


def _default_source(caller):
    if caller.roles & set(access.MANAGERS) or caller.is_admin:
        return "community"
    if access.GRID_WORKER in caller.roles:
        return "grid_worker"
    return "resident"


def _transition(scope, case_id, action, note=None, check=require_handler):
    session = scope.session
    case = get_case_row(session, case_id, lock="update")
    community, node = _places(session, case)
    check(scope.caller, case, community, node)
    before = case.status
    case.status = domain.CASE.next(case.status, action)
    at = now()
    if action in STAMPS:
        setattr(case, STAMPS[action], at)
    if note is not None:
        case.status_notes = note
    case.updated_datetime = at
    return case, community, node, before


def _finish(scope, case, community, node, action, before, note=None, reason=None):
    session = scope.session
    _record(session, case, action.split(" ")[0], before, scope.caller.subject, note)
    session.flush()
    _emit(scope, EVENTS[action], case, community, node, reason)
    return case_view(scope, case, community, node)


def accept_case(scope, data):
    case, community, node, before = _transition(scope, data["case_id"], "accept", data["status_notes"])
    if data["expected_datetime"] is not None:
        case.expected_datetime = data["expected_datetime"]
    return _finish(scope, case, community, node, "accept", before, data["status_notes"])


def reject_case(scope, data):
    case, community, node, before = _transition(scope, data["case_id"], "reject", data["status_notes"])
    return _finish(scope, case, community, node, "reject", before, data["status_notes"])


def dispatch_case(scope, data):
    session = scope.session
    case, community, node, before = _transition(scope, data["case_id"], "dispatch", data["status_notes"])
    if data["whistle"] is not None:
        spec = data["whistle"]
        whistle = whistles.raise_whistle(scope, {
            "node_id": node.id, "title": spec["title"] or domain.CASE_SERVICES[case.service_code][0],
            "category": spec["category"], "description": case.description, "urgency": spec["urgency"],
            "location": {"lat": case.lat, "lng": case.lng} if case.lat is not None else None,
            "address": case.address, "photos": [case.media_url] if case.media_url else [],
            "unit_ids": spec["unit_ids"]}, case_id=case.id)
        case.dispatch_kind, case.whistle_id = "whistle", as_uuid(whistle["id"])
        case.dispatch_target = whistle["id"]
    else:
        target = data["to"]
        case.dispatch_kind, case.dispatch_target = target["kind"], target["target"]
        if target["kind"] == "party_org":
            org = get_org_row(session, as_uuid(target["target"], "to"), field="to")
            org_node = get_node_row(session, org.node_id)
            if not (org_node.path.startswith(community.path) or community.path.startswith(org_node.path)):
                raise ValidationError("invalid target", {"to": ["the party organisation is not in this area"]})
        elif target["kind"] == "unit":
            case.dispatch_target = str(active_unit(session, as_uuid(target["target"], "to"), field="to").id)
    return _finish(scope, case, community, node, "dispatch", before, data["status_notes"])


def handle_case(scope, data):
    def check(caller, case, community, node):
        """The level's handlers, the grid worker of the place, or the unit it was dispatched to."""
        if case.dispatch_kind == "unit" and access.acts_for_unit(caller, case.dispatch_target):
            return
        if case.level == "community" and caller.can((access.GRID_WORKER,), path=node.path):
            return
        require_handler(caller, case, community)

    case, community, node, before = _transition(scope, data["case_id"], "handle", data["status_notes"], check)
    return _finish(scope, case, community, node, "handle", before, data["status_notes"])


def reply_case(scope, data):
    case, community, node, before = _transition(scope, data["case_id"], "reply to", data["status_notes"])
    case.reply = data["reply"]
    return _finish(scope, case, community, node, "reply to", before, data["status_notes"])


def rate_case(scope, data):
    """The reporter rates the answer; a rating at or below DISSATISFIED sends the case to the
    next level for a new round (unless it is already at district level)."""

    def reporter_only(caller, case, community, node):
        if caller.subject != case.reporter_subject and not caller.is_admin:
            raise Forbidden("only the reporter rates a case", {"case_id": str(case.id)})

    case, community, node, before = _transition(scope, data["case_id"], "rate", check=reporter_only)
    case.rating, case.rating_comment = data["score"], data["comment"]
    view = _finish(scope, case, community, node, "rate", before, data["comment"])
    if data["score"] <= domain.DISSATISFIED and domain.next_level(case.level) is not None:
        return _escalate(scope, case, community, node, "dissatisfied with the answer", scope.caller.subject)
    return view


def close_case(scope, data):
    case, community, node, before = _transition(scope, data["case_id"], "close", data["status_notes"])
    return _finish(scope, case, community, node, "close", before, data["status_notes"])


def _escalate(scope, case, community, node, reason, actor):
    before = case.status
    case.status, case.level = domain.case_escalation(case.status, case.level)
    at = now()
    case.escalated_at = case.updated_datetime = at
    case.expected_datetime = _expected(scope.session, case, at)
    case.overdue_at = None
    for stamp in ("accepted_at", "dispatched_at", "handled_at", "replied_at"):
        setattr(case, stamp, None)
    case.dispatch_kind = case.dispatch_target = case.whistle_id = None
    case.rating = case.rating_comment = case.rated_at = None
    case.status_notes = reason
    scope.session.add(CaseEntry(case_id=case.id, at=at, action="escalate", from_status=before,
                                to_status=case.status, level=case.level, actor=actor, note=reason))
    scope.session.flush()
    _emit(scope, "case_escalated", case, community, node, reason)
    return case_view(scope, case, community, node)


def escalate_case(scope, data):
    session = scope.session
    case = get_case_row(session, data["case_id"], lock="update")
    community, node = _places(session, case)
    require_handler(scope.caller, case, community)
    return _escalate(scope, case, community, node, data["reason"], scope.caller.subject)


def escalate_overdue_cases(scope):
    """Sweep: a case not handled by its expected time moves up a level (a new round); at
    district level it is flagged overdue once (case_overdue)."""
    session = scope.session
    at = now()
    rows = session.execute(
        select(Case).where(Case.status.in_(domain.OPEN_CASE), Case.expected_datetime < at,
                           Case.overdue_at.is_(None))
        .order_by(Case.expected_datetime).with_for_update(skip_locked=True)
    ).scalars().all()
    for case in rows:
        community, node = _places(session, case)
        if domain.next_level(case.level) is None:
            case.overdue_at = at
            _record(session, case, "overdue", case.status, "system")
            session.flush()
            _emit(scope, "case_overdue", case, community, node, "not handled by the expected time")
        else:
            _escalate(scope, case, community, node, "not handled by the expected time", "system")
    return len(rows)


def whistle_closed(scope, whistle):
    """A case turned into a whistle is handled once the whistle is closed."""
    if whistle.case_id is None:
        return
    session = scope.session
    case = get_case_row(session, whistle.case_id, lock="update")
    if case.whistle_id != whistle.id or not domain.CASE.allows(case.status, "handle"):
        return
    community, node = _places(session, case)
    before = case.status
    case.status = domain.CASE.next(case.status, "handle")
    case.handled_at = case.updated_datetime = now()
    case.status_notes = whistle.closing_note or "the whistle was closed"
    _finish(scope, case, community, node, "handle", before, case.status_notes)


whistles.CLOSE_HOOKS.append(whistle_closed)


def handle_by_decision(scope, case_id, note):
    """A consultation decision that resolves a case handles it (if it is still being worked on)."""
    session = scope.session
    case = get_case_row(session, case_id, lock="update")
    community, node = _places(session, case)
    if not domain.CASE.allows(case.status, "handle"):
        raise Conflict(f"cannot handle a case that is {case.status}", {"status": case.status,
                                                                        "case_id": str(case.id)})
    before = case.status
    case.status = domain.CASE.next(case.status, "handle")
    case.handled_at = case.updated_datetime = now()
    case.status_notes = note
    return _finish(scope, case, community, node, "handle", before, note)


# -- reading --------------------------------------------------------------------------------


def get_case(scope, case_id):
    return case_view(scope, get_case_row(scope.session, case_id))


def list_cases(scope, data):
    session = scope.session
    caller = scope.caller
    statement = select(Case, Node).join(Node, Node.id == Case.community_id)
    if data["community_id"]:
        statement = statement.where(Case.community_id == as_uuid(data["community_id"], "community_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    for field in ("status", "level", "service_code", "source", "external_id"):
        if data[field]:
            statement = statement.where(getattr(Case, field) == data[field])
    paths = access.scope_paths(caller, access.STAFF)
    if data["mine"] or (paths is not None and not paths):
        statement = statement.where(Case.reporter_subject == caller.subject)  # residents: their own
    elif paths is not None:
        statement = statement.where(within_any(Node.path, paths))
    rows = session.execute(keyset(statement, data, [Case.requested_datetime, Case.id])).all()
    return paged(rows, data, lambda r: [r[0].requested_datetime.isoformat(), str(r[0].id)],
                 lambda r: case_view(scope, r[0], r[1], _node_for(session, r[0], r[1])))


def _node_for(session, case, community):
    return community if case.node_id == case.community_id else get_node_row(session, case.node_id)


def list_case_wall(scope, data):
    """Public fields only, whoever asks: the wall shows what residents raised and the answers."""
    session = scope.session
    root = get_node_row(session, data["node_id"], field="node_id")
    statuses = (domain.REPORTED, domain.ACCEPTED, domain.DISPATCHED, domain.HANDLED) \
        if data["wall"] == "problem" else domain.ANSWERED_CASE
    place, community = aliased(Node), aliased(Node)
    statement = (select(Case, community)
                 .join(place, place.id == Case.node_id)
                 .join(community, community.id == Case.community_id)
                 .where(Case.public.is_(True), Case.status.in_(statuses), within(place.path, root.path)))
    rows = session.execute(keyset(statement, data, [Case.requested_datetime, Case.id])).all()
    return paged(rows, data, lambda r: [r[0].requested_datetime.isoformat(), str(r[0].id)],
                 lambda r: CASE_PUBLIC.dump({**_fields(r[0]), "community_name": r[1].name}))


def list_case_services(scope):
    """Open311 ``GET services``: the service codes a case can have."""
    return [{"service_code": code, "service_name": name, "group": group, "type": "realtime",
             "metadata": False, "keywords": ""} for code, (name, group) in domain.CASE_SERVICES.items()]
