"""Replica of what organizations owns and venues reads: territory nodes (ltree paths, PostGIS
locations, population), resident units and their report-ins, co-building agreements and the
spaces they lend. Fed only by organizations' events (and, for a node an event has not brought
yet, one get_node RPC); coverage and permission queries run here, never across services.

``source_at`` is the ``occurred_at`` of the newest event applied to a row, so an older event
arriving late changes nothing. ``node_moves`` remembers subtree moves so a node event that was
emitted before a move but arrives after it gets the moved path; ``node_tombstones`` remembers
archivals that arrived before the node itself.

Revision ID: 0001
"""

from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.execute("""
    CREATE TABLE nodes (
        id uuid PRIMARY KEY,
        kind text NOT NULL,
        name text NOT NULL,
        code text,
        parent_id uuid,
        path ltree NOT NULL,
        lat double precision,
        lng double precision,
        location geography(Point, 4326) GENERATED ALWAYS AS (
            CASE WHEN lat IS NULL OR lng IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography END) STORED,
        population integer,
        households integer,
        archived_at timestamptz,
        source_at timestamptz,
        replicated_at timestamptz NOT NULL DEFAULT now()
    )""")
    op.execute("CREATE INDEX nodes_path ON nodes USING gist (path)")
    op.execute("CREATE INDEX nodes_location ON nodes USING gist (location)")
    op.execute("CREATE INDEX nodes_compounds ON nodes USING gist (path) "
               "WHERE kind = 'compound' AND archived_at IS NULL")
    op.execute("""
    CREATE TABLE node_moves (
        node_id uuid NOT NULL,
        old_path ltree NOT NULL,
        path ltree NOT NULL,
        occurred_at timestamptz NOT NULL,
        PRIMARY KEY (node_id, occurred_at)
    )""")
    op.execute("CREATE INDEX node_moves_old_path ON node_moves USING gist (old_path)")
    op.execute("""
    CREATE TABLE node_tombstones (
        node_id uuid PRIMARY KEY,
        occurred_at timestamptz NOT NULL
    )""")
    op.execute("""
    CREATE TABLE units (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL,
        credit_code text,
        source_at timestamptz NOT NULL
    )""")
    op.execute("""
    CREATE TABLE unit_communities (
        unit_id uuid NOT NULL,
        community_id uuid NOT NULL,
        community_path ltree NOT NULL,
        active boolean NOT NULL,
        source_at timestamptz NOT NULL,
        PRIMARY KEY (unit_id, community_id)
    )""")
    op.execute("CREATE INDEX unit_communities_path ON unit_communities USING gist (community_path)")
    op.execute("""
    CREATE TABLE agreements (
        id uuid PRIMARY KEY,
        unit_id uuid NOT NULL,
        community_id uuid NOT NULL,
        community_path ltree NOT NULL,
        status text NOT NULL,
        valid_from date NOT NULL,
        valid_until date,
        source_at timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX agreements_unit ON agreements (unit_id)")
    op.execute("CREATE INDEX agreements_path ON agreements USING gist (community_path)")
    op.execute("""
    CREATE TABLE lent_resources (
        id uuid PRIMARY KEY,
        agreement_id uuid NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
        kind text NOT NULL,
        name text NOT NULL,
        quantity integer NOT NULL,
        windows jsonb NOT NULL DEFAULT '[]',
        removed boolean NOT NULL DEFAULT false
    )""")
    op.execute("CREATE INDEX lent_resources_agreement ON lent_resources (agreement_id)")


def downgrade():
    for table in ("lent_resources", "agreements", "unit_communities", "units", "node_tombstones",
                  "node_moves", "nodes"):
        op.execute(f"DROP TABLE {table}")
