"""Resident units (驻区单位) identified by their unified social credit code, and their
report-ins (报到) to communities.

A report-in points at a node through (community_id, community_kind = 'community'), so the
foreign key itself guarantees the node is a community. One live (pending or confirmed)
report-in per unit and community.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"


UNIT_KINDS = ("agency", "soe", "company", "school", "hospital", "property_company",
              "owners_committee", "social_org", "business_district_org", "public_institution", "other")
REPORT_STATUSES = ("pending", "confirmed", "rejected", "withdrawn")
LIVE = ("pending", "confirmed")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.execute(f"""
    CREATE TABLE units (
        id uuid PRIMARY KEY,
        name text NOT NULL CONSTRAINT units_name CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        kind text NOT NULL CONSTRAINT units_kind CHECK (kind IN ({_in(UNIT_KINDS)})),
        credit_code text NOT NULL
            CONSTRAINT units_credit_code_format CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{{18}}$'),
        address text CONSTRAINT units_address CHECK (length(address) <= 200),
        contact_name text CONSTRAINT units_contact_name CHECK (length(contact_name) <= 50),
        contact_phone text CONSTRAINT units_contact_phone CHECK (length(contact_phone) <= 30),
        lat double precision CONSTRAINT units_lat CHECK (lat BETWEEN -90 AND 90),
        lng double precision CONSTRAINT units_lng CHECK (lng BETWEEN -180 AND 180),
        location geography(Point, 4326) GENERATED ALWAYS AS (
            CASE WHEN lat IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography END) STORED,
        archived_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT units_credit_code UNIQUE (credit_code),
        CONSTRAINT units_lat_lng CHECK ((lat IS NULL) = (lng IS NULL))
    )""")
    op.execute("CREATE INDEX units_name ON units (name, id)")
    op.execute("CREATE INDEX units_location ON units USING gist (location)")
    op.execute(f"""
    CREATE TABLE unit_reports (
        id uuid PRIMARY KEY,
        unit_id uuid NOT NULL REFERENCES units (id),
        community_id uuid NOT NULL,
        community_kind text NOT NULL DEFAULT 'community'
            CONSTRAINT unit_reports_community_kind CHECK (community_kind = 'community'),
        status text NOT NULL CONSTRAINT unit_reports_status
            CHECK (status IN ({_in(REPORT_STATUSES)})),
        note text CONSTRAINT unit_reports_note CHECK (length(note) <= 500),
        decision_note text CONSTRAINT unit_reports_decision_note CHECK (length(decision_note) <= 500),
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL,
        decided_by text,
        decided_at timestamptz,
        withdrawn_at timestamptz,
        CONSTRAINT unit_reports_community FOREIGN KEY (community_id, community_kind)
            REFERENCES nodes (id, kind),
        CONSTRAINT unit_reports_decided CHECK ((status = 'pending') = (decided_at IS NULL)
                                               OR status = 'withdrawn')
    )""")
    op.execute(f"""CREATE UNIQUE INDEX unit_reports_live ON unit_reports (unit_id, community_id)
                   WHERE status IN ({_in(LIVE)})""")
    op.execute("CREATE INDEX unit_reports_community ON unit_reports (community_id, status)")


def downgrade():
    op.execute("DROP TABLE unit_reports")
    op.execute("DROP TABLE units")
