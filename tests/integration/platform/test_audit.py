"""The audit trail every command gets from shared.endpoints (through the probe service): one row
per command in the same transaction, a failure row instead of an 'ok' one, nothing for replays,
append-only enforced by PostgreSQL, and each service's ``audit_entries``."""

import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from services.tenants.service import TenantsService
from shared import audit
from shared.config import database_url
from shared.db import ServiceDatabase
from shared.errors import Conflict, Forbidden, ValidationError
from tests.support.probe import ProbeService

A, B, C = (str(uuid.uuid4()) for _ in range(3))


@pytest.fixture
def probe(start_services, onboard, rpc_client, tokens):
    config = start_services(TenantsService, ProbeService)
    onboard("tongling")
    client = rpc_client("tongling", tokens.make("tongling", "tenant_admin", subject="user:alice"))
    client.config = config
    return client


@pytest.fixture
def db(probe):
    engine = create_engine(database_url(probe.config, "probe"))
    yield engine
    engine.dispose()


def rows(engine, where="true", **params):
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM t_tongling.audit_log WHERE {where} ORDER BY id"), params).all()


def test_a_command_appends_exactly_one_row_with_who_what_and_ids(probe, db):
    probe.probe.write_note({"body": "张三 13912345678", "target_id": A.upper(), "noted": [B],
                            "detail": {"revealed": ["nothing"]}, "result_id": C})
    [row] = rows(db)
    assert (row.service, row.method, row.subject, row.outcome) == ("probe", "write_note", "user:alice", "ok")
    assert row.roles == [{"role": "tenant_admin"}]
    assert row.object_ids == [A, C, B]  # payload ids (canonical), result ids, noted ids
    assert row.call_id.startswith("probe.write_note.")
    assert row.detail == {"revealed": ["nothing"]}
    assert row.at is not None
    assert "张三" not in str(tuple(row)) and "13912345678" not in str(tuple(row))  # no payload bodies


def test_a_failing_command_leaves_a_failure_row_and_no_ok_row(probe, db):
    with pytest.raises(Conflict):
        probe.probe.write_note({"fail": True, "target_id": A, "noted": [B]})
    assert probe.probe.count_notes() == 0  # the note it wrote was rolled back
    [row] = rows(db)
    assert (row.method, row.outcome, row.subject) == ("write_note", "conflict", "user:alice")
    assert row.object_ids == [A, B]  # what it was about, noted ids included
    with pytest.raises(ValidationError):
        probe.probe.write_note()  # wrong arguments: refused after the tenant was entered
    assert [r.outcome for r in rows(db)] == ["conflict", "validation_error"]
    assert rows(db, "outcome = 'ok'") == []


def test_queries_write_nothing_and_idempotent_replays_add_no_row(probe, db, rpc_client, tokens):
    probe.probe.count_notes()
    assert rows(db) == []
    retrying = rpc_client("tongling", tokens.admin("tongling"), idempotency_key="note-1")
    first = retrying.probe.write_note({"body": "x", "target_id": A})
    assert retrying.probe.write_note({"body": "x", "target_id": A}) == first
    assert probe.probe.count_notes() == 1
    assert len(rows(db)) == 1
    with pytest.raises(Conflict):  # same key, other payload: refused, and audited as such
        retrying.probe.write_note({"body": "y", "target_id": A})
    assert [r.outcome for r in rows(db)] == ["ok", "conflict"]


@pytest.mark.parametrize("statement", [
    "UPDATE {table} SET outcome = 'ok'",
    "UPDATE {table} SET outcome = 'ok' WHERE false",  # refused even when it would touch nothing
    "DELETE FROM {table}",
    "TRUNCATE {table}",
])
def test_postgresql_refuses_to_change_or_remove_audit_rows(probe, db, statement):
    probe.probe.write_note({})
    for table in ("t_tongling.audit_log", "platform.audit_log"):
        with pytest.raises(DBAPIError) as refused, db.begin() as conn:
            conn.execute(text(statement.format(table=table)))
        assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
        assert "is append-only" in str(refused.value.orig)
    assert len(rows(db)) == 1


def test_record_access_writes_its_own_row_from_a_query_and_fails_closed(probe, db):
    assert probe.probe.reveal(A) == {"revealed": A}
    [row] = rows(db)
    assert (row.method, row.outcome, row.object_ids, row.detail) == ("reveal", "ok", [A], {"revealed": ["x"]})
    with db.begin() as conn:  # without its audit table the reveal must not happen
        conn.execute(text("ALTER TABLE t_tongling.audit_log RENAME TO audit_log_gone"))
    with pytest.raises(Exception) as error:
        probe.probe.reveal(B)
    assert "audit_log" in str(error.value)


def test_audit_entries_filters_and_pages_for_admins_only(probe, rpc_client, tokens):
    for target in (A, B, A):
        probe.probe.write_note({"target_id": target})
    with pytest.raises(Conflict):
        probe.probe.write_note({"target_id": B, "fail": True})
    everything = probe.probe.audit_entries({})
    assert [e["outcome"] for e in everything["items"]] == ["conflict", "ok", "ok", "ok"]  # newest first
    assert everything["next_cursor"] is None
    assert [e["object_ids"] for e in probe.probe.audit_entries({"object_id": A})["items"]] == [[A], [A]]
    assert len(probe.probe.audit_entries({"outcome": "conflict", "object_id": B.upper()})["items"]) == 1
    assert probe.probe.audit_entries({"subject": "user:bob"})["items"] == []
    assert probe.probe.audit_entries({"method": "write_note", "outcome": "ok"})["items"][0]["object_ids"] == [A]

    seen, cursor = [], None
    while True:
        page = probe.probe.audit_entries({"limit": 1, "cursor": cursor})
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in everything["items"]]

    newest = everything["items"][0]["at"]
    assert [e["outcome"] for e in probe.probe.audit_entries({"since": newest})["items"]] == ["conflict"]
    assert len(probe.probe.audit_entries({"until": newest})["items"]) == 3
    with pytest.raises(ValidationError):
        probe.probe.audit_entries({"cursor": "nonsense"})
    with pytest.raises(Forbidden):
        rpc_client("tongling", tokens.make("tongling", "grid_worker")).probe.audit_entries({})


def test_entries_for_subject_exports_one_subjects_rows(probe, db, rpc_client, tokens):
    probe.probe.write_note({"target_id": A})
    rpc_client("tongling", tokens.make("tongling", "tenant_admin", subject="user:bob")).probe.write_note({})
    session = ServiceDatabase(db).session("t_tongling")
    try:
        [mine] = audit.entries_for_subject(session, "user:alice")
    finally:
        session.close()
    assert (mine["method"], mine["object_ids"], mine["subject"]) == ("write_note", [A], "user:alice")
    assert isinstance(mine["at"], str) and isinstance(mine["id"], int)


def test_platform_commands_are_audited_in_the_platform_schema(probe, rpc_client, tokens):
    engine = create_engine(database_url(probe.config, "tenants"))
    with pytest.raises(Forbidden):
        probe.tenants.create_tenant({"slug": "sneaky", "name": "x", "division_code": "340700"})
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT method, subject, tenant, outcome, roles FROM platform.audit_log ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in found] == [
        ("create_tenant", "operator:test", "tongling", "ok", [{"role": "platform_operator"}]),
        ("create_tenant", "user:alice", "sneaky", "forbidden", [{"role": "tenant_admin"}]),
    ]
