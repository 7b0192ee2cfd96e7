"""Tables of the tenants service. The registry itself is ``platform.tenants`` (shared with every
service's replica, see shared.platform_tables); onboarding progress and API clients live here."""

import uuid

from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.platform_tables import PLATFORM_SCHEMA

platform_metadata = MetaData(schema=PLATFORM_SCHEMA)

# One row per (tenant, service): pending → provisioned | failed; visible and re-runnable.
provisioning = Table(
    "tenant_provisioning",
    platform_metadata,
    Column("tenant", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("schema_revision", Text),
    Column("error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant", "service"),
)


class Base(DeclarativeBase):
    """Tenant-schema tables (no schema set: each tenant's schema is injected per call)."""


class ApiClient(Base):
    __tablename__ = "api_clients"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    roles: Mapped[list] = mapped_column(JSONB, nullable=False)
    secret_hash: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    revoked_at = mapped_column(DateTime(timezone=True))
    last_used_at = mapped_column(DateTime(timezone=True))
