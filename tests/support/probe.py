"""``probe``: a test-only service built on the platform like any other. It records the effects
of events it consumes (to count lost and doubled effects), runs slow queries (greenness) and
calls other services (RPC timeouts and context propagation)."""

from pathlib import Path

import eventlet
from marshmallow import fields
from nameko.rpc import rpc as nameko_rpc
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func, insert, select, text

from shared import audit
from shared.endpoints import command, query
from shared.errors import Conflict
from shared.events import on_event
from shared.rpc import ServiceRpc, ServiceRpcs, rpc
from shared.schemas import Event
from shared.service import GongjianService

metadata = MetaData(schema="platform")
effects = Table(
    "probe_effects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Text, nullable=False),  # deliberately not unique: the inbox must dedupe
    Column("tenant", Text, nullable=False),
    Column("name", Text),
    Column("seen_at", DateTime(timezone=True), server_default=func.now()),
)

# The probe's tenant table (probe_migrations/0001), for commands that write and then fail.
notes = Table("notes", MetaData(), Column("id", Integer, primary_key=True), Column("body", Text))

FAILURES = {"remaining": 0}  # how many more times on_client_created should fail


class ClientCreated(Event):
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.Dict())


class ProbeService(GongjianService):
    name = "probe"
    platform_metadata = (metadata,)
    migrations_path = Path(__file__).parent / "probe_migrations"
    tenants = ServiceRpc("tenants", timeout=0.5)
    sleepy = ServiceRpc("sleepy", timeout=0.5)
    services = ServiceRpcs(timeout=0.5)

    @on_event("tenants", "api_client_created", schema=ClientCreated())
    def on_client_created(self, scope, event):
        if FAILURES["remaining"] > 0:
            FAILURES["remaining"] -= 1
            raise RuntimeError("injected handler failure")
        scope.session.execute(
            insert(effects).values(event_id=str(event["event_id"]), tenant=event["tenant"], name=event["name"])
        )

    @rpc
    @query()
    def slow(self, scope, seconds):
        scope.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return seconds

    @rpc
    @query(tenant=False)
    def slow_platform_query(self, scope, seconds):
        """A slow read outside any tenant (operators), for shutdown tests."""
        scope.caller.require_operator()
        scope.session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return seconds

    @rpc
    @query()
    def count_effects(self, scope, name):
        return scope.session.execute(
            select(func.count()).select_from(effects).where(effects.c.name == name,
                                                            effects.c.tenant == scope.tenant_slug)
        ).scalar()

    @rpc
    @command()
    def write_note(self, scope, payload):
        """Writes a note and returns its ``note_id``; ``noted`` ids go to the audit row through
        audit.note; with ``fail`` it raises Conflict after writing (nothing may survive)."""
        note_id = scope.session.execute(insert(notes).values(body=payload.get("body", "")).returning(notes.c.id)).scalar()
        audit.note(scope, *payload.get("noted", ()), detail=payload.get("detail"))
        if payload.get("fail"):
            raise Conflict("refused after writing", {"note": note_id})
        return {"note": note_id, "venue_id": payload.get("result_id")}

    @rpc
    @query()
    def reveal(self, scope, thing_id):
        """A read that must be audited (audit.record_access) before it answers."""
        audit.record_access(scope, "reveal", thing_id, detail={"revealed": ["x"]})
        return {"revealed": thing_id}

    @rpc
    @query()
    def count_notes(self, scope):
        return scope.session.execute(select(func.count()).select_from(notes)).scalar()

    @rpc
    @command()
    def ask_sleepy(self, scope):
        return self.sleepy.nap()

    @rpc
    @query()
    def call_any(self, scope, service, method, *args):
        """Calls ``service.method(*args)`` by name (ServiceRpcs), with this call's context."""
        return getattr(self.services[service], method)(*args)

    @rpc
    @query()
    def who_am_i_via_tenants(self, scope, client_id):
        """Calls tenants with this call's context: the caller's token and tenant travel along."""
        return self.tenants.get_api_client(client_id)


class SleepyService:
    """Never answers in time."""

    name = "sleepy"

    @nameko_rpc
    def nap(self):
        eventlet.sleep(5)
        return "late"
