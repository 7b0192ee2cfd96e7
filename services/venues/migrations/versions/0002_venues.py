"""Venues (service points on one map) and their rooms.

A venue serves a territory node (replica), has a PostGIS location (generated from lat/lng,
GiST-indexed for ST_DWithin and KNN ``<->``), opening hours stored once as JSON for display and
once as rows (``venue_hours``, minutes of the local day) for "open now" filters, amenities
(GIN-indexed array), service items, how the space was acquired with its lease terms, yearly
money in/out in fen (``venue_finances``), and yearly star ratings with history
(``venue_star_ratings``; the newest year is copied onto the venue for map filters).

Rooms ("3+N") carry capacity, a bookable flag and their booking rules (JSON, validated by the
service); a room lent by a resident unit names the lent resource of its co-building agreement.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision = "0001"

# Frozen copies of the vocabularies in services/venues/domain.py as of this revision (a later
# change to the vocabulary is a new revision that alters the CHECK).
VENUE_KINDS = ("party_mass_centre", "neighbourhood_centre", "service_station", "red_station",
               "party_station", "study_room", "elder_canteen", "shared_space", "shared_parking")
ACQUISITION_METHODS = ("revitalised_idle_asset", "co_location", "swap", "rent_to_rent", "rebuild",
                       "pilot_programme")
ROOM_CATEGORIES = ("basic", "activity")
EMERGENCY_ROLES = ("assembly_point", "testing_site", "supply_depot", "rest_area", "command_post")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.execute(f"""
    CREATE TABLE venues (
        id uuid PRIMARY KEY,
        name text NOT NULL CONSTRAINT venues_name CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        kind text NOT NULL CONSTRAINT venues_kind CHECK (kind IN ({_in(VENUE_KINDS)})),
        node_id uuid NOT NULL REFERENCES nodes (id),
        address text NOT NULL CONSTRAINT venues_address CHECK (length(btrim(address)) BETWEEN 1 AND 200),
        lat double precision NOT NULL CONSTRAINT venues_lat CHECK (lat BETWEEN -90 AND 90),
        lng double precision NOT NULL CONSTRAINT venues_lng CHECK (lng BETWEEN -180 AND 180),
        location geography(Point, 4326) GENERATED ALWAYS AS (
            ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography) STORED,
        area_m2 numeric(10, 1) NOT NULL CONSTRAINT venues_area CHECK (area_m2 > 0),
        open_24h boolean NOT NULL DEFAULT false,
        opening_hours jsonb NOT NULL DEFAULT '[]',
        amenities text[] NOT NULL DEFAULT '{{}}',
        service_items jsonb NOT NULL DEFAULT '[]',
        phone text,
        description text,
        lender_unit_id uuid,
        agreement_id uuid,
        resource_id uuid,
        acquisition_method text CONSTRAINT venues_acquisition CHECK (
            acquisition_method IN ({_in(ACQUISITION_METHODS)})),
        acquired_from text,
        acquired_on date,
        lease_start date,
        lease_end date,
        lease_terms text,
        rent_in_fen bigint CONSTRAINT venues_rent_in CHECK (rent_in_fen >= 0),
        rent_out_fen bigint CONSTRAINT venues_rent_out CHECK (rent_out_fen >= 0),
        stars smallint CONSTRAINT venues_stars CHECK (stars BETWEEN 1 AND 5),
        stars_year integer,
        status text NOT NULL DEFAULT 'active' CONSTRAINT venues_status CHECK (status IN ('active', 'closed')),
        emergency_role text CONSTRAINT venues_emergency_role CHECK (emergency_role IN ({_in(EMERGENCY_ROLES)})),
        emergency_since timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        closed_at timestamptz,
        CONSTRAINT venues_lease CHECK (lease_end IS NULL OR lease_start IS NULL OR lease_end >= lease_start),
        CONSTRAINT venues_lender CHECK ((agreement_id IS NULL) OR (lender_unit_id IS NOT NULL))
    )""")
    op.execute("CREATE INDEX venues_location ON venues USING gist (location)")
    op.execute("CREATE INDEX venues_node ON venues (node_id)")
    op.execute("CREATE INDEX venues_kind ON venues (kind, name, id)")
    op.execute("CREATE INDEX venues_name ON venues (name, id)")
    op.execute("CREATE INDEX venues_amenities ON venues USING gin (amenities)")
    op.execute("CREATE INDEX venues_lender ON venues (lender_unit_id) WHERE lender_unit_id IS NOT NULL")
    op.execute("CREATE UNIQUE INDEX venues_node_name ON venues (node_id, name) WHERE status = 'active'")
    op.execute("""
    CREATE TABLE venue_hours (
        venue_id uuid NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
        weekday smallint NOT NULL CONSTRAINT venue_hours_weekday CHECK (weekday BETWEEN 1 AND 7),
        opens smallint NOT NULL CONSTRAINT venue_hours_opens CHECK (opens BETWEEN 0 AND 1439),
        closes smallint NOT NULL CONSTRAINT venue_hours_closes CHECK (closes > opens AND closes <= 1440),
        PRIMARY KEY (venue_id, weekday, opens)
    )""")
    op.execute("CREATE INDEX venue_hours_open ON venue_hours (weekday, opens, closes)")
    op.execute("""
    CREATE TABLE venue_star_ratings (
        venue_id uuid NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
        year integer NOT NULL CONSTRAINT venue_star_ratings_year CHECK (year BETWEEN 2000 AND 2100),
        stars smallint NOT NULL CONSTRAINT venue_star_ratings_stars CHECK (stars BETWEEN 1 AND 5),
        note text,
        rated_by text NOT NULL,
        rated_at timestamptz NOT NULL,
        PRIMARY KEY (venue_id, year)
    )""")
    op.execute("""
    CREATE TABLE venue_finances (
        venue_id uuid NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
        year integer NOT NULL CONSTRAINT venue_finances_year CHECK (year BETWEEN 2000 AND 2100),
        money_in_fen bigint NOT NULL CONSTRAINT venue_finances_in CHECK (money_in_fen >= 0),
        money_out_fen bigint NOT NULL CONSTRAINT venue_finances_out CHECK (money_out_fen >= 0),
        note text,
        recorded_by text NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (venue_id, year)
    )""")
    op.execute(f"""
    CREATE TABLE rooms (
        id uuid PRIMARY KEY,
        venue_id uuid NOT NULL REFERENCES venues (id),
        name text NOT NULL CONSTRAINT rooms_name CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        category text NOT NULL CONSTRAINT rooms_category CHECK (category IN ({_in(ROOM_CATEGORIES)})),
        function text NOT NULL CONSTRAINT rooms_function CHECK (length(btrim(function)) BETWEEN 1 AND 100),
        capacity integer NOT NULL CONSTRAINT rooms_capacity CHECK (capacity BETWEEN 1 AND 100000),
        bookable boolean NOT NULL DEFAULT true,
        rules jsonb NOT NULL,
        resource_id uuid,
        description text,
        status text NOT NULL DEFAULT 'active' CONSTRAINT rooms_status CHECK (status IN ('active', 'archived')),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""")
    op.execute("CREATE INDEX rooms_venue ON rooms (venue_id, name)")
    op.execute("CREATE UNIQUE INDEX rooms_venue_name ON rooms (venue_id, name) WHERE status = 'active'")
    op.execute("CREATE INDEX rooms_resource ON rooms (resource_id) WHERE resource_id IS NOT NULL")


def downgrade():
    for table in ("rooms", "venue_finances", "venue_star_ratings", "venue_hours", "venues"):
        op.execute(f"DROP TABLE {table}")
