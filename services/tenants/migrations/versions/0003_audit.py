"""The audit trail (shared.audit): append-only ``audit_log`` in the tenant schema.

Revision ID: 0003
"""

from shared.audit import create_audit_log, drop_audit_log

revision = "0003"
down_revision = "0002"


def upgrade():
    create_audit_log()


def downgrade():
    drop_audit_log()
