"""A tenant table for the probe service.

Revision ID: p0001
"""

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None


def upgrade():
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))


def downgrade():
    op.drop_table("notes")
