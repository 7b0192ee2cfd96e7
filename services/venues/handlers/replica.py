"""The local replica of organizations' territory nodes, resident units and co-building
agreements, kept by event handlers (exactly once through the inbox, see shared.events).

Events can arrive out of order (each event type has its own queue, handlers run concurrently and
retry), so every write is an upsert that keeps the newest state:

* rows remember the ``occurred_at`` of the newest event applied (``source_at``) and ignore older
  ones;
* node paths: a ``node_moved`` rewrites every replica path under the old path (nodes, agreements'
  and report-ins' community paths, emergency activations) and is logged in ``node_moves``; a
  node event emitted before a move but applied after it gets the moved path from the log;
* ``node_archived`` for a node not seen yet leaves a tombstone the node's creation honours.

A move takes a tenant-wide transaction-level advisory lock exclusively, every other node event
takes it shared: node events run in parallel, but a move and a concurrent creation below it
cannot miss each other (each would otherwise not see the other's uncommitted row).
"""

from nameko.exceptions import UnknownService
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.venues.handlers.common import as_uuid, ltree, rewrite_path, within
from services.venues.models import (
    Activation,
    Agreement,
    LentResource,
    Node,
    NodeMove,
    NodeTombstone,
    Unit,
    UnitCommunity,
)
from shared.errors import Conflict, NotFound, ServiceTimeout
from shared.sql import rebased

# Replica locks use the two-key advisory lock space (class, hash), apart from the room locks'
# single 64-bit keys, so a hash collision can never make a path lock wait on a room or a node.
PATHS_LOCK, NODE_LOCK = 1, 2


def _lock_paths(scope, exclusive=False):
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    scope.session.execute(text(f"SELECT {function}(:kind, hashtext(:key))"),
                          {"kind": PATHS_LOCK, "key": scope.tenant_slug})


def _lock_node(scope, node_id):
    # Shared path locks let a node's creation and its archival run side by side; without this
    # each would miss the other's uncommitted row (tombstone vs. node) and the archival be lost.
    scope.session.execute(text("SELECT pg_advisory_xact_lock(:kind, hashtext(:key))"),
                          {"kind": NODE_LOCK, "key": f"{scope.tenant_slug}.{node_id}"})


def moved_path(session, path, since):
    """``path`` as of now, given the moves logged after ``since`` (usually none)."""
    moves = session.execute(
        select(NodeMove).where(NodeMove.occurred_at > since).order_by(NodeMove.occurred_at)
    ).scalars().all()
    for move in moves:
        path = rewrite_path(path, move.old_path, move.path)
    return path


def _location(event):
    location = event.get("location") or {}
    return location.get("lat"), location.get("lng")


def apply_node(scope, event):
    """node_created / node_updated: the node's newest attributes; its path as of now."""
    session = scope.session
    _lock_paths(scope)
    _lock_node(scope, event["node_id"])
    occurred = event["occurred_at"]
    lat, lng = _location(event)
    tombstone = session.get(NodeTombstone, event["node_id"])
    values = dict(
        id=event["node_id"], kind=event["kind"], name=event["name"], code=event["code"],
        parent_id=event["parent_id"], path=moved_path(session, event["path"], occurred),
        lat=lat, lng=lng, population=event["population"], households=event["households"],
        source_at=occurred, archived_at=tombstone.occurred_at if tombstone else None,
    )
    statement = insert(Node).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[Node.id],
        set_={**{k: statement.excluded[k] for k in values if k not in ("id", "archived_at")},
              # a row fetched on demand before the events arrived may have missed a tombstone
              "archived_at": func.coalesce(Node.archived_at, statement.excluded.archived_at),
              "replicated_at": func.now()},
        where=Node.source_at.is_(None) | (Node.source_at < statement.excluded.source_at),
    ))


def _move_everything(session, old, new):
    for model, column in ((Node, Node.path), (Agreement, Agreement.community_path),
                          (UnitCommunity, UnitCommunity.community_path), (Activation, Activation.path)):
        session.execute(update(model).where(within(column, old)).values({column.key: rebased(column, old, new)})
                        .execution_options(synchronize_session=False))


def apply_move(scope, event):
    """node_moved: rewrite every replica path below the old path, then any later moves that
    arrived before this one."""
    session = scope.session
    _lock_paths(scope, exclusive=True)
    occurred = event["occurred_at"]
    session.execute(insert(NodeMove).values(node_id=event["node_id"], occurred_at=occurred,
                                            old_path=event["old_path"], path=event["path"])
                    .on_conflict_do_nothing())
    _move_everything(session, event["old_path"], event["path"])
    later = session.execute(select(NodeMove).where(NodeMove.occurred_at > occurred)
                            .order_by(NodeMove.occurred_at)).scalars().all()
    for move in later:
        _move_everything(session, move.old_path, move.path)


def apply_archive(scope, event):
    session = scope.session
    _lock_paths(scope)
    _lock_node(scope, event["node_id"])
    occurred = event["occurred_at"]
    node = session.get(Node, event["node_id"])
    if node is None:
        session.execute(insert(NodeTombstone).values(node_id=event["node_id"], occurred_at=occurred)
                        .on_conflict_do_nothing())
    elif node.archived_at is None:
        node.archived_at = occurred


def apply_unit(scope, event):
    """unit_registered / unit_updated (and the unit part of report-in events)."""
    values = dict(id=event["unit_id"], name=event["name"], kind=event["kind"],
                  credit_code=event["credit_code"], source_at=event["occurred_at"])
    statement = insert(Unit).values(**values)
    scope.session.execute(statement.on_conflict_do_update(
        index_elements=[Unit.id],
        set_={k: statement.excluded[k] for k in values if k != "id"},
        where=Unit.source_at < statement.excluded.source_at,
    ))


def apply_report_in(scope, event, active):
    """unit_reported_in (active) / unit_report_in_withdrawn (inactive)."""
    apply_unit(scope, event)
    values = dict(unit_id=event["unit_id"], community_id=event["community_id"],
                  community_path=event["community_path"], active=active, source_at=event["occurred_at"])
    statement = insert(UnitCommunity).values(**values)
    scope.session.execute(statement.on_conflict_do_update(
        index_elements=[UnitCommunity.unit_id, UnitCommunity.community_id],
        set_={"active": statement.excluded.active, "source_at": statement.excluded.source_at},
        where=UnitCommunity.source_at < statement.excluded.source_at,
    ))


def apply_agreement(scope, event):
    """agreement_signed / _updated / _terminated. Returns the ids of the lent resources whose
    terms changed (None when the event was older than what the replica holds)."""
    session = scope.session
    values = dict(id=event["agreement_id"], unit_id=event["unit_id"], community_id=event["community_id"],
                  community_path=event["community_path"], status=event["status"],
                  valid_from=event["valid_from"], valid_until=event["valid_until"],
                  source_at=event["occurred_at"])
    statement = insert(Agreement).values(**values)
    applied = session.execute(statement.on_conflict_do_update(
        index_elements=[Agreement.id],
        set_={k: statement.excluded[k] for k in values if k != "id"},
        where=Agreement.source_at < statement.excluded.source_at,
    ).returning(Agreement.id)).first()
    if not applied:
        return None
    listed = set()
    for item in event["resources"]:
        listed.add(item["resource_id"])
        resource = dict(id=item["resource_id"], agreement_id=event["agreement_id"], kind=item["kind"],
                        name=item["name"], quantity=item["quantity"],
                        windows=[dict(w) for w in item["windows"]], removed=False)
        upsert = insert(LentResource).values(**resource)
        session.execute(upsert.on_conflict_do_update(
            index_elements=[LentResource.id],
            set_={k: upsert.excluded[k] for k in resource if k != "id"}))
    session.execute(update(LentResource).where(LentResource.agreement_id == event["agreement_id"],
                                               LentResource.id.not_in(listed or [None]))
                    .values(removed=True).execution_options(synchronize_session=False))
    return session.execute(select(LentResource.id).where(
        LentResource.agreement_id == event["agreement_id"])).scalars().all()


# -- reading the replica ----------------------------------------------------------------------


def node_for(scope, node_id, fetch=None, field="node_id"):
    """The replica's node, or — when its event has not arrived yet — the node fetched from
    organizations (``fetch(node_id)``, an RPC with a timeout) and stored without a source time
    so the first event about it overwrites it. NotFound / Conflict (archived) otherwise."""
    session = scope.session
    node_id = as_uuid(node_id, field)
    node = session.get(Node, node_id)
    if node is None and fetch is not None:
        try:
            remote = fetch(str(node_id))
        except NotFound:
            remote = None
        except UnknownService:  # no organizations consumer at all: as good as no answer
            raise ServiceTimeout("organizations is not running", {"service": "organizations",
                                                                  "method": "get_node"}) from None
        if remote is not None:
            location = remote.get("location") or {}
            session.execute(insert(Node).values(
                id=node_id, kind=remote["kind"], name=remote["name"], code=remote.get("code"),
                parent_id=remote.get("parent_id"), path=remote["path"], lat=location.get("lat"),
                lng=location.get("lng"), population=remote.get("population"),
                households=remote.get("households"), source_at=None,
            ).on_conflict_do_nothing())
            node = session.get(Node, node_id)
    if node is None:
        raise NotFound("no such node", {field: str(node_id)})
    if node.archived_at is not None:
        raise Conflict("cannot place a venue on a node that is archived", {"status": "archived"})
    return node


def community_path(node_path):
    """The community a path lies in (its first two labels), or the street for street paths."""
    labels = node_path.split(".")
    return ".".join(labels[:2])


def unit_in_community(session, unit_id, path):
    """Has the unit reported in (confirmed) to the community of ``path``?"""
    return session.execute(select(UnitCommunity.unit_id).where(
        UnitCommunity.unit_id == as_uuid(unit_id, "unit_id"), UnitCommunity.active.is_(True),
        UnitCommunity.community_path == ltree(community_path(path)))).first() is not None


def replica_status(scope):
    session = scope.session
    counts = {}
    for label, statement in (
        ("nodes", select(func.count()).select_from(Node).where(Node.archived_at.is_(None))),
        ("compounds", select(func.count()).select_from(Node).where(Node.kind == "compound",
                                                                     Node.archived_at.is_(None))),
        ("units", select(func.count()).select_from(Unit)),
        ("reported_units", select(func.count(func.distinct(UnitCommunity.unit_id)))
         .where(UnitCommunity.active.is_(True))),
        ("agreements", select(func.count()).select_from(Agreement)),
        ("signed_agreements", select(func.count()).select_from(Agreement).where(Agreement.status == "signed")),
        ("lent_resources", select(func.count()).select_from(LentResource).where(LentResource.removed.is_(False))),
    ):
        counts[label] = session.execute(statement).scalar()
    newest = session.execute(select(func.max(Node.source_at))).scalar()
    counts["newest_node_event_at"] = newest.isoformat() if newest else None
    return counts
