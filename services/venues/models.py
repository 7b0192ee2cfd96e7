"""Tables of the venues service (declared without a schema: each tenant's schema is injected per
call). Constraints, indexes and generated columns live in the migrations; these models name the
columns the code reads and writes. Locations are ``lat``/``lng`` plus a generated PostGIS
``geography(Point, 4326)`` column ``location`` that PostgreSQL keeps in step."""

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
    Identity,
    Integer,
    Numeric,
    SmallInteger,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INT4MULTIRANGE, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from shared import clock
from shared.types import Ltree

POINT = "ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography"


def _uuid():
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _ref(target, nullable=False):
    return mapped_column(UUID(as_uuid=True), ForeignKey(target), nullable=nullable)


def _now(nullable=False):
    return mapped_column(DateTime(timezone=True), nullable=nullable, default=clock.now)


def _location(expression=POINT):
    return deferred(mapped_column(Geography("POINT", 4326, spatial_index=False),
                                  Computed(expression, persisted=True)))


def _time(nullable=True):
    return mapped_column(DateTime(timezone=True), nullable=nullable)


class Base(DeclarativeBase):
    pass


# -- replica of organizations ---------------------------------------------------------------


class Node(Base):
    __tablename__ = "nodes"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    code: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    path: Mapped[str] = mapped_column(Ltree, nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    location = _location(f"CASE WHEN lat IS NULL OR lng IS NULL THEN NULL ELSE {POINT} END")
    population: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    archived_at = _time()
    source_at = _time()
    replicated_at = _now()


class NodeMove(Base):
    __tablename__ = "node_moves"

    node_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    occurred_at = mapped_column(DateTime(timezone=True), primary_key=True)
    old_path: Mapped[str] = mapped_column(Ltree, nullable=False)
    path: Mapped[str] = mapped_column(Ltree, nullable=False)


class NodeTombstone(Base):
    __tablename__ = "node_tombstones"

    node_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    occurred_at = _time(nullable=False)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    credit_code: Mapped[str | None] = mapped_column(Text)
    source_at = _time(nullable=False)


class UnitCommunity(Base):
    __tablename__ = "unit_communities"

    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    community_path: Mapped[str] = mapped_column(Ltree, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source_at = _time(nullable=False)


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    community_path: Mapped[str] = mapped_column(Ltree, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    valid_from = mapped_column(Date, nullable=False)
    valid_until = mapped_column(Date)
    source_at = _time(nullable=False)


class LentResource(Base):
    __tablename__ = "lent_resources"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    agreement_id: Mapped[uuid.UUID] = _ref("agreements.id")
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    windows: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


# -- venues and rooms ---------------------------------------------------------------------------


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[uuid.UUID] = _uuid()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    node_id: Mapped[uuid.UUID] = _ref("nodes.id")
    address: Mapped[str] = mapped_column(Text, nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lng: Mapped[float] = mapped_column(Float, nullable=False)
    location = _location()
    area_m2 = mapped_column(Numeric(10, 1), nullable=False)
    open_24h: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    opening_hours: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    # the same hours as minutes of the week (Monday 00:00 = 0): "open now" is open_spans @> minute
    open_spans: Mapped[list] = mapped_column(INT4MULTIRANGE, nullable=False, default=list)
    amenities: Mapped[list] = mapped_column(ARRAY(Text), nullable=False, default=list)
    service_items: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    phone: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    lender_unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    resource_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    acquisition_method: Mapped[str | None] = mapped_column(Text)
    acquired_from: Mapped[str | None] = mapped_column(Text)
    acquired_on = mapped_column(Date)
    lease_start = mapped_column(Date)
    lease_end = mapped_column(Date)
    lease_terms: Mapped[str | None] = mapped_column(Text)
    rent_in_fen: Mapped[int | None] = mapped_column(BigInteger)
    rent_out_fen: Mapped[int | None] = mapped_column(BigInteger)
    stars: Mapped[int | None] = mapped_column(SmallInteger)
    stars_year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, nullable=False, default="active")
    emergency_role: Mapped[str | None] = mapped_column(Text)
    emergency_since = _time()
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = _now()
    updated_at = _now()
    closed_at = _time()


class StarRating(Base):
    __tablename__ = "venue_star_ratings"

    venue_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("venues.id"),
                                                primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    stars: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str] = mapped_column(Text, nullable=False)
    rated_at = _now()


class Finances(Base):
    __tablename__ = "venue_finances"

    venue_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("venues.id"),
                                                primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    money_in_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    money_out_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at = _now()


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[uuid.UUID] = _uuid()
    venue_id: Mapped[uuid.UUID] = _ref("venues.id")
    name: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    function: Mapped[str] = mapped_column(Text, nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    bookable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    rules: Mapped[dict] = mapped_column(JSONB, nullable=False)
    resource_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, default="active")
    created_at = _now()
    updated_at = _now()


# -- bookings -----------------------------------------------------------------------------------


class Series(Base):
    __tablename__ = "booking_series"

    id: Mapped[uuid.UUID] = _uuid()
    room_id: Mapped[uuid.UUID] = _ref("rooms.id")
    venue_id: Mapped[uuid.UUID] = _ref("venues.id")
    status: Mapped[str] = mapped_column(Text, nullable=False, default="active")
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    attendees: Mapped[int | None] = mapped_column(Integer)
    booker: Mapped[str] = mapped_column(Text, nullable=False)
    booker_role: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    organiser: Mapped[str | None] = mapped_column(Text)
    weekdays: Mapped[list] = mapped_column(ARRAY(SmallInteger), nullable=False)
    start_time: Mapped[str] = mapped_column(Text, nullable=False)
    end_time: Mapped[str] = mapped_column(Text, nullable=False)
    every_weeks: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=1)
    first_date = mapped_column(Date, nullable=False)
    until_date = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    exceptions: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    created_at = _now()
    cancelled_at = _time()
    cancelled_by: Mapped[str | None] = mapped_column(Text)


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[uuid.UUID] = _uuid()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    room_id: Mapped[uuid.UUID] = _ref("rooms.id")
    venue_id: Mapped[uuid.UUID] = _ref("venues.id")
    series_id: Mapped[uuid.UUID | None] = _ref("booking_series.id", nullable=True)
    occurrence_date = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    attendees: Mapped[int | None] = mapped_column(Integer)
    booker: Mapped[str] = mapped_column(Text, nullable=False)
    booker_role: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    organiser: Mapped[str | None] = mapped_column(Text)
    starts_at = _time(nullable=False)
    ends_at = _time(nullable=False)
    blocked_until = _time(nullable=False)
    offer_expires_at = _time()
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at = _time()
    decision_note: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(Text)
    cancelled_at = _time()
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    checked_in_by: Mapped[str | None] = mapped_column(Text)
    checked_in_at = _time()
    attendance: Mapped[int | None] = mapped_column(Integer)
    completed_at = _time()
    no_show_at = _time()
    created_at = _now()
    updated_at = _now()


class Rating(Base):
    __tablename__ = "booking_ratings"

    booking_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("bookings.id"),
                                                  primary_key=True)
    stars: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by: Mapped[str] = mapped_column(Text, nullable=False)
    rated_at = _now()


# -- emergency mode -------------------------------------------------------------------------------


class Activation(Base):
    __tablename__ = "emergency_activations"

    id: Mapped[uuid.UUID] = _uuid()
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    venue_id: Mapped[uuid.UUID | None] = _ref("venues.id", nullable=True)
    node_id: Mapped[uuid.UUID | None] = _ref("nodes.id", nullable=True)
    path: Mapped[str | None] = mapped_column(Ltree)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    default_role: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, default="active")
    bookings_cancelled: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    activated_by: Mapped[str] = mapped_column(Text, nullable=False)
    activated_at = _now()
    deactivated_by: Mapped[str | None] = mapped_column(Text)
    deactivated_at = _time()


class EmergencyVenue(Base):
    __tablename__ = "emergency_venues"

    activation_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("emergency_activations.id"), primary_key=True)
    venue_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("venues.id"),
                                                primary_key=True)
    role: Mapped[str] = mapped_column(Text, nullable=False)
