"""Co-building agreements (契约化共建): a unit's resource list against a community's needs list
and projects, with dated commitments whose fulfilment is tracked (done / overdue)."""

from sqlalchemy import or_, select

from services.organizations import access, domain, schemas
from services.organizations.handlers.alliances import connected_units
from services.organizations.handlers.common import (
    as_uuid,
    keyset,
    load,
    now,
    paged,
    today,
    within,
    within_any,
)
from services.organizations.handlers.territory import get_node_row
from services.organizations.handlers.units import active_unit, community_node
from services.organizations.models import Agreement, Commitment, Need, Node, Resource, Unit
from shared.errors import Conflict, Forbidden, ValidationError

NEED = schemas.Need()
AGREEMENT = schemas.Agreement()
AGREEMENT_EVENT = schemas.AgreementEvent()
COMMITMENT_EVENT = schemas.CommitmentEvent()

# -- needs list -----------------------------------------------------------------------------


def create_need(scope, data):
    session = scope.session
    community = community_node(session, data["community_id"])
    access.require_manager(scope.caller, community.path)
    need = Need(community_id=community.id, title=data["title"], category=data["category"],
                description=data["description"], status=domain.OPEN)
    session.add(need)
    session.flush()
    return NEED.dump(need)


def close_need(scope, data):
    session = scope.session
    need = load(session, Need, data["need_id"], "need", lock="update")
    community = get_node_row(session, need.community_id)
    access.require_manager(scope.caller, community.path)
    need.status = domain.NEED.next(need.status, "meet" if data["outcome"] == "met" else "withdraw")
    need.closed_at = now()
    session.flush()
    return NEED.dump(need)


def list_needs(scope, data):
    session = scope.session
    statement = select(Need).join(Node, Node.id == Need.community_id)
    if data["community_id"]:
        statement = statement.where(Need.community_id == as_uuid(data["community_id"], "community_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    if data["status"]:
        statement = statement.where(Need.status == data["status"])
    rows = session.execute(keyset(statement, data, [Need.created_at, Need.id])).scalars().all()
    return paged(rows, data, lambda n: [n.created_at.isoformat(), str(n.id)], NEED.dump)


# -- agreements -----------------------------------------------------------------------------


def _resources(session, agreement_id):
    return session.execute(select(Resource).where(Resource.agreement_id == agreement_id)
                           .order_by(Resource.position, Resource.id)).scalars().all()


def _commitments(session, agreement_id):
    return session.execute(select(Commitment).where(Commitment.agreement_id == agreement_id)
                           .order_by(Commitment.due_on, Commitment.id)).scalars().all()


def agreement_view(scope, agreement, unit=None, community=None):
    session = scope.session
    unit = unit or session.get(Unit, agreement.unit_id)
    community = community or get_node_row(session, agreement.community_id)
    day = today(scope)
    commitments = []
    fulfilment = {domain.DONE: 0, domain.OVERDUE: 0, domain.PENDING: 0}
    for commitment in _commitments(session, agreement.id):
        state = domain.commitment_state(commitment.status, commitment.due_on, day)
        fulfilment[state] += 1
        commitments.append({**{c: getattr(commitment, c) for c in (
            "id", "agreement_id", "description", "due_on", "need_id", "resource_id", "project_ref",
            "status", "done_at", "done_note", "overdue_at")}, "state": state})
    data = {c: getattr(agreement, c) for c in (
        "id", "unit_id", "community_id", "title", "status", "valid_from", "valid_until", "signed_at",
        "signed_by", "terminated_at", "termination_reason", "created_at", "updated_at")}
    data.update(unit_name=unit.name, community_name=community.name, community_path=community.path,
                resources=_resources(session, agreement.id), commitments=commitments,
                fulfilment=fulfilment)
    return AGREEMENT.dump(data)


def agreement_event(session, agreement, community):
    data = {c: getattr(agreement, c) for c in ("id", "unit_id", "community_id", "status", "valid_from",
                                              "valid_until")}
    data.update(community_path=community.path, resources=_resources(session, agreement.id))
    return AGREEMENT_EVENT.dump(data)


def _require_connected(session, unit, community):
    if unit.id not in connected_units(session, community.id):
        raise Conflict("the unit must have reported in to, be paired with or be an alliance member "
                       "of the community", {"unit_id": str(unit.id)})


def _check_need(session, need_id, community):
    need = load(session, Need, need_id, "need")
    if need.community_id != community.id:
        raise ValidationError("invalid need", {"need_id": ["belongs to another community"]})
    return need


def _resource_row(agreement_id, item, position):
    return Resource(agreement_id=agreement_id, kind=item["kind"], name=item["name"],
                    quantity=item["quantity"], description=item["description"],
                    windows=item["windows"], position=position)


def create_agreement(scope, data):
    session = scope.session
    community = community_node(session, data["community_id"], lock="share")
    access.require_manager(scope.caller, community.path)
    unit = active_unit(session, data["unit_id"])
    _require_connected(session, unit, community)
    if any(item["resource_id"] for item in data["resources"]):
        raise ValidationError("invalid resources", {"resources": ["new resources have no resource_id"]})
    agreement = Agreement(unit_id=unit.id, community_id=community.id, title=data["title"],
                          status=domain.DRAFT, valid_from=data["valid_from"],
                          valid_until=data["valid_until"], created_by=scope.caller.subject)
    session.add(agreement)
    session.flush()
    resources = [_resource_row(agreement.id, item, i) for i, item in enumerate(data["resources"])]
    session.add_all(resources)
    session.flush()
    for item in data["commitments"]:
        if item["need_id"] is not None:
            _check_need(session, item["need_id"], community)
        index = item["resource_index"]
        session.add(Commitment(agreement_id=agreement.id, description=item["description"],
                               due_on=item["due_on"], need_id=item["need_id"],
                               resource_id=resources[index].id if index is not None else None,
                               project_ref=item["project_ref"], status=domain.PENDING))
    session.flush()
    return agreement_view(scope, agreement, unit, community)


def _visible(scope, agreement, community):
    caller = scope.caller
    if access.acts_for_unit(caller, agreement.unit_id) or caller.can(access.STAFF, path=community.path):
        return
    raise Forbidden("the community's staff and the unit's liaison only", {"roles": sorted(caller.roles)})


def get_agreement(scope, agreement_id):
    session = scope.session
    agreement = load(session, Agreement, agreement_id, "agreement")
    community = get_node_row(session, agreement.community_id)
    _visible(scope, agreement, community)
    return agreement_view(scope, agreement, community=community)


def list_agreements(scope, data):
    session = scope.session
    caller = scope.caller
    statement = select(Agreement, Unit, Node).join(Unit, Unit.id == Agreement.unit_id).join(
        Node, Node.id == Agreement.community_id)
    if data["community_id"]:
        statement = statement.where(Agreement.community_id == as_uuid(data["community_id"], "community_id"))
    if data["unit_id"]:
        statement = statement.where(Agreement.unit_id == as_uuid(data["unit_id"], "unit_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    if data["status"]:
        statement = statement.where(Agreement.status == data["status"])
    paths = access.scope_paths(caller, access.STAFF)
    if paths is not None:
        units = [as_uuid(u) for u in access.liaison_units(caller)]
        visible = ([within_any(Node.path, paths)] if paths else []) + (
            [Agreement.unit_id.in_(units)] if units else [])
        if not visible:
            raise Forbidden("staff and unit liaisons only", {"roles": sorted(caller.roles)})
        statement = statement.where(or_(*visible))
    rows = session.execute(keyset(statement, data, [Agreement.valid_from, Agreement.id])).all()
    return paged(rows, data, lambda r: [r[0].valid_from.isoformat(), str(r[0].id)],
                 lambda r: agreement_view(scope, *r))


def _locked_agreement(scope, agreement_id, action):
    session = scope.session
    agreement = load(session, Agreement, agreement_id, "agreement", lock="update")
    community = get_node_row(session, agreement.community_id)
    access.require_manager(scope.caller, community.path)
    status = domain.AGREEMENT.next(agreement.status, action)
    return agreement, community, status


def _replace_resources(session, agreement, items):
    existing = {r.id: r for r in _resources(session, agreement.id)}
    keep = set()
    for position, item in enumerate(items):
        if item["resource_id"] is None:
            session.add(_resource_row(agreement.id, item, position))
            continue
        resource = existing.get(item["resource_id"])
        if resource is None:
            raise ValidationError("invalid resources", {"resources": [
                f"resource {item['resource_id']} is not part of this agreement"]})
        keep.add(resource.id)
        for field in ("kind", "name", "quantity", "description", "windows"):
            setattr(resource, field, item[field])
        resource.position = position
    for resource_id, resource in existing.items():
        if resource_id not in keep:
            session.delete(resource)


def update_agreement(scope, data):
    session = scope.session
    agreement, community, _ = _locked_agreement(scope, data["agreement_id"], "update")
    for field in ("title", "valid_from", "valid_until"):
        if field in data:
            setattr(agreement, field, data[field])
    if agreement.valid_until is not None and agreement.valid_until < agreement.valid_from:
        raise ValidationError("invalid validity", {"valid_until": ["must not be before valid_from"]})
    if "resources" in data:
        _replace_resources(session, agreement, data["resources"])
    agreement.updated_at = now()
    session.flush()
    if agreement.status == domain.SIGNED:
        scope.emit("agreement_updated", agreement_event(session, agreement, community))
    return agreement_view(scope, agreement, community=community)


def sign_agreement(scope, data):
    session = scope.session
    agreement, community, status = _locked_agreement(scope, data["agreement_id"], "sign")
    unit = active_unit(session, agreement.unit_id)
    _require_connected(session, unit, community)
    agreement.status, agreement.signed_at, agreement.signed_by = status, now(), scope.caller.subject
    agreement.updated_at = agreement.signed_at
    session.flush()
    scope.emit("agreement_signed", agreement_event(session, agreement, community))
    return agreement_view(scope, agreement, unit, community)


def terminate_agreement(scope, data):
    session = scope.session
    agreement, community, status = _locked_agreement(scope, data["agreement_id"], "terminate")
    agreement.status, agreement.terminated_at = status, now()
    agreement.termination_reason, agreement.updated_at = data["reason"], agreement.terminated_at
    session.flush()
    scope.emit("agreement_terminated", agreement_event(session, agreement, community))
    return agreement_view(scope, agreement, community=community)


def add_commitment(scope, data):
    session = scope.session
    agreement, community, _ = _locked_agreement(scope, data["agreement_id"], "update")
    if data["need_id"] is not None:
        _check_need(session, data["need_id"], community)
    if data["resource_id"] is not None and data["resource_id"] not in {
            r.id for r in _resources(session, agreement.id)}:
        raise ValidationError("invalid resource", {"resource_id": ["is not part of this agreement"]})
    session.add(Commitment(agreement_id=agreement.id, description=data["description"],
                           due_on=data["due_on"], need_id=data["need_id"], resource_id=data["resource_id"],
                           project_ref=data["project_ref"], status=domain.PENDING))
    session.flush()
    return agreement_view(scope, agreement, community=community)


def commitment_event(commitment, agreement, community, on_time=None):
    return COMMITMENT_EVENT.dump({
        "id": commitment.id, "agreement_id": agreement.id, "unit_id": agreement.unit_id,
        "community_id": agreement.community_id, "community_path": community.path,
        "due_on": commitment.due_on, "status": commitment.status, "on_time": on_time})


def fulfil_commitment(scope, data):
    session = scope.session
    commitment = load(session, Commitment, data["commitment_id"], "commitment", lock="update")
    agreement = load(session, Agreement, commitment.agreement_id, "agreement")
    community = get_node_row(session, agreement.community_id)
    if not access.acts_for_unit(scope.caller, agreement.unit_id):
        access.require_manager(scope.caller, community.path)
    domain.AGREEMENT.next(agreement.status, "fulfil commitments of")
    commitment.status = domain.COMMITMENT.next(commitment.status, "fulfil")
    commitment.done_at, commitment.done_note = now(), data["note"]
    on_time = today(scope) <= commitment.due_on
    session.flush()
    scope.emit("commitment_fulfilled", commitment_event(commitment, agreement, community, on_time))
    return agreement_view(scope, agreement, community=community)


def mark_overdue_commitments(scope):
    """Sweep: pending commitments of signed agreements past their due date become overdue."""
    session = scope.session
    rows = session.execute(
        select(Commitment, Agreement, Node)
        .join(Agreement, Agreement.id == Commitment.agreement_id)
        .join(Node, Node.id == Agreement.community_id)
        .where(Commitment.status == domain.PENDING, Commitment.due_on < today(scope),
               Agreement.status == domain.SIGNED)
        .order_by(Commitment.due_on)
        .with_for_update(of=Commitment, skip_locked=True)
    ).all()
    for commitment, agreement, community in rows:
        commitment.status = domain.COMMITMENT.next(commitment.status, "mark overdue")
        commitment.overdue_at = now()
        scope.emit("commitment_overdue", commitment_event(commitment, agreement, community, False))
    session.flush()
    return len(rows)
