"""Creating and dropping service databases (setup, CLI and tests). Needs a role that may
CREATE DATABASE and CREATE EXTENSION (the local ``postgres`` role under trust auth)."""

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from shared.config import database_url
from shared.db import EXTENSIONS, ensure_platform_schema


def _admin_engine(url):
    admin_url = make_url(url).set(database="postgres")
    return create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def database_exists(url):
    name = make_url(url).database
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())
    finally:
        engine.dispose()


def create_database(url):
    """Create the database (if missing) with the extensions every service relies on."""
    name = make_url(url).database
    if not database_exists(url):
        engine = _admin_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for extension in EXTENSIONS:
                conn.execute(text(f'CREATE EXTENSION IF NOT EXISTS "{extension}"'))
    finally:
        engine.dispose()


def prepare_service_database(config, service, extra_metadata=()):
    url = database_url(config, service)
    create_database(url)
    engine = create_engine(url)
    try:
        ensure_platform_schema(engine, *extra_metadata)
    finally:
        engine.dispose()


def drop_database(url):
    name = make_url(url).database
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


def empty_database(url):
    """Drop every tenant schema and empty the platform tables (between tests)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for (schema,) in conn.execute(text(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'"
            )):
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'platform'")).scalars().all()
            if tables:
                # platform.audit_log refuses TRUNCATE (a trigger); only a superuser emptying a
                # test or development database may switch triggers off like this.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("TRUNCATE " + ", ".join(f'platform."{t}"' for t in tables) + " CASCADE"))
    finally:
        engine.dispose()
