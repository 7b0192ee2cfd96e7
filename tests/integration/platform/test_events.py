"""Events through the outbox, relay and inbox: delivered once, retried, parked and replayed."""

import pytest
from kombu import Connection
from nameko.amqp.publish import Publisher

from services.tenants.service import TenantsService
from shared.relay import event_exchange
from shared.testing.helpers import wait_for
from tests.support.probe import FAILURES, ProbeService


@pytest.fixture
def platform(start_services, onboard, rpc_client, tokens):
    FAILURES["remaining"] = 0
    config = start_services(TenantsService, ProbeService, EVENT_RETRY_DELAYS=[0.05, 0.05])
    onboard("tongling")
    admin = rpc_client("tongling", tokens.admin("tongling"))
    return config, admin


def effects(admin, name):
    return admin.probe.count_effects(name)


def test_an_event_reaches_another_service_once(platform):
    config, admin = platform
    admin.tenants.create_api_client({"name": "once", "roles": [{"role": "resident"}]})
    wait_for(lambda: effects(admin, "once") == 1, message="effect")


def test_a_duplicate_delivery_changes_nothing(platform):
    config, admin = platform
    admin.tenants.create_api_client({"name": "dup", "roles": [{"role": "resident"}]})
    wait_for(lambda: effects(admin, "dup") == 1, message="effect")
    payload = outbox_payload(config, "dup")
    for _ in range(3):  # what a broker redelivery or a relay re-publish looks like
        publish(config, payload)
    admin.tenants.create_api_client({"name": "after", "roles": [{"role": "resident"}]})
    wait_for(lambda: effects(admin, "after") == 1, message="later effect")  # the duplicates went first
    assert effects(admin, "dup") == 1


def test_a_failing_handler_is_retried(platform):
    config, admin = platform
    FAILURES["remaining"] = 2  # fails twice, succeeds on the third attempt
    admin.tenants.create_api_client({"name": "flaky", "roles": [{"role": "resident"}]})
    wait_for(lambda: effects(admin, "flaky") == 1, message="effect after retries")
    assert admin.probe.list_dead_letters({})["items"] == []


def test_an_event_that_keeps_failing_is_parked_then_replayed(platform, operator):
    config, admin = platform
    FAILURES["remaining"] = 100
    admin.tenants.create_api_client({"name": "poisoned", "roles": [{"role": "resident"}]})
    parked = wait_for(lambda: operator.probe.list_dead_letters({})["items"], message="a dead letter")
    assert parked[0]["consumer"] == "probe.on_client_created"
    assert parked[0]["attempts"] == 3 and "injected" in parked[0]["error"]
    assert parked[0]["tenant"] == "tongling"
    assert effects(admin, "poisoned") == 0

    assert operator.probe.replay_dead_letter({"id": parked[0]["id"]})["outcome"] == "failed"
    FAILURES["remaining"] = 0
    assert operator.probe.replay_dead_letter({"id": parked[0]["id"]})["outcome"] == "handled"
    assert effects(admin, "poisoned") == 1
    assert operator.probe.list_dead_letters({})["items"] == []
    assert operator.probe.list_dead_letters({"include_replayed": True})["items"][0]["replayed_at"]
    assert operator.probe.replay_dead_letter({"id": parked[0]["id"]})["outcome"] == "duplicate"
    assert effects(admin, "poisoned") == 1


def test_a_malformed_event_is_parked_at_once(platform, operator):
    config, admin = platform
    publish(config, {"event_id": "not-a-uuid", "tenant": "tongling", "name": "junk"})
    parked = wait_for(lambda: operator.probe.list_dead_letters({})["items"], message="a dead letter")
    assert parked[0]["attempts"] == 1 and "invalid event" in parked[0]["error"]


def test_tenant_admins_see_only_their_dead_letters(platform, rpc_client, tokens, operator, onboard):
    config, admin = platform
    onboard("huayin")
    FAILURES["remaining"] = 100
    admin.tenants.create_api_client({"name": "x", "roles": [{"role": "resident"}]})
    wait_for(lambda: operator.probe.list_dead_letters({})["items"], message="a dead letter")
    huayin = rpc_client("huayin", tokens.admin("huayin"))
    assert huayin.probe.list_dead_letters({"tenant": "tongling"})["items"] == []
    assert len(admin.probe.list_dead_letters({})["items"]) == 1


def outbox_payload(config, name):
    from sqlalchemy import create_engine, select

    from shared import platform_tables
    from shared.config import database_url

    engine = create_engine(database_url(config, "tenants"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(platform_tables.outbox.c.payload).where(
                platform_tables.outbox.c.event_type == "api_client_created")).scalars().all()
    finally:
        engine.dispose()
    return next(p for p in rows if p["name"] == name)


def publish(config, payload):
    exchange = event_exchange("tenants")
    with Connection(config["AMQP_URI"]):
        Publisher(config["AMQP_URI"], exchange=exchange, declare=[exchange], serializer="json").publish(
            payload, routing_key="api_client_created")
