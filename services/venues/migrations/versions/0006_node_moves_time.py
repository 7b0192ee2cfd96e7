"""Every node event asks the move log for moves newer than itself: index that question.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade():
    op.execute("CREATE INDEX node_moves_occurred_at ON node_moves (occurred_at)")


def downgrade():
    op.execute("DROP INDEX node_moves_occurred_at")
