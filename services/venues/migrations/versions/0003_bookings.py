"""Bookings, weekly series and ratings.

Two bookings of one room never overlap: an exclusion constraint (btree_gist) over
``tstzrange(starts_at, blocked_until)`` of every booking that holds the room (requested,
confirmed, checked_in, offered). ``blocked_until`` is the end plus the room's buffer, computed by
the service when the booking is made (``timestamptz + interval`` is not immutable, so it cannot be
a generated column). Concurrent inserts for one slot wait on each other inside PostgreSQL; one
commits, the others fail with an exclusion violation — whatever the number of service replicas.

Waitlist entries are bookings in status ``waitlisted``/``offered``; ``seq`` is the order of
arrival (timestamps tie under a frozen clock).

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"

STATUSES = ("requested", "confirmed", "checked_in", "completed", "no_show", "cancelled", "rejected",
            "expired", "waitlisted", "offered", "declined", "lapsed")
HOLDING = ("requested", "confirmed", "checked_in", "offered")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.execute("""
    CREATE TABLE booking_series (
        id uuid PRIMARY KEY,
        room_id uuid NOT NULL REFERENCES rooms (id),
        venue_id uuid NOT NULL REFERENCES venues (id),
        status text NOT NULL CONSTRAINT booking_series_status CHECK (status IN ('active', 'cancelled')),
        purpose text NOT NULL,
        attendees integer CONSTRAINT booking_series_attendees CHECK (attendees > 0),
        booker text NOT NULL,
        booker_role text NOT NULL,
        unit_id uuid,
        organiser text,
        weekdays smallint[] NOT NULL,
        start_time text NOT NULL,
        end_time text NOT NULL,
        every_weeks smallint NOT NULL DEFAULT 1,
        first_date date NOT NULL,
        until_date date,
        count integer,
        exceptions jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL,
        cancelled_at timestamptz,
        cancelled_by text
    )""")
    op.execute("CREATE INDEX booking_series_room ON booking_series (room_id)")
    op.execute("CREATE INDEX booking_series_booker ON booking_series (booker)")
    op.execute(f"""
    CREATE TABLE bookings (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        room_id uuid NOT NULL REFERENCES rooms (id),
        venue_id uuid NOT NULL REFERENCES venues (id),
        series_id uuid REFERENCES booking_series (id),
        occurrence_date date,
        status text NOT NULL CONSTRAINT bookings_status CHECK (status IN ({_in(STATUSES)})),
        purpose text NOT NULL CONSTRAINT bookings_purpose CHECK (length(btrim(purpose)) BETWEEN 1 AND 200),
        attendees integer CONSTRAINT bookings_attendees CHECK (attendees > 0),
        booker text NOT NULL,
        booker_role text NOT NULL,
        unit_id uuid,
        organiser text,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        blocked_until timestamptz NOT NULL,
        offer_expires_at timestamptz,
        decided_by text,
        decided_at timestamptz,
        decision_note text,
        cancelled_by text,
        cancelled_at timestamptz,
        cancel_reason text,
        checked_in_by text,
        checked_in_at timestamptz,
        attendance integer CONSTRAINT bookings_attendance CHECK (attendance >= 0),
        completed_at timestamptz,
        no_show_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT bookings_period CHECK (ends_at > starts_at AND blocked_until >= ends_at),
        CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
            room_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&
        ) WHERE (status IN ({_in(HOLDING)}))
    )""")
    op.execute("CREATE INDEX bookings_room_start ON bookings (room_id, starts_at)")
    op.execute("CREATE INDEX bookings_venue_start ON bookings (venue_id, starts_at)")
    op.execute("CREATE INDEX bookings_booker ON bookings (booker, starts_at)")
    op.execute("CREATE INDEX bookings_series ON bookings (series_id, starts_at) WHERE series_id IS NOT NULL")
    op.execute("CREATE INDEX bookings_waitlist ON bookings (room_id, seq) WHERE status = 'waitlisted'")
    op.execute("CREATE INDEX bookings_open ON bookings (starts_at) "
               "WHERE status IN ('requested', 'confirmed', 'checked_in', 'offered', 'waitlisted')")
    op.execute("""
    CREATE TABLE booking_ratings (
        booking_id uuid PRIMARY KEY REFERENCES bookings (id),
        stars smallint NOT NULL CONSTRAINT booking_ratings_stars CHECK (stars BETWEEN 1 AND 5),
        comment text,
        rated_by text NOT NULL,
        rated_at timestamptz NOT NULL
    )""")


def downgrade():
    for table in ("booking_ratings", "bookings", "booking_series"):
        op.execute(f"DROP TABLE {table}")
