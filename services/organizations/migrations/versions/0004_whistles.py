"""Whistle and report (吹哨报到): whistles, one response per summoned unit with its three
deadlines, ratings and a timeline.

PostgreSQL checks that a response's timestamps agree with its status and come in order, that
deadlines are ordered, that a rating is 1-5 and given once per rater and response.

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision = "0003"

CATEGORIES = ("sanitation", "public_safety", "epidemic_prevention", "flood_control", "fire_safety",
              "infrastructure", "property", "traffic", "elderly_care", "neighbourhood_dispute", "other")
URGENCIES = ("urgent", "normal", "routine")
STATUSES = ("raised", "responding", "resolved", "closed", "cancelled")
RESPONSE_STATUSES = ("summoned", "acknowledged", "arrived", "resolved")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.execute(f"""
    CREATE TABLE whistles (
        id uuid PRIMARY KEY,
        community_id uuid NOT NULL,
        community_kind text NOT NULL DEFAULT 'community'
            CONSTRAINT whistles_community_kind CHECK (community_kind = 'community'),
        node_id uuid NOT NULL REFERENCES nodes (id),
        title text NOT NULL CONSTRAINT whistles_title CHECK (length(btrim(title)) BETWEEN 1 AND 100),
        category text NOT NULL CONSTRAINT whistles_category CHECK (category IN ({_in(CATEGORIES)})),
        description text NOT NULL CONSTRAINT whistles_description
            CHECK (length(btrim(description)) BETWEEN 1 AND 4000),
        address text CONSTRAINT whistles_address CHECK (length(address) <= 200),
        lat double precision CONSTRAINT whistles_lat CHECK (lat BETWEEN -90 AND 90),
        lng double precision CONSTRAINT whistles_lng CHECK (lng BETWEEN -180 AND 180),
        location geography(Point, 4326) GENERATED ALWAYS AS (
            CASE WHEN lat IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography END) STORED,
        photos jsonb NOT NULL DEFAULT '[]' CONSTRAINT whistles_photos CHECK (jsonb_typeof(photos) = 'array'),
        urgency text NOT NULL CONSTRAINT whistles_urgency CHECK (urgency IN ({_in(URGENCIES)})),
        status text NOT NULL CONSTRAINT whistles_status CHECK (status IN ({_in(STATUSES)})),
        escalation_level smallint NOT NULL DEFAULT 0
            CONSTRAINT whistles_escalation_level CHECK (escalation_level BETWEEN 0 AND 2),
        escalated_at timestamptz,
        case_id uuid,
        raised_by text NOT NULL,
        raised_at timestamptz NOT NULL,
        resolved_at timestamptz,
        closed_at timestamptz,
        closed_by text,
        closing_note text CONSTRAINT whistles_closing_note CHECK (length(closing_note) <= 2000),
        cancelled_at timestamptz,
        cancel_reason text CONSTRAINT whistles_cancel_reason CHECK (length(cancel_reason) <= 500),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT whistles_community FOREIGN KEY (community_id, community_kind) REFERENCES nodes (id, kind),
        CONSTRAINT whistles_lat_lng CHECK ((lat IS NULL) = (lng IS NULL)),
        CONSTRAINT whistles_closed CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
        CONSTRAINT whistles_cancelled CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
        CONSTRAINT whistles_resolved CHECK (status IN ('raised', 'responding', 'cancelled')
                                            OR resolved_at IS NOT NULL),
        CONSTRAINT whistles_escalated CHECK ((escalation_level = 0) = (escalated_at IS NULL))
    )""")
    op.execute("CREATE INDEX whistles_community ON whistles (community_id, status)")
    op.execute("CREATE INDEX whistles_raised_at ON whistles (raised_at, id)")
    op.execute("CREATE INDEX whistles_open ON whistles (id) WHERE status IN ('raised', 'responding')")
    op.execute("CREATE INDEX whistles_location ON whistles USING gist (location)")
    op.execute(f"""
    CREATE TABLE whistle_responses (
        id uuid PRIMARY KEY,
        whistle_id uuid NOT NULL REFERENCES whistles (id),
        unit_id uuid NOT NULL REFERENCES units (id),
        status text NOT NULL CONSTRAINT whistle_responses_status CHECK (status IN ({_in(RESPONSE_STATUSES)})),
        summoned_at timestamptz NOT NULL,
        acknowledge_due timestamptz NOT NULL,
        arrive_due timestamptz NOT NULL,
        resolve_due timestamptz NOT NULL,
        acknowledged_at timestamptz,
        arrived_at timestamptz,
        resolved_at timestamptz,
        acknowledge_missed_at timestamptz,
        arrive_missed_at timestamptz,
        resolve_missed_at timestamptz,
        resolution text CONSTRAINT whistle_responses_resolution CHECK (length(resolution) <= 2000),
        CONSTRAINT whistle_responses_unit UNIQUE (whistle_id, unit_id),
        CONSTRAINT whistle_responses_deadlines
            CHECK (summoned_at < acknowledge_due AND acknowledge_due <= arrive_due AND arrive_due <= resolve_due),
        CONSTRAINT whistle_responses_steps CHECK (
            (acknowledged_at IS NOT NULL) = (status <> 'summoned')
            AND (arrived_at IS NOT NULL) = (status IN ('arrived', 'resolved'))
            AND (resolved_at IS NOT NULL) = (status = 'resolved')),
        CONSTRAINT whistle_responses_order CHECK (
            acknowledged_at >= summoned_at AND arrived_at >= acknowledged_at AND resolved_at >= arrived_at)
    )""")
    op.execute("CREATE INDEX whistle_responses_by_unit ON whistle_responses (unit_id)")
    op.execute("""CREATE INDEX whistle_responses_pending ON whistle_responses (resolve_due)
                  WHERE status <> 'resolved'""")
    op.execute("""
    CREATE TABLE whistle_ratings (
        id uuid PRIMARY KEY,
        whistle_id uuid NOT NULL REFERENCES whistles (id),
        response_id uuid NOT NULL REFERENCES whistle_responses (id),
        score smallint NOT NULL CONSTRAINT whistle_ratings_score CHECK (score BETWEEN 1 AND 5),
        comment text CONSTRAINT whistle_ratings_comment CHECK (length(comment) <= 500),
        rater_role text NOT NULL CONSTRAINT whistle_ratings_rater_role CHECK (rater_role IN ('resident', 'community')),
        rated_by text NOT NULL,
        rated_at timestamptz NOT NULL,
        CONSTRAINT whistle_ratings_once UNIQUE (response_id, rated_by)
    )""")
    op.execute("CREATE INDEX whistle_ratings_whistle ON whistle_ratings (whistle_id)")
    op.execute("""
    CREATE TABLE whistle_timeline (
        id bigserial PRIMARY KEY,
        whistle_id uuid NOT NULL REFERENCES whistles (id),
        at timestamptz NOT NULL,
        action text NOT NULL,
        unit_id uuid,
        actor text NOT NULL,
        note text
    )""")
    op.execute("CREATE INDEX whistle_timeline_whistle ON whistle_timeline (whistle_id, id)")


def downgrade():
    for table in ("whistle_timeline", "whistle_ratings", "whistle_responses", "whistles"):
        op.execute(f"DROP TABLE {table}")
