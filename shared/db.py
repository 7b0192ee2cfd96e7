"""Database access: one engine per service database, sessions bound to one tenant schema.

Tenant tables are declared without a schema; a tenant session's engine carries
``schema_translate_map={None: "t_<slug>"}`` so every ORM/Core statement is qualified with the
tenant's schema. ``text()`` SQL is not translated: qualify it explicitly or don't use it for
tenant tables.
"""

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from shared import platform_tables
from shared.config import database_url, setting

EXTENSIONS = ("postgis", "ltree", "btree_gist")
PLATFORM_LOCK_ID = 7_221_001  # advisory lock serialising platform DDL between replicas


def require_pure_python_psycopg():
    # The C implementation blocks eventlet's hub: 10 parallel queries would run one by one.
    if psycopg.pq.__impl__ != "python":
        raise RuntimeError(
            f"psycopg uses its {psycopg.pq.__impl__} implementation; install plain 'psycopg' "
            "(no [binary]/[c]) so queries stay green under eventlet"
        )


def create_service_engine(config, service, **overrides):
    require_pure_python_psycopg()
    options = dict(
        pool_size=int(setting(config, "DB_POOL_SIZE")),
        max_overflow=int(setting(config, "DB_POOL_SIZE")),
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"application_name": f"gongjian-{service}"},
    )
    options.update(overrides)
    return create_engine(database_url(config, service), **options)


class ServiceDatabase:
    """A service's database: its engine and per-tenant bindings (cached, so cost is per call,
    not per tenant)."""

    def __init__(self, engine):
        self.engine = engine
        self._tenant_binds = {}

    def bind_for(self, schema):
        if schema is None:
            return self.engine
        bind = self._tenant_binds.get(schema)
        if bind is None:
            bind = self.engine.execution_options(schema_translate_map={None: schema})
            self._tenant_binds[schema] = bind
        return bind

    def session(self, schema=None):
        """A new Session; with ``schema`` every unqualified table lives in that tenant schema."""
        return Session(bind=self.bind_for(schema), expire_on_commit=False, autoflush=True)

    def dispose(self):
        self.engine.dispose()


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
