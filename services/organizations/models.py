"""Tables of the organizations service (declared without a schema: each tenant's schema is
injected per call). Constraints, indexes and generated columns live in the migrations; these
models name the columns the code reads and writes.

Locations are stored as ``lat``/``lng`` plus a generated PostGIS ``geography(Point, 4326)``
column ``location`` (GiST-indexed) that PostgreSQL keeps in step.
"""

import uuid

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from shared import clock
from shared.types import Ltree

LOCATION = ("CASE WHEN lat IS NULL THEN NULL "
            "ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography END")


def _uuid():
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _ref(target, nullable=False):
    return mapped_column(UUID(as_uuid=True), ForeignKey(target), nullable=nullable)


def _now(nullable=False):
    return mapped_column(DateTime(timezone=True), nullable=nullable, default=clock.now)


def _location():
    return deferred(mapped_column(Geography("POINT", 4326), Computed(LOCATION, persisted=True)))


class Base(DeclarativeBase):
    pass


class Status:
    """``status`` derived from an ``archived_at``/``ended_at`` style column."""

    @property
    def status(self):
        return "archived" if self.archived_at is not None else "active"

    @property
    def archived(self):
        return self.archived_at is not None


# -- territory ------------------------------------------------------------------------------


class Node(Status, Base):
    __tablename__ = "nodes"

    id: Mapped[uuid.UUID] = _uuid()
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    parent_kind: Mapped[str | None] = mapped_column(Text)  # FK (parent_id, parent_kind)
    path: Mapped[str] = mapped_column(Ltree, nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    location = _location()
    population: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    archived_at = mapped_column(DateTime(timezone=True))
    created_at = _now()
    updated_at = _now()


# -- resident units -------------------------------------------------------------------------


class Unit(Status, Base):
    __tablename__ = "units"

    id: Mapped[uuid.UUID] = _uuid()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    credit_code: Mapped[str] = mapped_column(Text, nullable=False)  # unique per tenant
    address: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    location = _location()
    archived_at = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = _now()
    updated_at = _now()


class ReportIn(Base):
    """A unit reporting in (报到) to a community: pending → confirmed | rejected → withdrawn."""

    __tablename__ = "unit_reports"

    id: Mapped[uuid.UUID] = _uuid()
    unit_id: Mapped[uuid.UUID] = _ref("units.id")
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    status: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    decision_note: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text, nullable=False)
    requested_at = _now()
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at = mapped_column(DateTime(timezone=True))
    withdrawn_at = mapped_column(DateTime(timezone=True))


# -- party organisations --------------------------------------------------------------------


class PartyOrg(Base):
    """A party organisation attached to a territory node ("1+3", "4 levels + 2")."""

    __tablename__ = "party_orgs"

    id: Mapped[uuid.UUID] = _uuid()
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    node_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    node_kind: Mapped[str] = mapped_column(Text, nullable=False)  # FK (node_id, node_kind)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    parent_kind: Mapped[str | None] = mapped_column(Text)  # FK (parent_id, parent_kind)
    branch_type: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[uuid.UUID | None] = _ref("units.id", nullable=True)
    big_committee: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    founded_on = mapped_column(Date)
    dissolved_at = mapped_column(DateTime(timezone=True))
    created_at = _now()

    @property
    def status(self):
        return "dissolved" if self.dissolved_at is not None else "active"


class Seat(Base):
    """A secretary, deputy, member or part-time member (兼职委员, from a resident unit)."""

    __tablename__ = "party_org_seats"

    id: Mapped[uuid.UUID] = _uuid()
    org_id: Mapped[uuid.UUID] = _ref("party_orgs.id")
    person_name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[uuid.UUID | None] = _ref("units.id", nullable=True)
    title: Mapped[str | None] = mapped_column(Text)
    started_on = mapped_column(Date, nullable=False)
    ended_on = mapped_column(Date)
    created_at = _now()


# -- alliances, pairings, needs, agreements -------------------------------------------------


class Alliance(Status, Base):
    """A community's regional party-building alliance (区域化党建联盟)."""

    __tablename__ = "alliances"

    id: Mapped[uuid.UUID] = _uuid()
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    name: Mapped[str] = mapped_column(Text, nullable=False)
    founded_on = mapped_column(Date, nullable=False)
    activity_day: Mapped[str | None] = mapped_column(Text)  # the members' regular activity day
    archived_at = mapped_column(DateTime(timezone=True))
    created_at = _now()


class AllianceMember(Base):
    __tablename__ = "alliance_members"

    id: Mapped[uuid.UUID] = _uuid()
    alliance_id: Mapped[uuid.UUID] = _ref("alliances.id")
    unit_id: Mapped[uuid.UUID] = _ref("units.id")
    council_role: Mapped[str | None] = mapped_column(Text)  # council seat (理事会)
    liaison_name: Mapped[str | None] = mapped_column(Text)
    liaison_phone: Mapped[str | None] = mapped_column(Text)
    joined_on = mapped_column(Date, nullable=False)
    left_on = mapped_column(Date)


class ActivityDay(Base):
    __tablename__ = "alliance_activity_days"

    id: Mapped[uuid.UUID] = _uuid()
    alliance_id: Mapped[uuid.UUID] = _ref("alliances.id")
    held_on = mapped_column(Date, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    host_unit_id: Mapped[uuid.UUID | None] = _ref("units.id", nullable=True)
    description: Mapped[str | None] = mapped_column(Text)
    participants: Mapped[int | None] = mapped_column(Integer)
    created_at = _now()


class Pairing(Base):
    """A city-level party organisation (its unit) paired with a community (结对)."""

    __tablename__ = "pairings"

    id: Mapped[uuid.UUID] = _uuid()
    unit_id: Mapped[uuid.UUID] = _ref("units.id")
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    started_on = mapped_column(Date, nullable=False)
    ended_on = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    @property
    def status(self):
        return "ended" if self.ended_on is not None else "active"


class Need(Base):
    """An entry of a community's needs list (需求清单)."""

    __tablename__ = "community_needs"

    id: Mapped[uuid.UUID] = _uuid()
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    title: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, default="open")
    created_at = _now()
    closed_at = mapped_column(DateTime(timezone=True))


class Agreement(Base):
    """A co-building agreement (共建协议): draft → signed → terminated."""

    __tablename__ = "agreements"

    id: Mapped[uuid.UUID] = _uuid()
    unit_id: Mapped[uuid.UUID] = _ref("units.id")
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    title: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default="draft")
    valid_from = mapped_column(Date, nullable=False)
    valid_until = mapped_column(Date)
    signed_at = mapped_column(DateTime(timezone=True))
    signed_by: Mapped[str | None] = mapped_column(Text)
    terminated_at = mapped_column(DateTime(timezone=True))
    termination_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = _now()
    updated_at = _now()


class Resource(Base):
    """An item of the unit's resource list (资源清单); spaces and parking carry lending windows."""

    __tablename__ = "agreement_resources"

    id: Mapped[uuid.UUID] = _uuid()
    agreement_id: Mapped[uuid.UUID] = _ref("agreements.id")
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    description: Mapped[str | None] = mapped_column(Text)
    windows: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Commitment(Base):
    """A dated commitment of an agreement (against a need, a resource or a project)."""

    __tablename__ = "agreement_commitments"

    id: Mapped[uuid.UUID] = _uuid()
    agreement_id: Mapped[uuid.UUID] = _ref("agreements.id")
    description: Mapped[str] = mapped_column(Text, nullable=False)
    due_on = mapped_column(Date, nullable=False)
    need_id: Mapped[uuid.UUID | None] = _ref("community_needs.id", nullable=True)
    resource_id: Mapped[uuid.UUID | None] = _ref("agreement_resources.id", nullable=True)
    project_ref: Mapped[str | None] = mapped_column(Text)  # a project of the project library
    status: Mapped[str] = mapped_column(Text, nullable=False, default="pending")
    done_at = mapped_column(DateTime(timezone=True))
    done_note: Mapped[str | None] = mapped_column(Text)
    overdue_at = mapped_column(DateTime(timezone=True))
    created_at = _now()


# -- whistle and report ---------------------------------------------------------------------


class Whistle(Base):
    """A community's whistle (吹哨): raised → responding → resolved → closed (or cancelled)."""

    __tablename__ = "whistles"

    id: Mapped[uuid.UUID] = _uuid()
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    node_id: Mapped[uuid.UUID] = _ref("nodes.id")  # where: the community or a node below it
    title: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    address: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    location = _location()
    photos: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    urgency: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    escalation_level: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    escalated_at = mapped_column(DateTime(timezone=True))
    case_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    raised_by: Mapped[str] = mapped_column(Text, nullable=False)
    raised_at = mapped_column(DateTime(timezone=True), nullable=False)
    resolved_at = mapped_column(DateTime(timezone=True))
    closed_at = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(Text)
    closing_note: Mapped[str | None] = mapped_column(Text)
    cancelled_at = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    updated_at = _now()


class Response(Base):
    """One summoned unit's response: summoned → acknowledged → arrived → resolved, each step
    with its deadline; the sweep stamps ``<step>_missed_at`` when a deadline passes."""

    __tablename__ = "whistle_responses"

    id: Mapped[uuid.UUID] = _uuid()
    whistle_id: Mapped[uuid.UUID] = _ref("whistles.id")
    unit_id: Mapped[uuid.UUID] = _ref("units.id")
    status: Mapped[str] = mapped_column(Text, nullable=False)
    summoned_at = mapped_column(DateTime(timezone=True), nullable=False)
    acknowledge_due = mapped_column(DateTime(timezone=True), nullable=False)
    arrive_due = mapped_column(DateTime(timezone=True), nullable=False)
    resolve_due = mapped_column(DateTime(timezone=True), nullable=False)
    acknowledged_at = mapped_column(DateTime(timezone=True))
    arrived_at = mapped_column(DateTime(timezone=True))
    resolved_at = mapped_column(DateTime(timezone=True))
    acknowledge_missed_at = mapped_column(DateTime(timezone=True))
    arrive_missed_at = mapped_column(DateTime(timezone=True))
    resolve_missed_at = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)


class Rating(Base):
    __tablename__ = "whistle_ratings"

    id: Mapped[uuid.UUID] = _uuid()
    whistle_id: Mapped[uuid.UUID] = _ref("whistles.id")
    response_id: Mapped[uuid.UUID] = _ref("whistle_responses.id")
    score: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    rater_role: Mapped[str] = mapped_column(Text, nullable=False)  # resident / community
    rated_by: Mapped[str] = mapped_column(Text, nullable=False)
    rated_at = mapped_column(DateTime(timezone=True), nullable=False)


class TimelineEntry(Base):
    """What happened to a whistle, in order (audit trail shown to staff)."""

    __tablename__ = "whistle_timeline"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    whistle_id: Mapped[uuid.UUID] = _ref("whistles.id")
    at = mapped_column(DateTime(timezone=True), nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


# -- cases ----------------------------------------------------------------------------------


class Case(Base):
    """A resident demand, grid event or hotline ticket, with Open311 fields. Personal data of
    the reporter stays in ``reporter_*`` and never reaches public listings or events."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = _uuid()
    service_code: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    status_notes: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    source: Mapped[str] = mapped_column(Text, nullable=False)
    external_id: Mapped[str | None] = mapped_column(Text)
    node_id: Mapped[uuid.UUID] = _ref("nodes.id")
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    address: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    location = _location()
    media_url: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    requested_datetime = mapped_column(DateTime(timezone=True), nullable=False)
    updated_datetime = mapped_column(DateTime(timezone=True), nullable=False)
    expected_datetime = mapped_column(DateTime(timezone=True))
    accepted_at = mapped_column(DateTime(timezone=True))
    dispatched_at = mapped_column(DateTime(timezone=True))
    handled_at = mapped_column(DateTime(timezone=True))
    replied_at = mapped_column(DateTime(timezone=True))
    rated_at = mapped_column(DateTime(timezone=True))
    closed_at = mapped_column(DateTime(timezone=True))
    escalated_at = mapped_column(DateTime(timezone=True))
    overdue_at = mapped_column(DateTime(timezone=True))
    dispatch_kind: Mapped[str | None] = mapped_column(Text)
    dispatch_target: Mapped[str | None] = mapped_column(Text)
    whistle_id: Mapped[uuid.UUID | None] = _ref("whistles.id", nullable=True)
    reply: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(Text)
    reporter_subject: Mapped[str] = mapped_column(Text, nullable=False)


class CaseEntry(Base):
    """A case's history: every transition with the level (round) it happened at."""

    __tablename__ = "case_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = _ref("cases.id")
    at = mapped_column(DateTime(timezone=True), nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text, nullable=False)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


# -- consultations --------------------------------------------------------------------------


class Consultation(Base):
    """A consultation meeting (四方会谈 / 协商议事) and its minutes."""

    __tablename__ = "consultations"

    id: Mapped[uuid.UUID] = _uuid()
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_kind: Mapped[str] = mapped_column(Text, nullable=False, default="community")
    node_id: Mapped[uuid.UUID] = _ref("nodes.id")
    title: Mapped[str] = mapped_column(Text, nullable=False)
    format: Mapped[str] = mapped_column(Text, nullable=False)
    held_at = mapped_column(DateTime(timezone=True), nullable=False)
    place: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    participants: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = _now()


class Decision(Base):
    __tablename__ = "consultation_decisions"

    id: Mapped[uuid.UUID] = _uuid()
    consultation_id: Mapped[uuid.UUID] = _ref("consultations.id")
    text: Mapped[str] = mapped_column(Text, nullable=False)
    resolves: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class DecisionCase(Base):
    __tablename__ = "decision_cases"

    decision_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("consultation_decisions.id"),
                                                   primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("cases.id"), primary_key=True)


class ResponseRules(Base):
    """The tenant's own time limits, in minutes (one row; none = the defaults)."""

    __tablename__ = "response_rules"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    whistle_deadlines: Mapped[dict] = mapped_column(JSONB, nullable=False)
    case_sla: Mapped[dict] = mapped_column(JSONB, nullable=False)
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at = _now()
