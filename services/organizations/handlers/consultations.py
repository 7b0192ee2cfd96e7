"""Consultations (四方会谈: party organisation, residents' committee, owners' committee and
property company at one table; or a 1+2+N council): minutes, participants and decisions linked
to the cases they settle."""

from sqlalchemy import select

from services.organizations import access, domain, schemas
from services.organizations.handlers import cases
from services.organizations.handlers.common import as_uuid, keyset, load, paged, within
from services.organizations.handlers.territory import active_node, ancestor_of_kind, get_node_row
from services.organizations.models import Consultation, Decision, DecisionCase, Node
from shared.errors import ValidationError

CONSULTATION = schemas.Consultation()
CONSULTATION_EVENT = schemas.ConsultationEvent()


def consultation_view(session, consultation, community=None):
    community = community or get_node_row(session, consultation.community_id)
    node = community if consultation.node_id == community.id else get_node_row(session, consultation.node_id)
    decisions = session.execute(select(Decision).where(Decision.consultation_id == consultation.id)
                                .order_by(Decision.position)).scalars().all()
    links = session.execute(select(DecisionCase).where(
        DecisionCase.decision_id.in_([d.id for d in decisions]))).scalars().all() if decisions else []
    by_decision = {}
    for link in links:
        by_decision.setdefault(link.decision_id, []).append(link.case_id)
    data = {c: getattr(consultation, c) for c in ("id", "community_id", "node_id", "title", "format",
                                                 "held_at", "place", "minutes", "participants",
                                                 "recorded_by")}
    data.update(community_name=community.name, node_path=node.path, decisions=[
        {"id": d.id, "text": d.text, "resolves": d.resolves, "case_ids": by_decision.get(d.id, [])}
        for d in decisions])
    return CONSULTATION.dump(data)


def record_consultation(scope, data):
    session = scope.session
    node = active_node(session, data["node_id"], "attach to")
    community = ancestor_of_kind(session, node, domain.COMMUNITY)
    if community is None:
        raise ValidationError("consultations are held in a community", {"node_id": [
            f"is a {node.kind}; name the community or a node inside it"]})
    access.require_manager(scope.caller, community.path)
    participants = [{k: (str(v) if v is not None and k.endswith("_id") else v) for k, v in p.items()}
                    for p in data["participants"]]
    consultation = Consultation(community_id=community.id, node_id=node.id, title=data["title"],
                                format=data["format"], held_at=data["held_at"], place=data["place"],
                                minutes=data["minutes"], participants=participants,
                                recorded_by=scope.caller.subject)
    session.add(consultation)
    session.flush()
    linked, resolved = [], []
    for position, item in enumerate(data["decisions"]):
        decision = Decision(consultation_id=consultation.id, text=item["text"], resolves=item["resolves"],
                            position=position)
        session.add(decision)
        session.flush()
        for case_id in dict.fromkeys(item["case_ids"]):
            case = cases.get_case_row(session, case_id)
            if case.community_id != community.id:
                raise ValidationError("invalid case", {"decisions": [f"case {case_id} belongs to another community"]})
            session.add(DecisionCase(decision_id=decision.id, case_id=case.id))
            linked.append(case.id)
            if item["resolves"]:
                cases.handle_by_decision(scope, case.id, f"settled by consultation: {item['text'][:200]}")
                resolved.append(case.id)
    session.flush()
    scope.emit("consultation_recorded", CONSULTATION_EVENT.dump({
        "consultation_id": consultation.id, "community_id": community.id, "community_path": community.path,
        "node_id": node.id, "format": consultation.format, "held_at": consultation.held_at,
        "case_ids": linked, "resolved_case_ids": resolved}))
    return consultation_view(session, consultation, community)


def get_consultation(scope, consultation_id):
    session = scope.session
    return consultation_view(session, load(session, Consultation, consultation_id, "consultation"))


def list_consultations(scope, data):
    session = scope.session
    statement = select(Consultation, Node).join(Node, Node.id == Consultation.community_id)
    if data["community_id"]:
        statement = statement.where(Consultation.community_id == as_uuid(data["community_id"], "community_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    if data["case_id"]:
        statement = statement.where(Consultation.id.in_(
            select(Decision.consultation_id).join(DecisionCase, DecisionCase.decision_id == Decision.id)
            .where(DecisionCase.case_id == as_uuid(data["case_id"], "case_id"))))
    rows = session.execute(keyset(statement, data, [Consultation.held_at, Consultation.id])).all()
    return paged(rows, data, lambda r: [r[0].held_at.isoformat(), str(r[0].id)],
                 lambda r: consultation_view(session, r[0], r[1]))
