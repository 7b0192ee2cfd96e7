"""Consultations (四方会谈 / 协商议事): meeting record, participants, decisions and the cases
each decision settles.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"

FORMATS = ("four_party", "council", "hearing", "other")


def _in(values):
    return ", ".join(f"'{v}'" for v in values)


def upgrade():
    op.execute(f"""
    CREATE TABLE consultations (
        id uuid PRIMARY KEY,
        community_id uuid NOT NULL,
        community_kind text NOT NULL DEFAULT 'community'
            CONSTRAINT consultations_community_kind CHECK (community_kind = 'community'),
        node_id uuid NOT NULL REFERENCES nodes (id),
        title text NOT NULL CONSTRAINT consultations_title CHECK (length(btrim(title)) BETWEEN 1 AND 100),
        format text NOT NULL CONSTRAINT consultations_format CHECK (format IN ({_in(FORMATS)})),
        held_at timestamptz NOT NULL,
        place text CONSTRAINT consultations_place CHECK (length(place) <= 200),
        minutes text CONSTRAINT consultations_minutes CHECK (length(minutes) <= 20000),
        participants jsonb NOT NULL DEFAULT '[]'
            CONSTRAINT consultations_participants CHECK (jsonb_typeof(participants) = 'array'),
        recorded_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT consultations_community FOREIGN KEY (community_id, community_kind) REFERENCES nodes (id, kind)
    )""")
    op.execute("CREATE INDEX consultations_community ON consultations (community_id, held_at)")
    op.execute("""
    CREATE TABLE consultation_decisions (
        id uuid PRIMARY KEY,
        consultation_id uuid NOT NULL REFERENCES consultations (id),
        text text NOT NULL CONSTRAINT consultation_decisions_text CHECK (length(btrim(text)) BETWEEN 1 AND 2000),
        resolves boolean NOT NULL DEFAULT false,
        position integer NOT NULL DEFAULT 0
    )""")
    op.execute("CREATE INDEX consultation_decisions_consultation ON consultation_decisions (consultation_id)")
    op.execute("""
    CREATE TABLE decision_cases (
        decision_id uuid NOT NULL REFERENCES consultation_decisions (id),
        case_id uuid NOT NULL REFERENCES cases (id),
        PRIMARY KEY (decision_id, case_id)
    )""")
    op.execute("CREATE INDEX decision_cases_case ON decision_cases (case_id)")


def downgrade():
    for table in ("decision_cases", "consultation_decisions", "consultations"):
        op.execute(f"DROP TABLE {table}")
