"""Tenants as every service sees them: slug rules, schema names and the cached local registry.

Each service keeps its own replica of the registry in ``platform.tenants`` (fed by the tenants
service's events) and refuses calls for tenants that are unknown, provisioning or suspended.
"""

import re
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from shared import platform_tables
from shared.errors import TenantUnavailable, ValidationError

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
SLUG_RULE = "2-41 lowercase letters, digits or '-', starting with a letter"

PROVISIONING = "provisioning"
ACTIVE = "active"
SUSPENDED = "suspended"
DELETING = "deleting"
STATUSES = (PROVISIONING, ACTIVE, SUSPENDED, DELETING)


def validate_slug(slug):
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise ValidationError("invalid tenant slug", {"tenant": [SLUG_RULE]})
    return slug


def schema_for(slug):
    """The PostgreSQL schema holding one tenant's data in every service database."""
    return "t_" + validate_slug(slug).replace("-", "_")


@dataclass(frozen=True)
class TenantInfo:
    slug: str
    name: str
    status: str
    revision: int
    timezone: str
    locale: str
    division_code: str

    @property
    def schema(self):
        return schema_for(self.slug)

    @classmethod
    def from_row(cls, row):
        return cls(
            slug=row.slug,
            name=row.name,
            status=row.status,
            revision=row.revision,
            timezone=row.timezone,
            locale=row.locale,
            division_code=row.division_code,
        )


class TenantRegistry:
    """This service's view of ``platform.tenants``, held in memory so a call costs one dict
    lookup however many tenants there are. Every ``ttl`` seconds the first caller pulls the rows
    changed since the last pull (with an overlap for transactions still in flight when it
    looked); a full reload runs every few minutes as a safety net. A status change is therefore
    seen within ``ttl`` seconds by every replica (at once by the one that made it)."""

    OVERLAP = timedelta(seconds=60)
    FULL_RELOAD_SECONDS = 300.0

    def __init__(self, engine, ttl):
        self.engine = engine
        self.ttl = float(ttl)
        self._tenants = {}
        self._unknown = {}  # slug → monotonic time until which "no such tenant" is trusted
        self._next_refresh = 0.0
        self._next_full_reload = 0.0
        self._watermark = None

    def get(self, slug):
        now = time.monotonic()
        if now >= self._next_refresh:
            self._refresh(now)
        info = self._tenants.get(slug)
        if info is None and self._unknown.get(slug, 0.0) <= now:
            info = self._load(slug)  # created after the last refresh?
            if info is None:
                self._unknown[slug] = now + self.ttl
        return info

    def invalidate(self, slug=None):
        if slug is None:
            self._tenants.clear()
            self._next_full_reload = 0.0
        else:
            self._tenants.pop(slug, None)
        self._unknown.clear()
        self._next_refresh = 0.0

    def _refresh(self, now):
        self._next_refresh = now + self.ttl  # first: other green threads keep using the snapshot
        table = platform_tables.tenants
        statement = select(table)
        full = now >= self._next_full_reload or self._watermark is None
        if not full:
            statement = statement.where(table.c.updated_at >= self._watermark - self.OVERLAP)
        with self.engine.connect() as conn:
            rows = conn.execute(statement).all()
        if full:
            self._tenants = {}
            self._next_full_reload = now + self.FULL_RELOAD_SECONDS
        for row in rows:
            self._tenants[row.slug] = TenantInfo.from_row(row)
            if self._watermark is None or row.updated_at > self._watermark:
                self._watermark = row.updated_at

    def _load(self, slug):
        table = platform_tables.tenants
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.slug == slug)).first()
        if row is None:
            return None
        info = self._tenants[slug] = TenantInfo.from_row(row)
        return info

    def require_active(self, slug):
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
            raise TenantUnavailable("unknown tenant", {"tenant": slug})
        info = self.get(slug)
        if info is None:
            raise TenantUnavailable("unknown tenant", {"tenant": slug})
        if info.status != ACTIVE:
            raise TenantUnavailable(f"tenant is {info.status}", {"tenant": slug, "status": info.status})
        return info
