"""Party organisations with their seats (incl. part-time committee members), alliances with
members, council seats and activity days, pairings, community needs and co-building agreements
with resources (lending windows) and dated commitments.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"

ORG_NODES = {
    "working_committee": ("street",),
    "community_committee": ("community",),
    "general_branch": ("community", "grid"),
    "branch": ("community", "grid", "compound"),
    "group": ("grid", "compound", "building"),
    "member_household": ("building", "unit"),
}
ORG_PARENTS = {
    "working_committee": (None,),
    "community_committee": (None, "working_committee"),
    "general_branch": (None, "working_committee", "community_committee"),
    "branch": ("working_committee", "community_committee", "general_branch"),
    "group": ("branch", "general_branch"),
    "member_household": ("group", "branch"),
}
BRANCH_TYPES = ("grid", "compound", "home", "unit", "business_district")
SEAT_ROLES = ("secretary", "deputy_secretary", "member", "part_time_member")
COUNCIL_ROLES = ("chair", "vice_chair", "council_member")
NEED_CATEGORIES = ("elderly_care", "child_care", "environment", "safety", "culture", "health",
                   "employment", "space", "funding", "volunteers", "other")
RESOURCE_KINDS = ("space", "parking", "funding", "personnel", "equipment", "service", "other")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def _community_ref(table):
    return f"""community_id uuid NOT NULL,
        community_kind text NOT NULL DEFAULT 'community'
            CONSTRAINT {table}_community_kind CHECK (community_kind = 'community'),
        CONSTRAINT {table}_community FOREIGN KEY (community_id, community_kind)
            REFERENCES nodes (id, kind)"""


def upgrade():
    node_pairs = " OR ".join(f"(kind = '{kind}' AND node_kind IN ({_in(nodes)}))"
                             for kind, nodes in ORG_NODES.items())
    def parent_ok(parents):
        return " OR ".join("parent_kind IS NULL" if p is None else f"parent_kind = '{p}'" for p in parents)

    parent_pairs = " OR ".join(f"(kind = '{kind}' AND ({parent_ok(parents)}))"
                               for kind, parents in ORG_PARENTS.items())
    op.execute(f"""
    CREATE TABLE party_orgs (
        id uuid PRIMARY KEY,
        kind text NOT NULL CONSTRAINT party_orgs_kind CHECK (kind IN ({_in(ORG_NODES)})),
        name text NOT NULL CONSTRAINT party_orgs_name CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        node_id uuid NOT NULL,
        node_kind text NOT NULL,
        parent_id uuid,
        parent_kind text,
        branch_type text CONSTRAINT party_orgs_branch_type CHECK (branch_type IN ({_in(BRANCH_TYPES)})),
        unit_id uuid REFERENCES units (id),
        big_committee boolean NOT NULL DEFAULT false,
        founded_on date,
        dissolved_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT party_orgs_id_kind UNIQUE (id, kind),
        CONSTRAINT party_orgs_node FOREIGN KEY (node_id, node_kind) REFERENCES nodes (id, kind),
        CONSTRAINT party_orgs_parent FOREIGN KEY (parent_id, parent_kind) REFERENCES party_orgs (id, kind),
        CONSTRAINT party_orgs_node_kind CHECK ({node_pairs}),
        CONSTRAINT party_orgs_parent_kind CHECK ({parent_pairs}),
        CONSTRAINT party_orgs_branch CHECK ((kind = 'branch') = (branch_type IS NOT NULL)),
        CONSTRAINT party_orgs_big_committee CHECK (NOT big_committee
            OR kind IN ('working_committee', 'community_committee'))
    )""")
    op.execute("CREATE INDEX party_orgs_node ON party_orgs (node_id)")
    op.execute("CREATE INDEX party_orgs_parent_id ON party_orgs (parent_id)")
    op.execute("""CREATE UNIQUE INDEX party_orgs_name_per_node ON party_orgs (node_id, name)
                  WHERE dissolved_at IS NULL""")
    op.execute(f"""
    CREATE TABLE party_org_seats (
        id uuid PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES party_orgs (id),
        person_name text NOT NULL CONSTRAINT party_org_seats_name
            CHECK (length(btrim(person_name)) BETWEEN 1 AND 50),
        role text NOT NULL CONSTRAINT party_org_seats_role CHECK (role IN ({_in(SEAT_ROLES)})),
        unit_id uuid REFERENCES units (id),
        title text CONSTRAINT party_org_seats_title CHECK (length(title) <= 100),
        started_on date NOT NULL,
        ended_on date,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT party_org_seats_part_time_unit CHECK (role <> 'part_time_member' OR unit_id IS NOT NULL),
        CONSTRAINT party_org_seats_dates CHECK (ended_on IS NULL OR ended_on >= started_on)
    )""")
    op.execute("""CREATE UNIQUE INDEX party_org_seats_one_secretary ON party_org_seats (org_id)
                  WHERE role = 'secretary' AND ended_on IS NULL""")
    op.execute("""CREATE UNIQUE INDEX party_org_seats_person ON party_org_seats (org_id, person_name)
                  WHERE ended_on IS NULL""")
    op.execute("CREATE INDEX party_org_seats_unit ON party_org_seats (unit_id) WHERE unit_id IS NOT NULL")

    op.execute(f"""
    CREATE TABLE alliances (
        id uuid PRIMARY KEY,
        {_community_ref("alliances")},
        name text NOT NULL CONSTRAINT alliances_name CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        founded_on date NOT NULL,
        activity_day text CONSTRAINT alliances_activity_day CHECK (length(activity_day) <= 100),
        archived_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
    )""")
    op.execute("""CREATE UNIQUE INDEX alliances_one_per_community ON alliances (community_id)
                  WHERE archived_at IS NULL""")
    op.execute(f"""
    CREATE TABLE alliance_members (
        id uuid PRIMARY KEY,
        alliance_id uuid NOT NULL REFERENCES alliances (id),
        unit_id uuid NOT NULL REFERENCES units (id),
        council_role text CONSTRAINT alliance_members_council_role CHECK (council_role IN ({_in(COUNCIL_ROLES)})),
        liaison_name text CONSTRAINT alliance_members_liaison_name CHECK (length(liaison_name) <= 50),
        liaison_phone text CONSTRAINT alliance_members_liaison_phone CHECK (length(liaison_phone) <= 30),
        joined_on date NOT NULL,
        left_on date,
        CONSTRAINT alliance_members_dates CHECK (left_on IS NULL OR left_on >= joined_on),
        CONSTRAINT alliance_members_council_active CHECK (left_on IS NULL OR council_role IS NULL)
    )""")
    op.execute("""CREATE UNIQUE INDEX alliance_members_active ON alliance_members (alliance_id, unit_id)
                  WHERE left_on IS NULL""")
    op.execute("""CREATE UNIQUE INDEX alliance_members_one_chair ON alliance_members (alliance_id)
                  WHERE council_role = 'chair'""")
    op.execute("CREATE INDEX alliance_members_unit ON alliance_members (unit_id)")
    op.execute("""
    CREATE TABLE alliance_activity_days (
        id uuid PRIMARY KEY,
        alliance_id uuid NOT NULL REFERENCES alliances (id),
        held_on date NOT NULL,
        title text NOT NULL CONSTRAINT alliance_activity_days_title CHECK (length(btrim(title)) BETWEEN 1 AND 100),
        host_unit_id uuid REFERENCES units (id),
        description text CONSTRAINT alliance_activity_days_description CHECK (length(description) <= 2000),
        participants integer CONSTRAINT alliance_activity_days_participants CHECK (participants >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT alliance_activity_days_unique UNIQUE (alliance_id, held_on, title)
    )""")

    op.execute(f"""
    CREATE TABLE pairings (
        id uuid PRIMARY KEY,
        unit_id uuid NOT NULL REFERENCES units (id),
        {_community_ref("pairings")},
        started_on date NOT NULL,
        ended_on date,
        note text CONSTRAINT pairings_note CHECK (length(note) <= 500),
        CONSTRAINT pairings_dates CHECK (ended_on IS NULL OR ended_on >= started_on)
    )""")
    op.execute("""CREATE UNIQUE INDEX pairings_active ON pairings (unit_id, community_id)
                  WHERE ended_on IS NULL""")
    op.execute("CREATE INDEX pairings_community ON pairings (community_id)")

    op.execute(f"""
    CREATE TABLE community_needs (
        id uuid PRIMARY KEY,
        {_community_ref("community_needs")},
        title text NOT NULL CONSTRAINT community_needs_title CHECK (length(btrim(title)) BETWEEN 1 AND 100),
        category text NOT NULL CONSTRAINT community_needs_category CHECK (category IN ({_in(NEED_CATEGORIES)})),
        description text CONSTRAINT community_needs_description CHECK (length(description) <= 2000),
        status text NOT NULL CONSTRAINT community_needs_status CHECK (status IN ('open', 'met', 'withdrawn')),
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        CONSTRAINT community_needs_closed CHECK ((status = 'open') = (closed_at IS NULL))
    )""")
    op.execute("CREATE INDEX community_needs_community ON community_needs (community_id, status)")

    op.execute(f"""
    CREATE TABLE agreements (
        id uuid PRIMARY KEY,
        unit_id uuid NOT NULL REFERENCES units (id),
        {_community_ref("agreements")},
        title text NOT NULL CONSTRAINT agreements_title CHECK (length(btrim(title)) BETWEEN 1 AND 100),
        status text NOT NULL CONSTRAINT agreements_status CHECK (status IN ('draft', 'signed', 'terminated')),
        valid_from date NOT NULL,
        valid_until date,
        signed_at timestamptz,
        signed_by text,
        terminated_at timestamptz,
        termination_reason text CONSTRAINT agreements_termination_reason CHECK (length(termination_reason) <= 500),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT agreements_validity CHECK (valid_until IS NULL OR valid_until >= valid_from),
        CONSTRAINT agreements_signed CHECK ((status = 'draft') = (signed_at IS NULL)),
        CONSTRAINT agreements_terminated CHECK ((status = 'terminated') = (terminated_at IS NOT NULL)),
        -- a unit has one signed agreement with a community at any date
        CONSTRAINT agreements_no_overlap EXCLUDE USING gist (
            unit_id WITH =, community_id WITH =,
            daterange(valid_from, valid_until, '[]') WITH &&) WHERE (status = 'signed')
    )""")
    op.execute("CREATE INDEX agreements_community ON agreements (community_id, status)")
    op.execute("CREATE INDEX agreements_unit ON agreements (unit_id, status)")
    op.execute(f"""
    CREATE TABLE agreement_resources (
        id uuid PRIMARY KEY,
        agreement_id uuid NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
        kind text NOT NULL CONSTRAINT agreement_resources_kind CHECK (kind IN ({_in(RESOURCE_KINDS)})),
        name text NOT NULL CONSTRAINT agreement_resources_name CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        quantity integer NOT NULL CONSTRAINT agreement_resources_quantity CHECK (quantity >= 1),
        description text CONSTRAINT agreement_resources_description CHECK (length(description) <= 1000),
        windows jsonb NOT NULL DEFAULT '[]'
            CONSTRAINT agreement_resources_windows CHECK (jsonb_typeof(windows) = 'array'),
        position integer NOT NULL DEFAULT 0,
        CONSTRAINT agreement_resources_windows_lendable
            CHECK (kind IN ('space', 'parking') OR windows = '[]'::jsonb)
    )""")
    op.execute("CREATE INDEX agreement_resources_agreement ON agreement_resources (agreement_id)")
    op.execute("""
    CREATE TABLE agreement_commitments (
        id uuid PRIMARY KEY,
        agreement_id uuid NOT NULL REFERENCES agreements (id),
        description text NOT NULL CONSTRAINT agreement_commitments_description
            CHECK (length(btrim(description)) BETWEEN 1 AND 500),
        due_on date NOT NULL,
        need_id uuid REFERENCES community_needs (id),
        resource_id uuid REFERENCES agreement_resources (id) ON DELETE SET NULL,
        project_ref text CONSTRAINT agreement_commitments_project_ref CHECK (length(project_ref) <= 100),
        status text NOT NULL CONSTRAINT agreement_commitments_status CHECK (status IN ('pending', 'overdue', 'done')),
        done_at timestamptz,
        done_note text CONSTRAINT agreement_commitments_done_note CHECK (length(done_note) <= 500),
        overdue_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT agreement_commitments_done CHECK ((status = 'done') = (done_at IS NOT NULL))
    )""")
    op.execute("CREATE INDEX agreement_commitments_agreement ON agreement_commitments (agreement_id)")
    op.execute("""CREATE INDEX agreement_commitments_due ON agreement_commitments (due_on)
                  WHERE status = 'pending'""")


def downgrade():
    for table in ("agreement_commitments", "agreement_resources", "agreements", "community_needs",
                  "pairings", "alliance_activity_days", "alliance_members", "alliances",
                  "party_org_seats", "party_orgs"):
        op.execute(f"DROP TABLE {table}")
