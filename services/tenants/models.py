"""Tables of the tenants service. The registry itself is ``platform.tenants`` (shared with every
service's replica, see shared.platform_tables); onboarding progress and API clients live here."""

import uuid

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.platform_tables import PLATFORM_SCHEMA
from shared.types import Ltree

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
    permissions: Mapped[list] = mapped_column(ARRAY(Text), nullable=False, default=list)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    revoked_at = mapped_column(DateTime(timezone=True))
    last_used_at = mapped_column(DateTime(timezone=True))


def _now():
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Person(Base):
    """A resident, member, volunteer or staff member. Contact addresses are not here: they live
    sealed in ``contact_points`` (see shared.pii)."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    home_node_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    home_path: Mapped[str | None] = mapped_column(Ltree)
    status: Mapped[str] = mapped_column(Text, nullable=False, default="active")
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = _now()
    updated_at = _now()
    deactivated_at = mapped_column(DateTime(timezone=True))
    erased_at = mapped_column(DateTime(timezone=True))


class ContactPoint(Base):
    __tablename__ = "contact_points"

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"),
                                                 primary_key=True)
    channel: Mapped[str] = mapped_column(Text, primary_key=True)
    address_sealed: Mapped[bytes] = mapped_column(BYTEA, nullable=False)
    key_id: Mapped[str] = mapped_column(Text, nullable=False)
    address_hash: Mapped[bytes] = mapped_column(BYTEA, nullable=False)
    address_hint: Mapped[str] = mapped_column(Text, nullable=False)
    verified_at = mapped_column(DateTime(timezone=True))
    consent: Mapped[str | None] = mapped_column(Text)
    consent_at = mapped_column(DateTime(timezone=True))
    consent_source: Mapped[str | None] = mapped_column(Text)
    updated_at = _now()


class InboxConsent(Base):
    __tablename__ = "inbox_consent"

    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"),
                                                 primary_key=True)
    consent: Mapped[str] = mapped_column(Text, nullable=False)
    consent_at = mapped_column(DateTime(timezone=True), nullable=False)
    consent_source: Mapped[str] = mapped_column(Text, nullable=False)


class PersonRole(Base):
    __tablename__ = "person_roles"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"), nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    scope: Mapped[str | None] = mapped_column(Ltree)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    granted_by: Mapped[str] = mapped_column(Text, nullable=False)
    granted_at = _now()
    revoked_by: Mapped[str | None] = mapped_column(Text)
    revoked_at = mapped_column(DateTime(timezone=True))


class DataRequest(Base):
    """An export or erasure of one person's data across services, with per-service progress."""

    __tablename__ = "data_requests"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    services: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    requested_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = _now()
    updated_at = _now()
    completed_at = mapped_column(DateTime(timezone=True))
