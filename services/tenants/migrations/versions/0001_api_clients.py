"""API clients of a tenant.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "api_clients",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("roles", JSONB, nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100", name="api_clients_name_length"),
    )
    op.create_index("api_clients_name", "api_clients", ["name"], unique=True,
                    postgresql_where=sa.text("revoked_at IS NULL"))


def downgrade():
    op.drop_table("api_clients")
