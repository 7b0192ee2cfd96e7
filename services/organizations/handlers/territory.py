"""The territory tree: create, read, list, update, move and archive nodes.

Concurrency: creating a child takes a share lock on its parent; moving takes update locks on
the whole subtree before rewriting its paths (READ COMMITTED gives the rewrite a fresh snapshot,
so a child committed while the move waited is moved too); archiving locks the node.
"""

import uuid

from sqlalchemy import case, exists, func, literal, or_, select, update

from services.organizations import access, domain, schemas
from services.organizations.handlers.common import emit, keyset, load, ltree, now, paged, within
from services.organizations.models import Node
from shared.errors import Conflict, ValidationError
from shared.types import path_label

NODE_EVENT = schemas.NodeEvent()
NODE_MOVED = schemas.NodeMoved()
NODE_ARCHIVED = schemas.NodeArchived()


def get_node_row(session, node_id, lock=None, field="node_id"):
    return load(session, Node, node_id, "node", lock=lock, field=field)


def active_node(session, node_id, action, lock=None, field="node_id"):
    node = get_node_row(session, node_id, lock=lock, field=field)
    domain.NODE.next(node.status, action)
    return node


def _check_parent(kind, parent):
    problem = domain.parent_problem(kind, parent.kind if parent is not None else None)
    if problem:
        raise ValidationError("invalid parent", {"parent_id": [problem]})


def _require_place(caller, parent):
    """Streets are created by tenant admins; everything else by whoever manages the parent."""
    if parent is None:
        access.require_admin(caller)
    else:
        access.require_manager(caller, parent.path)


def create_node(scope, data):
    session = scope.session
    parent = None
    if data["parent_id"] is not None:
        parent = active_node(session, data["parent_id"], "attach to", lock="share", field="parent_id")
    _check_parent(data["kind"], parent)
    _require_place(scope.caller, parent)
    node_id = uuid.uuid4()
    location = data["location"] or {}
    node = Node(
        id=node_id,
        kind=data["kind"],
        name=data["name"],
        code=data["code"],
        parent_id=parent.id if parent else None,
        parent_kind=parent.kind if parent else None,
        path=domain.child_path(parent.path if parent else None, path_label(node_id)),
        lat=location.get("lat"),
        lng=location.get("lng"),
        population=data["population"],
        households=data["households"],
    )
    session.add(node)
    session.flush()
    emit(scope, "node_created", NODE_EVENT, node)
    return node


def get_node(scope, node_id):
    node = get_node_row(scope.session, node_id)
    ancestors = scope.session.execute(
        select(Node).where(Node.path.op("@>")(ltree(node.path)), Node.id != node.id)
        .order_by(func.nlevel(Node.path))
    ).scalars().all()
    return {**schemas.Node().dump(node), "ancestors": schemas.NodeBrief(many=True).dump(ancestors)}


def list_nodes(scope, data):
    session = scope.session
    statement = select(Node)
    if data["parent_id"] is not None:
        statement = statement.where(Node.parent_id == get_node_row(session, data["parent_id"],
                                                                    field="parent_id").id)
    if data["top_level"]:
        statement = statement.where(Node.parent_id.is_(None))
    if data["subtree"] is not None:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path), Node.id != root.id)
    if data["kind"]:
        statement = statement.where(Node.kind == data["kind"])
    if data["text"]:
        pattern = "%" + data["text"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Node.name.ilike(pattern), Node.code.ilike(pattern)))
    if not data["include_archived"]:
        statement = statement.where(Node.archived_at.is_(None))
    statement = keyset(statement, data, [Node.name, Node.id])
    rows = session.execute(statement).scalars().all()
    return paged(rows, data, lambda n: [n.name, str(n.id)], schemas.Node().dump)


def update_node(scope, data):
    session = scope.session
    node = active_node(session, data["node_id"], "update", lock="update")
    access.require_manager(scope.caller, node.path)
    changed = False
    for field in ("name", "code", "population", "households"):
        if field in data and getattr(node, field) != data[field]:
            setattr(node, field, data[field])
            changed = True
    if "location" in data:
        location = data["location"] or {}
        if (node.lat, node.lng) != (location.get("lat"), location.get("lng")):
            node.lat, node.lng = location.get("lat"), location.get("lng")
            changed = True
    if changed:
        node.updated_at = now()
        session.flush()
        emit(scope, "node_updated", NODE_EVENT, node)
    return node


def move_node(scope, data):
    session = scope.session
    node = active_node(session, data["node_id"], "move", lock="update")
    parent = active_node(session, data["new_parent_id"], "attach to", lock="share",
                         field="new_parent_id")
    _check_parent(node.kind, parent)
    access.require_manager(scope.caller, node.path)
    access.require_manager(scope.caller, parent.path)
    if node.parent_id == parent.id:
        return node  # already there: nothing changes, no event
    old_path = node.path
    new_path = domain.child_path(parent.path, path_label(node.id))
    subtree = within(Node.path, old_path)
    session.execute(select(Node.id).where(subtree).with_for_update())  # wait out writers below
    depth = func.nlevel(ltree(old_path))
    session.execute(
        update(Node)
        .where(subtree)
        .values(path=case((Node.path == ltree(old_path), ltree(new_path)),
                          else_=ltree(new_path).op("||")(func.subpath(Node.path, depth))),
                updated_at=now())
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Node).where(Node.id == node.id)
        .values(parent_id=parent.id, parent_kind=parent.kind)
        .execution_options(synchronize_session=False)
    )
    session.refresh(node)
    scope.emit("node_moved", NODE_MOVED.dump(
        {"node_id": str(node.id), "parent_id": str(parent.id), "old_path": old_path, "path": node.path}))
    return node


def archive_node(scope, data):
    session = scope.session
    node = active_node(session, data["node_id"], "archive", lock="update")
    access.require_manager(scope.caller, node.path)
    children = session.execute(
        select(func.count()).where(Node.parent_id == node.id, Node.archived_at.is_(None))
    ).scalar()
    if children:
        raise Conflict("cannot archive a node that has active children; archive or move them first",
                       {"status": node.status, "active_children": children})
    problem = _archive_blocker(session, node)
    if problem:
        raise Conflict(f"cannot archive a node that {problem}", {"status": node.status})
    node.archived_at = now()
    node.updated_at = node.archived_at
    session.flush()
    emit(scope, "node_archived", NODE_ARCHIVED, node)
    return node


def _archive_blocker(session, node):
    """What still lives on this node: archive or close it first."""
    from services.organizations import models

    checks = [
        ("has active party organisations", select(models.PartyOrg.id).where(
            models.PartyOrg.node_id == node.id, models.PartyOrg.dissolved_at.is_(None))),
        ("has open whistles", select(models.Whistle.id).where(
            (models.Whistle.node_id == node.id) | (models.Whistle.community_id == node.id),
            models.Whistle.status.in_((domain.RAISED, domain.RESPONDING, domain.RESOLVED)))),
        ("has open cases", select(models.Case.id).where(
            (models.Case.node_id == node.id) | (models.Case.community_id == node.id),
            models.Case.status.not_in((domain.CLOSED, domain.REJECTED)))),
        ("has units reported in", select(models.ReportIn.id).where(
            models.ReportIn.community_id == node.id, models.ReportIn.status.in_(domain.LIVE_REPORT_IN))),
        ("has an alliance", select(models.Alliance.id).where(
            models.Alliance.community_id == node.id, models.Alliance.archived_at.is_(None))),
        ("has signed agreements", select(models.Agreement.id).where(
            models.Agreement.community_id == node.id, models.Agreement.status == domain.SIGNED)),
        ("has active pairings", select(models.Pairing.id).where(
            models.Pairing.community_id == node.id, models.Pairing.ended_on.is_(None))),
    ]
    for problem, statement in checks:
        if session.execute(select(exists(statement))).scalar():
            return problem
    return None


def node_exists(session, node_id):
    return session.execute(select(exists().where(Node.id == node_id))).scalar()


def paths_of(session, node_ids):
    rows = session.execute(select(Node.id, Node.path).where(Node.id.in_(list(node_ids)))).all()
    return {row.id: row.path for row in rows}


def ancestor_of_kind(session, node, kind):
    """The node itself or its ancestor of ``kind`` (None when the node is above that level)."""
    if node.kind == kind:
        return node
    if domain.DEPTH[node.kind] < domain.DEPTH[kind]:
        return None
    label_path = func.subpath(ltree(node.path), 0, literal(domain.DEPTH[kind]))
    return session.execute(select(Node).where(Node.path == label_path)).scalar_one()
