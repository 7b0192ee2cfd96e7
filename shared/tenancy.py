"""Tenants as every service sees them: slug rules, schema names and the cached local registry.

Each service keeps its own replica of the registry in ``platform.tenants`` (fed by the tenants
service's events) and refuses calls for tenants that are unknown, provisioning or suspended.
"""

import re
import time
from dataclasses import dataclass

from sqlalchemy import select

from shared import platform_tables
from shared.errors import TenantUnavailable, ValidationError

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,40}$")

PROVISIONING = "provisioning"
ACTIVE = "active"
SUSPENDED = "suspended"
DELETING = "deleting"
STATUSES = (PROVISIONING, ACTIVE, SUSPENDED, DELETING)


def validate_slug(slug):
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise ValidationError("invalid tenant slug", {"tenant": [f"must match {SLUG_PATTERN.pattern}"]})
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
    """Reads ``platform.tenants`` with a short per-tenant cache, so a call costs one dict lookup
    however many tenants there are; a status change is seen within ``ttl`` seconds everywhere."""

    def __init__(self, engine, ttl):
        self.engine = engine
        self.ttl = float(ttl)
        self._cache = {}

    def get(self, slug):
        now = time.monotonic()
        hit = self._cache.get(slug)
        if hit is not None and hit[1] > now:
            return hit[0]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(platform_tables.tenants).where(platform_tables.tenants.c.slug == slug)
            ).first()
        info = TenantInfo.from_row(row) if row else None
        self._cache[slug] = (info, now + self.ttl)
        return info

    def invalidate(self, slug=None):
        if slug is None:
            self._cache.clear()
        else:
            self._cache.pop(slug, None)

    def require_active(self, slug):
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
            raise TenantUnavailable("unknown tenant", {"tenant": slug})
        info = self.get(slug)
        if info is None:
            raise TenantUnavailable("unknown tenant", {"tenant": slug})
        if info.status != ACTIVE:
            raise TenantUnavailable(f"tenant is {info.status}", {"tenant": slug, "status": info.status})
        return info
