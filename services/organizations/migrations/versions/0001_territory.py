"""Territory tree: street › community › grid › compound › building › unit.

PostgreSQL keeps the tree honest: the parent's kind is part of the foreign key and a CHECK lists
the valid (kind, parent kind) pairs; the ltree path has one label per level, ends with the node's
own id and has the depth of its kind; sibling codes and names are unique among active nodes.

Revision ID: 0001
"""

from alembic import op

revision = "0001"
down_revision = None

KIND_DEPTHS = (("street", 1), ("community", 2), ("grid", 3), ("compound", 4), ("building", 5),
               ("unit", 6))
PAIRS = (("street", None), ("community", "street"), ("grid", "community"), ("compound", "grid"),
         ("building", "compound"), ("unit", "building"))


def upgrade():
    kinds = ", ".join(f"'{kind}'" for kind, _ in KIND_DEPTHS)
    pairs = " OR ".join(
        f"(kind = '{kind}' AND parent_kind IS NULL)" if parent is None
        else f"(kind = '{kind}' AND parent_kind = '{parent}')"
        for kind, parent in PAIRS
    )
    depth = " ".join(f"WHEN '{kind}' THEN {level}" for kind, level in KIND_DEPTHS)
    op.execute(f"""
    CREATE TABLE nodes (
        id uuid PRIMARY KEY,
        kind text NOT NULL CONSTRAINT nodes_kind CHECK (kind IN ({kinds})),
        name text NOT NULL CONSTRAINT nodes_name CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        code text CONSTRAINT nodes_code CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{{0,39}}$'),
        parent_id uuid,
        parent_kind text,
        path ltree NOT NULL,
        lat double precision CONSTRAINT nodes_lat CHECK (lat BETWEEN -90 AND 90),
        lng double precision CONSTRAINT nodes_lng CHECK (lng BETWEEN -180 AND 180),
        location geography(Point, 4326) GENERATED ALWAYS AS (
            CASE WHEN lat IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography END) STORED,
        population integer CONSTRAINT nodes_population CHECK (population >= 0),
        households integer CONSTRAINT nodes_households CHECK (households >= 0),
        archived_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT nodes_id_kind UNIQUE (id, kind),
        CONSTRAINT nodes_parent FOREIGN KEY (parent_id, parent_kind) REFERENCES nodes (id, kind),
        CONSTRAINT nodes_parent_kind CHECK ({pairs}),
        CONSTRAINT nodes_path_unique UNIQUE (path),
        CONSTRAINT nodes_path_depth CHECK (nlevel(path) = CASE kind {depth} END),
        CONSTRAINT nodes_path_label CHECK (ltree2text(subpath(path, -1)) = replace(id::text, '-', '')),
        CONSTRAINT nodes_lat_lng CHECK ((lat IS NULL) = (lng IS NULL))
    )""")
    op.execute("CREATE INDEX nodes_path_gist ON nodes USING gist (path)")
    op.execute("CREATE INDEX nodes_parent_id ON nodes (parent_id)")
    op.execute("CREATE INDEX nodes_location ON nodes USING gist (location)")
    op.execute("CREATE INDEX nodes_kind_name ON nodes (kind, name, id)")
    op.execute("CREATE INDEX nodes_name ON nodes (name, id)")
    op.execute("""CREATE UNIQUE INDEX nodes_sibling_code ON nodes (parent_id, code) NULLS NOT DISTINCT
                  WHERE code IS NOT NULL AND archived_at IS NULL""")
    op.execute("""CREATE UNIQUE INDEX nodes_sibling_name ON nodes (parent_id, name) NULLS NOT DISTINCT
                  WHERE archived_at IS NULL""")


def downgrade():
    op.execute("DROP TABLE nodes")
