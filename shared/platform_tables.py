"""Service-wide tables in each service database's ``platform`` schema.

Every service keeps the same six: a replica of the tenant registry (so it can refuse unknown or
suspended tenants without asking `tenants`), the outbox and inbox that make events reliable,
parked (dead-letter) events, idempotency records and the audit trail of platform-level commands
(``tenant=False``; tenant commands are audited in the tenant's schema, see shared.audit). They
carry a ``tenant`` column; rows of one tenant are never joined with another's.
"""

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

PLATFORM_SCHEMA = "platform"

metadata = MetaData(schema=PLATFORM_SCHEMA)

tenants = Table(
    "tenants",
    metadata,
    Column("slug", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("division_code", Text, nullable=False),
    Column("timezone", Text, nullable=False, server_default="Asia/Shanghai"),
    Column("locale", Text, nullable=False, server_default="zh-CN"),
    Column("status", Text, nullable=False),
    # Bumped on every status change so replicas apply events in order, whatever order they arrive in.
    Column("revision", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("tenant", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("call_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("publish_attempts", Integer, nullable=False, server_default="0"),
    Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
)

inbox = Table(
    "inbox",
    metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", UUID(as_uuid=False), nullable=False),
    Column("tenant", Text, nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("consumer", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("tenant", Text),
    Column("source_service", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replayed_at", DateTime(timezone=True)),
    UniqueConstraint("consumer", "event_id"),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("tenant", Text, nullable=False),
    Column("rpc", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant", "rpc", "key"),
)


def append_only_ddl(table, function):
    """SQL making ``table`` append-only: one statement-level trigger refuses UPDATE, DELETE and
    TRUNCATE (statement level, so even an UPDATE matching no row is refused). Names may be
    schema-qualified; unqualified ones land in the first schema of search_path."""
    return (
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % is refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit rows are never changed or removed; they go with the tenant schema';
END
$$""",
        f"""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC",
    )


def audit_columns():
    """The columns of an audit table (shared.audit): who, what, when, call id, outcome. Fresh
    Column objects on each call, for each table and migration that needs them."""
    return [
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("service", Text, nullable=False),
        Column("method", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("roles", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        Column("object_ids", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
        Column("call_id", Text),
        Column("outcome", Text, nullable=False),
        Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    ]


# Audit rows of platform-level commands (create_tenant, suspend_tenant, …): the columns of the
# tenant ``audit_log`` (shared.audit) plus the tenant the command was about.
audit_log = Table(
    "audit_log",
    metadata,
    *audit_columns(),
    Column("tenant", Text),
    Index("platform_audit_log_at", text("at DESC"), text("id DESC")),
    Index("platform_audit_log_tenant", "tenant", text("at DESC")),
)
for _statement in append_only_ddl(f"{PLATFORM_SCHEMA}.audit_log", f"{PLATFORM_SCHEMA}.audit_log_refuse_change"):
    event.listen(audit_log, "after_create", DDL(_statement.replace("%", "%%")))
