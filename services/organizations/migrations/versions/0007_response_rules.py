"""A tenant's own response time limits (whistle deadlines per urgency, case SLA per level).
One row at most; no row means the platform defaults.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade():
    op.execute("""
    CREATE TABLE response_rules (
        id smallint PRIMARY KEY DEFAULT 1 CONSTRAINT response_rules_single_row CHECK (id = 1),
        whistle_deadlines jsonb NOT NULL
            CONSTRAINT response_rules_whistle_deadlines CHECK (jsonb_typeof(whistle_deadlines) = 'object'),
        case_sla jsonb NOT NULL CONSTRAINT response_rules_case_sla CHECK (jsonb_typeof(case_sla) = 'object'),
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    )""")


def downgrade():
    op.execute("DROP TABLE response_rules")
