"""Per-tenant alembic migrations. Each service's ``migrations/`` holds plain alembic revisions
written without a schema; they run once per tenant schema with ``search_path`` set to it, on a
connection (and in a transaction) that the caller owns.

A service's ``migrations/env.py`` is just::

    from shared.migrations import run_migrations
    run_migrations()
"""

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from shared.config import REPO_ROOT

# alembic's `context` and `op` are process-wide proxies: two green threads migrating at once
# would run each other's operations on the wrong connection. One migration at a time per process
# (threading.Lock is green under eventlet's monkey patch).
_alembic_lock = threading.Lock()


_elsewhere = {}


def register_migrations(service, path):
    """Use ``path`` for a service whose migrations are not in services/<name>/migrations
    (services that live outside the tree, such as test services)."""
    _elsewhere[service] = Path(path)


def migrations_dir(service):
    return _elsewhere.get(service) or REPO_ROOT / "services" / service / "migrations"


def alembic_config(service, connection=None, schema=None):
    config = Config()
    config.set_main_option("script_location", str(migrations_dir(service)))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def head_revision(service):
    return ScriptDirectory.from_config(alembic_config(service)).get_current_head()


def current_revision(connection, schema):
    context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return context.get_current_revision()


def upgrade_tenant(connection, service, schema, revision="head"):
    """Create ``schema`` if needed and upgrade it; idempotent. Returns the revision reached."""
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    with _alembic_lock:
        command.upgrade(alembic_config(service, connection, schema), revision)
    return current_revision(connection, schema)


def run_migrations():
    """Body of every service's alembic env.py."""
    from alembic import context

    connection = context.config.attributes["connection"]
    schema = context.config.attributes["schema"]
    if connection is None or schema is None:
        raise RuntimeError("run migrations through shared.migrations.upgrade_tenant (gongjian migrate)")
    connection.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
    context.configure(connection=connection, version_table_schema=schema, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
