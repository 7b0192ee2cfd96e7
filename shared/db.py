"""Database access: one engine per service database, sessions bound to one tenant schema.

Tenant tables are declared without a schema; a tenant session's engine carries
``schema_translate_map={None: "t_<slug>"}`` so every ORM/Core statement is qualified with the
tenant's schema. ``text()`` SQL is not translated: qualify it explicitly or don't use it for
tenant tables.

psycopg is the C build with its wait function forced green by importing ``shared.green_psycopg``
(where in the import order does not matter: psycopg looks the wait function up at every wait);
``create_service_engine`` refuses to start if that did not take.
"""

import time

import psycopg
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.orm import Session

from shared import green_psycopg, platform_tables
from shared.config import database_url, setting

EXTENSIONS = ("postgis", "ltree", "btree_gist")
PLATFORM_LOCK_ID = 7_221_001  # advisory lock serialising platform DDL between replicas
PING_AFTER_IDLE_SECONDS = 10.0
# The read pool's connections: PostgreSQL refuses any write (SQLSTATE 25006) in their autocommit
# transactions — INSERT/UPDATE/DELETE, writes hidden in a CTE or a function, SELECT … FOR UPDATE,
# nextval(), DDL — so a @query can never commit a change on its own.
READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"


def create_service_engine(config, service, read_only=False, **overrides):
    """The service database's engine. ``read_only`` gives the pool query endpoints use: its
    connections stay in autocommit (one round trip per SELECT, nothing to reset on return) and
    PostgreSQL refuses writes on them (``default_transaction_read_only``)."""
    green_psycopg.require_green_wait()
    connect_args = {
        "application_name": f"gongjian-{service}",
        # No server-side prepared statements: with a schema per tenant every tenant has its own
        # statement text, so per-connection prepare caches would churn as tenants grow.
        "prepare_threshold": None,
    }
    options = dict(
        pool_size=int(setting(config, "DB_POOL_SIZE")),
        max_overflow=int(setting(config, "DB_POOL_SIZE")),
        pool_recycle=1800,
        connect_args=connect_args,
    )
    if read_only:
        connect_args["options"] = READ_ONLY_OPTIONS
        options.update(isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
    options.update(overrides)
    engine = create_engine(database_url(config, service), **options)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine):
    """Like pool_pre_ping, but only for connections idle long enough to have gone stale: a busy
    service keeps its connections warm and saves a round trip on every call."""

    @event.listens_for(engine, "checkin")
    def remember_checkin(dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dbapi_connection.execute("SELECT 1")
        except psycopg.Error:
            raise exc.DisconnectionError("stale pooled connection") from None  # pool reconnects


class ServiceDatabase:
    """A service's database: its engine and per-tenant bindings (cached, so cost is per call,
    not per tenant)."""

    def __init__(self, engine, read_engine=None):
        self.engine = engine
        self.read_engine = read_engine or engine
        self._binds = {}

    def bind_for(self, schema, read_only=False):
        key = (schema, read_only)
        bind = self._binds.get(key)
        if bind is None:
            engine = self.read_engine if read_only else self.engine
            bind = engine if schema is None else engine.execution_options(
                schema_translate_map={None: schema})
            self._binds[key] = bind
        return bind

    def session(self, schema=None, read_only=False):
        """A new Session; with ``schema`` every unqualified table lives in that tenant schema.
        ``read_only`` sessions autocommit each SELECT; PostgreSQL refuses their writes."""
        return Session(bind=self.bind_for(schema, read_only), expire_on_commit=False, autoflush=True)

    def dispose(self):
        self.engine.dispose()
        self.read_engine.dispose()


def ensure_platform_schema(engine, *extra_metadata):
    """Create the platform schema and its tables if missing (idempotent, safe across replicas)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": PLATFORM_LOCK_ID})
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{platform_tables.PLATFORM_SCHEMA}"'))
        platform_tables.metadata.create_all(conn, checkfirst=True)
        for metadata in extra_metadata:
            metadata.create_all(conn, checkfirst=True)


def schema_exists(conn, schema):
    return bool(
        conn.execute(
            text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"), {"s": schema}
        ).scalar()
    )
