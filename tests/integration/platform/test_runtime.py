"""Runtime guarantees: green database access (psycopg's C build), a read pool PostgreSQL keeps
read-only, RPC timeouts, context propagation, health."""

import time

import psycopg
import pytest
import requests
from eventlet.greenpool import GreenPool
from nameko.web.server import WebServer
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from services.tenants.service import TenantsService
from shared.db import ServiceDatabase, create_service_engine
from shared.errors import ServiceTimeout
from tests.support.probe import ProbeService, SleepyService, notes


@pytest.fixture
def tongling(start_services, container_factory, onboard, rpc_client, tokens):
    config = start_services(TenantsService, ProbeService)
    container_factory(SleepyService, config).start()
    onboard("tongling")
    return rpc_client("tongling", tokens.admin("tongling"))


def test_psycopg_is_the_c_build_waiting_through_eventlets_select():
    assert psycopg.pq.__impl__ in ("binary", "c")
    assert psycopg.waiting.wait is psycopg.waiting.wait_select  # not the hub-blocking wait_c


def test_ten_slow_queries_through_the_service_engine_run_side_by_side(gj_databases):
    engine = create_service_engine(gj_databases, "probe")

    def nap(seconds):
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_sleep(:s)"), {"s": seconds}).scalar()

    try:
        list(GreenPool(10).imap(nap, [0] * 10))  # ten pooled connections, already open
        started = time.monotonic()
        list(GreenPool(10).imap(nap, [0.3] * 10))
        elapsed = time.monotonic() - started
    finally:
        engine.dispose()
    # One after another (psycopg's default wait_c blocks the hub) they take 3 s.
    assert elapsed < 1.0, f"10 x pg_sleep(0.3) took {elapsed:.2f}s: psycopg is not green"


def test_ten_slow_queries_run_side_by_side(tongling, rpc_client, tokens):
    clients = [rpc_client("tongling", tokens.admin("tongling")) for _ in range(10)]
    clients[0].probe.slow(0)  # warm up
    started = time.monotonic()
    assert list(GreenPool(10).imap(lambda c: c.probe.slow(0.3), clients)) == [0.3] * 10
    elapsed = time.monotonic() - started
    # Serialised they would take 3 s; run side by side they take one sleep plus overhead.
    assert elapsed < 1.5, f"10 x pg_sleep(0.3) took {elapsed:.2f}s: the service is not green"


def test_postgresql_refuses_writes_through_the_read_pool(tongling, gj_databases):
    """The pool @query endpoints use autocommits: PostgreSQL itself (default_transaction_read_only)
    refuses every kind of write with SQLSTATE 25006, including those no statement prefix shows."""
    database = ServiceDatabase(create_service_engine(gj_databases, "probe"),
                               create_service_engine(gj_databases, "probe", read_only=True))
    writes = [
        insert(notes).values(body="x"),
        text("WITH gone AS (DELETE FROM t_tongling.notes RETURNING id) SELECT count(*) FROM gone"),
        text("SELECT id FROM t_tongling.notes FOR UPDATE"),
        text("SELECT nextval('t_tongling.notes_id_seq')"),
        text("CREATE TABLE t_tongling.sneaky (id int)"),
    ]
    before = tongling.probe.count_notes()
    try:
        for statement in writes:
            session = database.session("t_tongling", read_only=True)
            try:
                with pytest.raises(DBAPIError) as refused:
                    session.execute(statement)
            finally:
                session.close()
            assert isinstance(refused.value.orig, psycopg.errors.ReadOnlySqlTransaction), statement
            assert refused.value.orig.sqlstate == "25006"
        with database.session("t_tongling") as writer:  # the write pool is not affected
            writer.execute(insert(notes).values(body="kept"))
            writer.commit()
        with database.session("t_tongling", read_only=True) as reader:
            assert reader.execute(select(func.count()).select_from(notes)).scalar() == before + 1
    finally:
        database.dispose()
    assert tongling.probe.count_notes() == before + 1


def test_service_to_service_calls_time_out(tongling):
    started = time.monotonic()
    with pytest.raises(ServiceTimeout) as error:
        tongling.probe.ask_sleepy()
    assert error.value.details == {"service": "sleepy", "method": "nap"}
    assert time.monotonic() - started < 4


def test_the_callers_identity_travels_with_nested_calls(tongling, rpc_client, tokens):
    client = tongling.tenants.create_api_client({"name": "x", "roles": [{"role": "resident"}]})
    assert tongling.probe.who_am_i_via_tenants(client["client_id"])["name"] == "x"
    resident = rpc_client("tongling", tokens.make("tongling", "resident"))
    with pytest.raises(Exception) as error:  # tenants sees the resident, not the probe service
        resident.probe.who_am_i_via_tenants(client["client_id"])
    assert type(error.value).__name__ == "Forbidden"


def test_health_and_metrics_over_http(start_services, container_factory, gj_config):
    container = container_factory(TenantsService, gj_config)
    container.start()
    server = next(e for e in container.extensions if isinstance(e, WebServer))
    base = f"http://127.0.0.1:{server._sock.getsockname()[1]}"
    health = requests.get(f"{base}/health", timeout=5)
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["outbox"]["unpublished"] == 0
    metrics = requests.get(f"{base}/metrics", timeout=5).text
    assert 'gongjian_worker_calls_total{method="http_health",outcome="ok",service="tenants"}' in metrics
    assert "gongjian_outbox_backlog" in metrics


def test_any_service_by_name_carries_the_context_and_times_out(tongling, rpc_client, tokens):
    client = tongling.tenants.create_api_client({"name": "y", "roles": [{"role": "resident"}]})
    assert tongling.probe.call_any("tenants", "get_api_client", client["client_id"])["name"] == "y"
    resident = rpc_client("tongling", tokens.make("tongling", "resident"))
    with pytest.raises(Exception) as error:
        resident.probe.call_any("tenants", "get_api_client", client["client_id"])
    assert type(error.value).__name__ == "Forbidden"
    started = time.monotonic()
    with pytest.raises(ServiceTimeout) as error:
        tongling.probe.call_any("sleepy", "nap")
    assert error.value.details == {"service": "sleepy", "method": "nap"}
    assert time.monotonic() - started < 4
    with pytest.raises(Exception) as error:
        tongling.probe.call_any("nobody", "nap")
    assert error.value.exc_type == "UnknownService"
