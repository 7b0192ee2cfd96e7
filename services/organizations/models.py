"""Tables of the organizations service (declared without a schema: each tenant's schema is
injected per call). Constraints, indexes and generated columns live in the migrations; these
models name the columns the code reads and writes.

Locations are stored as ``lat``/``lng`` plus a generated PostGIS ``geography(Point, 4326)``
column ``location`` (GiST-indexed) that PostgreSQL keeps in step.
"""

import uuid

from geoalchemy2 import Geography
from sqlalchemy import (
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID
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
