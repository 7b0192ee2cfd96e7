"""Service-wide tables in each service database's ``platform`` schema.

Every service keeps the same five: a replica of the tenant registry (so it can refuse unknown or
suspended tenants without asking `tenants`), the outbox and inbox that make events reliable,
parked (dead-letter) events and idempotency records. They carry a ``tenant`` column; rows of one
tenant are never joined with another's.
"""

from sqlalchemy import (
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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

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
