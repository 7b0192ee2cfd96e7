"""Crashes between commit and publish lose nothing and double nothing.

The tenants service runs as a real process and is killed (-9) at the worst moments; the probe
service consumes tenants' api_client_created events and records one row per handled event.
Lost effects and doubled effects must both be zero."""

import pytest
from kombu import Connection, Queue
from sqlalchemy import create_engine, func, select

from shared import platform_tables
from shared.config import database_url
from shared.relay import event_exchange
from shared.testing.helpers import RpcClient, onboard_tenant, wait_for
from shared.testing.processes import ServiceProcess, write_config
from tests.support.probe import FAILURES, ProbeService, effects


@pytest.fixture
def crashable(gj_config, container_factory, tokens, tmp_path):
    FAILURES["remaining"] = 0
    gj_config["PROVISIONED_SERVICES"] = ["tenants"]
    config_file = write_config(gj_config, tmp_path / "config.yaml")
    write_config({**gj_config, "OUTBOX_RELAY_ENABLED": False}, tmp_path / "no-relay.yaml")
    tenants = ServiceProcess("tenants", config_file, tmp_path / "tenants.log")
    tenants.start()
    container_factory(ProbeService, gj_config).start()
    operator = RpcClient(gj_config, token=tokens.operator())
    wait_for(lambda: _answers(operator), timeout=60, message="tenants process")
    onboard_tenant(operator, "tongling")
    wait_for(lambda: unpublished(gj_config) == 0, message="onboarding events out")
    # A raw queue on the same exchange counts every copy the broker delivers.
    copies = Queue("fault-copies", exchange=event_exchange("tenants"), routing_key="api_client_created")
    with Connection(gj_config["AMQP_URI"]) as conn:
        copies(conn).declare()
    yield gj_config, tenants, operator, tmp_path
    tenants.stop()
    operator.stop()


def _answers(operator):
    probe = RpcClient(operator.config, token=operator.token, timeout=2)
    try:
        probe.tenants.list_tenants({})
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False
    finally:
        probe.stop()


def create_client(config, tokens, name):
    client = RpcClient(config, tenant="tongling", token=tokens.admin("tongling"))
    try:
        return client.tenants.create_api_client({"name": name, "roles": [{"role": "resident"}]})
    finally:
        client.stop()


def count(config, service, statement):
    engine = create_engine(database_url(config, service))
    try:
        with engine.connect() as conn:
            return conn.execute(statement).scalar()
    finally:
        engine.dispose()


def effect_count(config, name):
    return count(config, "probe", select(func.count()).select_from(effects).where(effects.c.name == name))


def unpublished(config):
    outbox = platform_tables.outbox
    return count(config, "tenants", select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))


def broker_copies(config):
    with Connection(config["AMQP_URI"]) as conn:
        return conn.default_channel.queue_declare("fault-copies", passive=True).message_count


def restart(tenants, operator, config_file=None, **env):
    tenants.kill()
    if config_file is not None:
        tenants.config_file = config_file
    tenants.start(**env)
    wait_for(lambda: _answers(operator), timeout=60, message="restarted tenants process")


def test_relay_dead_between_commit_and_publish(crashable, tokens):
    config, tenants, operator, folder = crashable
    restart(tenants, operator, folder / "no-relay.yaml")  # changes commit; nothing publishes them
    create_client(config, tokens, "committed-only")
    assert unpublished(config) == 1
    tenants.kill()  # dies with the event only in the outbox

    tenants.config_file = folder / "config.yaml"
    tenants.start()
    wait_for(lambda: effect_count(config, "committed-only") == 1, timeout=60, message="effect after restart")
    assert unpublished(config) == 0
    assert broker_copies(config) == 1


def test_crash_after_publish_before_marking_sent(crashable, tokens):
    config, tenants, operator, folder = crashable
    restart(tenants, operator, GONGJIAN_FAULTS="relay.after_publish")  # dies before marking sent
    create_client(config, tokens, "published-then-crashed")
    wait_for(tenants.exited, timeout=30, message="the injected crash")
    assert tenants.returncode == 137
    assert unpublished(config) == 1

    tenants.start()  # republishes the same event on restart
    wait_for(lambda: unpublished(config) == 0, timeout=60, message="re-publish")
    wait_for(lambda: broker_copies(config) == 2, timeout=30, message="the duplicate copy")
    wait_for(lambda: effect_count(config, "published-then-crashed") >= 1, timeout=30, message="effect")
    inbox = platform_tables.inbox
    wait_for(lambda: count(config, "probe", select(func.count()).select_from(inbox)
                           .where(inbox.c.consumer == "probe.on_client_created")) == 1, message="inbox")
    assert effect_count(config, "published-then-crashed") == 1  # two deliveries, one effect

