"""Emergency mode (平战转换): an activation for one venue or a territory subtree, and the venues
it put on duty with their staging-point role. A venue is on duty while any active activation
lists it; the role of its newest activation is copied onto the venue for the map.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"

EMERGENCY_ROLES = ("assembly_point", "testing_site", "supply_depot", "rest_area", "command_post")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.execute(f"""
    CREATE TABLE emergency_activations (
        id uuid PRIMARY KEY,
        scope text NOT NULL CONSTRAINT emergency_scope CHECK (scope IN ('venue', 'subtree')),
        venue_id uuid REFERENCES venues (id),
        node_id uuid REFERENCES nodes (id),
        path ltree,
        reason text NOT NULL,
        default_role text NOT NULL CONSTRAINT emergency_default_role CHECK (default_role IN ({_in(EMERGENCY_ROLES)})),
        status text NOT NULL CONSTRAINT emergency_status CHECK (status IN ('active', 'ended')),
        bookings_cancelled integer NOT NULL DEFAULT 0,
        activated_by text NOT NULL,
        activated_at timestamptz NOT NULL,
        deactivated_by text,
        deactivated_at timestamptz,
        CONSTRAINT emergency_target CHECK (
            (scope = 'venue' AND venue_id IS NOT NULL AND node_id IS NULL)
            OR (scope = 'subtree' AND node_id IS NOT NULL AND path IS NOT NULL AND venue_id IS NULL))
    )""")
    op.execute("CREATE INDEX emergency_active_path ON emergency_activations USING gist (path) "
               "WHERE status = 'active'")
    op.execute(f"""
    CREATE TABLE emergency_venues (
        activation_id uuid NOT NULL REFERENCES emergency_activations (id),
        venue_id uuid NOT NULL REFERENCES venues (id),
        role text NOT NULL CONSTRAINT emergency_venues_role CHECK (role IN ({_in(EMERGENCY_ROLES)})),
        PRIMARY KEY (activation_id, venue_id)
    )""")
    op.execute("CREATE INDEX emergency_venues_venue ON emergency_venues (venue_id)")


def downgrade():
    op.execute("DROP TABLE emergency_venues")
    op.execute("DROP TABLE emergency_activations")
