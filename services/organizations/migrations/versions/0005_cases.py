"""Cases (民情诉求 / 网格事件 / 12345 tickets) with Open311 fields, three-level escalation and
a history; whistles raised from a case point back at it.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"

SERVICES = ("sanitation", "greening", "property", "parking", "road", "lighting", "water_power", "noise",
            "neighbour_dispute", "elderly", "safety", "other")
STATUSES = ("reported", "accepted", "dispatched", "handled", "replied", "rated", "closed", "rejected")
LEVELS = ("community", "street", "district")
SOURCES = ("resident", "grid_worker", "hotline", "community")
DISPATCH = ("grid_worker", "party_org", "unit", "whistle")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.execute(f"""
    CREATE TABLE cases (
        id uuid PRIMARY KEY,
        service_code text NOT NULL CONSTRAINT cases_service_code CHECK (service_code IN ({_in(SERVICES)})),
        description text NOT NULL CONSTRAINT cases_description CHECK (length(btrim(description)) BETWEEN 1 AND 4000),
        status text NOT NULL CONSTRAINT cases_status CHECK (status IN ({_in(STATUSES)})),
        status_notes text CONSTRAINT cases_status_notes CHECK (length(status_notes) <= 2000),
        level text NOT NULL DEFAULT 'community' CONSTRAINT cases_level CHECK (level IN ({_in(LEVELS)})),
        source text NOT NULL CONSTRAINT cases_source CHECK (source IN ({_in(SOURCES)})),
        external_id text CONSTRAINT cases_external_id CHECK (length(external_id) BETWEEN 1 AND 100),
        node_id uuid NOT NULL REFERENCES nodes (id),
        community_id uuid NOT NULL,
        community_kind text NOT NULL DEFAULT 'community'
            CONSTRAINT cases_community_kind CHECK (community_kind = 'community'),
        address text CONSTRAINT cases_address CHECK (length(address) <= 200),
        lat double precision CONSTRAINT cases_lat CHECK (lat BETWEEN -90 AND 90),
        lng double precision CONSTRAINT cases_lng CHECK (lng BETWEEN -180 AND 180),
        location geography(Point, 4326) GENERATED ALWAYS AS (
            CASE WHEN lat IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography END) STORED,
        media_url text CONSTRAINT cases_media_url CHECK (length(media_url) <= 500),
        public boolean NOT NULL DEFAULT true,
        requested_datetime timestamptz NOT NULL,
        updated_datetime timestamptz NOT NULL,
        expected_datetime timestamptz,
        accepted_at timestamptz,
        dispatched_at timestamptz,
        handled_at timestamptz,
        replied_at timestamptz,
        rated_at timestamptz,
        closed_at timestamptz,
        escalated_at timestamptz,
        overdue_at timestamptz,
        dispatch_kind text CONSTRAINT cases_dispatch_kind CHECK (dispatch_kind IN ({_in(DISPATCH)})),
        dispatch_target text CONSTRAINT cases_dispatch_target CHECK (length(dispatch_target) <= 200),
        whistle_id uuid REFERENCES whistles (id),
        reply text CONSTRAINT cases_reply CHECK (length(reply) <= 4000),
        rating smallint CONSTRAINT cases_rating CHECK (rating BETWEEN 1 AND 5),
        rating_comment text CONSTRAINT cases_rating_comment CHECK (length(rating_comment) <= 500),
        reporter_name text CONSTRAINT cases_reporter_name CHECK (length(reporter_name) <= 50),
        reporter_phone text CONSTRAINT cases_reporter_phone CHECK (length(reporter_phone) <= 30),
        reporter_subject text NOT NULL,
        CONSTRAINT cases_community FOREIGN KEY (community_id, community_kind) REFERENCES nodes (id, kind),
        CONSTRAINT cases_lat_lng CHECK ((lat IS NULL) = (lng IS NULL)),
        CONSTRAINT cases_whistle CHECK ((dispatch_kind = 'whistle') = (whistle_id IS NOT NULL)),
        CONSTRAINT cases_rated CHECK ((rating IS NULL) = (rated_at IS NULL)),
        CONSTRAINT cases_closed CHECK ((status = 'closed') = (closed_at IS NOT NULL))
    )""")
    op.execute("""CREATE UNIQUE INDEX cases_external ON cases (source, external_id)
                  WHERE external_id IS NOT NULL""")
    op.execute("CREATE INDEX cases_community ON cases (community_id, status)")
    op.execute("CREATE INDEX cases_requested ON cases (requested_datetime, id)")
    op.execute("CREATE INDEX cases_reporter ON cases (reporter_subject)")
    op.execute("""CREATE INDEX cases_open_expected ON cases (expected_datetime)
                  WHERE status IN ('reported', 'accepted', 'dispatched')""")
    op.execute("CREATE INDEX cases_location ON cases USING gist (location)")
    op.execute("""ALTER TABLE whistles ADD CONSTRAINT whistles_case
                  FOREIGN KEY (case_id) REFERENCES cases (id)""")
    op.execute("""
    CREATE TABLE case_history (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases (id),
        at timestamptz NOT NULL,
        action text NOT NULL,
        from_status text,
        to_status text NOT NULL,
        level text NOT NULL,
        actor text NOT NULL,
        note text
    )""")
    op.execute("CREATE INDEX case_history_case ON case_history (case_id, id)")


def downgrade():
    op.execute("DROP TABLE case_history")
    op.execute("ALTER TABLE whistles DROP CONSTRAINT whistles_case")
    op.execute("DROP TABLE cases")
