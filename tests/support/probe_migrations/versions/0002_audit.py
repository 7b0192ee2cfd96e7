"""The audit trail (shared.audit), as every service has it.

Revision ID: p0002
"""

from shared.audit import create_audit_log, drop_audit_log

revision = "p0002"
down_revision = "p0001"


def upgrade():
    create_audit_log()


def downgrade():
    drop_audit_log()
