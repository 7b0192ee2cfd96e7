"""The replica of organizations under real delivery conditions: events published to the real
``organizations.events`` exchange out of order, late and twice. Each node/agreement ends in the
state of its newest event; moves reach nodes whose creation arrives after the move; archivals
that arrive first are honoured; a redelivered event changes nothing."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.standalone.events import event_dispatcher

from shared.testing.helpers import wait_for

BASE_TIME = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def publish(services):
    dispatch = event_dispatcher(services)

    def send(tenant, event_type, seconds, event_id=None, **data):
        payload = {"event_id": event_id or str(uuid.uuid4()), "event_type": event_type, "tenant": tenant,
                   "occurred_at": (BASE_TIME + timedelta(seconds=seconds)).isoformat(), "version": 1, **data}
        dispatch("organizations", event_type, payload)
        return payload

    return send


def label():
    node_id = uuid.uuid4()
    return str(node_id), node_id.hex


def node_event(node_id, path, kind="compound", population=100, name="小区"):
    return dict(node_id=node_id, kind=kind, name=name, code=None, parent_id=None, path=path,
                location={"lat": 30.87, "lng": 120.09}, population=population, households=None)


def replica(vt, node_id):
    try:
        return vt.admin.get_replica_node(node_id)
    except Exception:  # noqa: BLE001 - not replicated yet
        return None


def test_newest_event_wins_and_duplicates_change_nothing(vt, publish):
    node_id, own = label()
    created = publish(vt.slug, "node_created", 1, **node_event(node_id, own, population=100))
    wait_for(lambda: replica(vt, node_id), message="node_created")
    publish(vt.slug, "node_updated", 3, **node_event(node_id, own, population=300))
    wait_for(lambda: (replica(vt, node_id) or {}).get("population") == 300, message="node_updated")
    publish(vt.slug, "node_updated", 2, **node_event(node_id, own, population=200))  # late and stale
    publish(vt.slug, "node_created", 1, event_id=created["event_id"],
            **node_event(node_id, own, population=100))  # redelivered
    marker_id, marker = label()
    publish(vt.slug, "node_created", 4, **node_event(marker_id, marker))  # behind the others in the queue
    wait_for(lambda: replica(vt, marker_id), message="the marker")
    assert replica(vt, node_id)["population"] == 300


def test_a_move_reaches_nodes_created_before_it_but_delivered_after(vt, publish):
    a_id, a = label()
    b_id, b = label()
    child_id, child = label()
    publish(vt.slug, "node_created", 1, **node_event(a_id, a, kind="community"))
    publish(vt.slug, "node_created", 1, **node_event(b_id, b, kind="community"))
    wait_for(lambda: replica(vt, a_id) and replica(vt, b_id), message="the communities")
    grid_id, grid = label()
    publish(vt.slug, "node_created", 2, **node_event(grid_id, f"{a}.{grid}", kind="grid"))
    wait_for(lambda: replica(vt, grid_id), message="the grid")
    # the grid moves from a to b at t=5; the compound below it was created at t=3 under a, but
    # its event is delivered only after the move
    publish(vt.slug, "node_moved", 5, node_id=grid_id, parent_id=b_id, old_path=f"{a}.{grid}",
            path=f"{b}.{grid}")
    wait_for(lambda: replica(vt, grid_id)["path"] == f"{b}.{grid}", message="the move")
    publish(vt.slug, "node_created", 3, **node_event(child_id, f"{a}.{grid}.{child}"))
    wait_for(lambda: replica(vt, child_id), message="the late compound")
    assert replica(vt, child_id)["path"] == f"{b}.{grid}.{child}"
    # and a node event emitted after the move carries the new path already: it stays
    publish(vt.slug, "node_updated", 6, **node_event(child_id, f"{b}.{grid}.{child}", population=7))
    wait_for(lambda: replica(vt, child_id)["population"] == 7, message="the update")
    assert replica(vt, child_id)["path"] == f"{b}.{grid}.{child}"


def test_two_moves_delivered_in_reverse_order(vt, publish):
    a_id, a = label()
    b_id, b = label()
    c_id, c = label()
    node_id, own = label()
    for i, (nid, path) in enumerate(((a_id, a), (b_id, b), (c_id, c))):
        publish(vt.slug, "node_created", 1 + i, **node_event(nid, path, kind="community"))
    publish(vt.slug, "node_created", 4, **node_event(node_id, f"{a}.{own}", kind="grid"))
    wait_for(lambda: replica(vt, node_id), message="the grid")
    publish(vt.slug, "node_moved", 6, node_id=node_id, parent_id=c_id, old_path=f"{b}.{own}", path=f"{c}.{own}")
    publish(vt.slug, "node_moved", 5, node_id=node_id, parent_id=b_id, old_path=f"{a}.{own}", path=f"{b}.{own}")
    wait_for(lambda: replica(vt, node_id)["path"] == f"{c}.{own}", message="both moves")


def test_an_archival_delivered_before_the_creation_is_honoured(vt, publish):
    # Several nodes, both events back to back: the two handlers run side by side, so this also
    # shows neither misses the other's uncommitted row. A lost archival never turns up.
    nodes = [label() for _ in range(5)]
    for node_id, own in nodes:
        publish(vt.slug, "node_archived", 5, node_id=node_id, path=own)
        publish(vt.slug, "node_created", 1, **node_event(node_id, own))
    for node_id, _ in nodes:
        wait_for(lambda node_id=node_id: (replica(vt, node_id) or {}).get("archived_at"),
                 message="the archived node")


def test_agreement_events_out_of_order(vt, publish):
    community_id, community = label()
    agreement_id, unit_id, resource_id = (str(uuid.uuid4()) for _ in range(3))

    def agreement(status, windows):
        return dict(agreement_id=agreement_id, unit_id=unit_id, community_id=community_id,
                    community_path=community, status=status, valid_from="2026-06-01", valid_until=None,
                    resources=[{"resource_id": resource_id, "kind": "space", "name": "会议室", "quantity": 1,
                                "windows": windows}])

    publish(vt.slug, "agreement_terminated", 9, **agreement("terminated", []))
    publish(vt.slug, "agreement_signed", 2, **agreement("signed", [{"weekday": 6, "start": "09:00", "end": "12:00"}]))
    marker_id, marker = label()
    publish(vt.slug, "node_created", 10, **node_event(marker_id, marker))
    wait_for(lambda: replica(vt, marker_id), message="the marker")
    wait_for(lambda: vt.admin.get_replica_status()["agreements"] == 1, message="the agreement")
    assert vt.admin.get_replica_status()["signed_agreements"] == 0


def test_malformed_events_are_parked_not_lost(vt, publish, operator):
    publish(vt.slug, "node_created", 1, node_id="not-a-uuid", kind="compound", name="x", path="x")
    parked = wait_for(lambda: operator.venues.list_dead_letters({})["items"], message="the dead letter")
    assert parked[0]["consumer"] == "venues.on_node_created" and "invalid event" in parked[0]["error"]
