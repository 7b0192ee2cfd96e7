"""The events other services build on, received over RabbitMQ by a small test-only consumer (the
relay publishes the outbox to ``organizations.events``; nothing is mocked)."""

from nameko.events import event_handler

from shared.testing.helpers import wait_for

TYPES = ("node_created", "node_updated", "node_moved", "node_archived", "unit_registered",
         "unit_reported_in", "agreement_signed", "agreement_updated", "agreement_terminated",
         "whistle_raised", "whistle_acknowledged", "whistle_closed", "case_reported")
RECEIVED = []


def _recorder():
    attributes = {"name": "org_events_recorder"}
    for event_type in TYPES:
        def handle(self, payload):
            RECEIVED.append(payload)

        handle.__name__ = f"on_{event_type}"
        attributes[handle.__name__] = event_handler("organizations", event_type)(handle)
    return type("OrgEventsRecorder", (), attributes)


def test_events_arrive_with_the_agreed_fields(org, container_factory, gj_config):
    RECEIVED.clear()
    container_factory(_recorder(), gj_config).start()
    t = org.tree()
    new_grid = org.node("grid", "第二网格", t["community"])
    org.admin.move_node({"node_id": t["compound"]["id"], "new_parent_id": new_grid["id"]})
    org.admin.update_node({"node_id": t["grid"]["id"], "name": "第一网格(更名)"})
    org.admin.archive_node({"node_id": t["grid"]["id"]})
    unit = org.reported_unit(t["community"], name="华阴市文化馆", kind="public_institution")
    agreement = org.admin.create_agreement({
        "unit_id": unit["id"], "community_id": t["community"]["id"], "title": "共享停车场",
        "valid_from": "2026-01-01", "resources": [{"kind": "parking", "name": "文化馆停车场", "quantity": 40,
                                                    "windows": [{"weekday": 6, "start": "08:00", "end": "20:00"}]}]})
    org.admin.sign_agreement({"agreement_id": agreement["id"]})
    whistle = org.admin.raise_whistle({"node_id": t["community"]["id"], "title": "x", "category": "other",
                                       "description": "x", "unit_ids": [unit["id"]]})
    org.admin.acknowledge_whistle({"whistle_id": whistle["id"], "unit_id": unit["id"]})

    def received(event_type):
        return [e for e in RECEIVED if e["tenant"] == org.slug and e["event_type"] == event_type]

    wait_for(lambda: received("whistle_acknowledged"), timeout=15, message="events to arrive")
    wait_for(lambda: len(received("node_created")) == 6, timeout=15, message="all node_created events")
    assert all(set(e) >= {"event_id", "event_type", "tenant", "occurred_at", "version"} for e in RECEIVED)

    (moved,) = received("node_moved")
    assert moved == {**moved, "node_id": t["compound"]["id"], "parent_id": new_grid["id"],
                     "old_path": t["compound"]["path"], "path": f"{new_grid['path']}.{t['compound']['id'].replace('-', '')}"}
    (archived,) = received("node_archived")
    assert (archived["node_id"], archived["path"]) == (t["grid"]["id"], t["grid"]["path"])
    (updated,) = received("node_updated")
    assert updated["name"] == "第一网格(更名)" and updated["kind"] == "grid" and updated["location"] is None
    (registered,) = received("unit_registered")
    assert registered["credit_code"] == unit["credit_code"]
    (reported,) = received("unit_reported_in")
    assert reported["community_path"] == t["community"]["path"] and reported["kind"] == "public_institution"
    (signed,) = received("agreement_signed")
    assert signed["status"] == "signed" and signed["valid_from"] == "2026-01-01" and signed["valid_until"] is None
    assert signed["resources"][0]["windows"] == [{"weekday": 6, "start": "08:00", "end": "20:00"}]
    assert signed["resources"][0]["resource_id"] == agreement["resources"][0]["resource_id"]
    (raised,) = received("whistle_raised")
    assert raised["unit_ids"] == [unit["id"]] and raised["community_path"] == t["community"]["path"]
    (acknowledged,) = received("whistle_acknowledged")
    assert acknowledged["unit_id"] == unit["id"] and acknowledged["on_time"] is True
    assert acknowledged["status"] == "responding" and acknowledged["response_status"] == "acknowledged"
