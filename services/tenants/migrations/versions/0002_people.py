"""People of a tenant: the registry, their contact points (encrypted, with a keyed hash for
lookups and uniqueness), consent, role grants, and API clients that may act for people.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, UUID

from shared.types import Ltree

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("api_clients", sa.Column("permissions", ARRAY(sa.Text), nullable=False,
                                           server_default="{}"))
    op.create_check_constraint("api_clients_permissions_known", "api_clients",
                               "permissions <@ ARRAY['delegate']::text[]")

    op.create_table(
        "people",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("home_node_id", UUID(as_uuid=True)),
        sa.Column("home_path", Ltree()),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("deactivated_at", sa.DateTime(timezone=True)),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100", name="people_name_length"),
        sa.CheckConstraint("status IN ('active', 'deactivated', 'erased')", name="people_status_known"),
        sa.CheckConstraint("(home_node_id IS NULL) = (home_path IS NULL)", name="people_home_has_path"),
    )
    # ltree for subtree filters (``home_path <@ scope``), as in organizations and venues.
    op.create_index("people_home_path", "people", ["home_path"], postgresql_using="gist")

    op.create_table(
        "contact_points",
        sa.Column("person_id", UUID(as_uuid=True), sa.ForeignKey("people.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        # AES-256-GCM ciphertext of the address; the key id says which key of the ring sealed it
        sa.Column("address_sealed", BYTEA, nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        # HMAC-SHA256 of tenant, channel and the normalised address: exact lookups, uniqueness
        sa.Column("address_hash", BYTEA, nullable=False),
        sa.Column("address_hint", sa.Text, nullable=False),  # the masked form shown to staff
        sa.Column("verified_at", sa.DateTime(timezone=True)),
        sa.Column("consent", sa.Text),
        sa.Column("consent_at", sa.DateTime(timezone=True)),
        sa.Column("consent_source", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("person_id", "channel"),
        sa.CheckConstraint("channel IN ('sms', 'wechat', 'email')", name="contact_points_channel_known"),
        sa.CheckConstraint("consent IS NULL OR consent IN ('given', 'withdrawn')",
                           name="contact_points_consent_known"),
        sa.CheckConstraint("(consent IS NULL) = (consent_at IS NULL)", name="contact_points_consent_dated"),
    )
    # One phone / openid / email per tenant: the hash is keyed per tenant and channel.
    op.create_index("contact_points_address", "contact_points", ["channel", "address_hash"], unique=True)
    op.create_index("contact_points_key", "contact_points", ["key_id"])

    # The in-app inbox needs no address; its consent lives here so every channel has one row shape.
    op.create_table(
        "inbox_consent",
        sa.Column("person_id", UUID(as_uuid=True), sa.ForeignKey("people.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("consent", sa.Text, nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_source", sa.Text, nullable=False),
        sa.CheckConstraint("consent IN ('given', 'withdrawn')", name="inbox_consent_known"),
    )

    op.create_table(
        "person_roles",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", UUID(as_uuid=True), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("scope", Ltree()),
        sa.Column("unit_id", UUID(as_uuid=True)),
        sa.Column("granted_by", sa.Text, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("revoked_by", sa.Text),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("(revoked_at IS NULL) = (revoked_by IS NULL)", name="person_roles_revocation"),
        sa.CheckConstraint("role NOT IN ('platform_operator', 'system')", name="person_roles_delegable"),
    )
    # A role is held once per scope/unit at a time; revoked grants stay as history.
    op.execute(
        "CREATE UNIQUE INDEX person_roles_active ON person_roles "
        "(person_id, role, coalesce(scope::text, ''), coalesce(unit_id::text, '')) "
        "WHERE revoked_at IS NULL"
    )
    op.create_index("person_roles_scope", "person_roles", ["scope"], postgresql_using="gist")

    # Export and erasure requests (PIPL arts. 45 and 47): per-service progress, re-runnable.
    op.create_table(
        "data_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("person_id", UUID(as_uuid=True), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("services", JSONB, nullable=False, server_default="{}"),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('export', 'erasure')", name="data_requests_kind_known"),
        sa.CheckConstraint("status IN ('running', 'complete')", name="data_requests_status_known"),
    )
    op.create_index("data_requests_person", "data_requests", ["person_id", "kind", "created_at"])


def downgrade():
    op.drop_table("data_requests")
    op.drop_table("person_roles")
    op.drop_table("inbox_consent")
    op.drop_table("contact_points")
    op.drop_table("people")
    op.drop_constraint("api_clients_permissions_known", "api_clients")
    op.drop_column("api_clients", "permissions")
