"""Helpers for venues tests (integration and e2e): a tenant with the real organizations and
venues services, clients per role, a territory built through organizations' RPCs, waiting for
the venues replica to catch up, factories for venues and rooms, an outbox reader and a racer."""

import itertools
import math
from datetime import datetime, timedelta, timezone

from shared.errors import TenantUnavailable
from shared.testing.helpers import wait_for
from tests.integration.organizations.support import credit_code

_serial = itertools.count(1)

# Monday 1 June 2026, 08:00 in Asia/Shanghai (00:00 UTC): every booking test freezes the clock here.
T0 = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)
CST = timezone(timedelta(hours=8))
DAYTIME = [{"weekday": d, "open": "08:00", "close": "21:00"} for d in range(1, 8)]


def local(day_offset, hhmm):
    """An aware datetime ``day_offset`` days after T0's local date at HH:MM Beijing time."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 6, 1, hours, minutes, tzinfo=CST) + timedelta(days=day_offset)


def tomorrow_at(hhmm):
    """Tomorrow at HH:MM Beijing time by the real clock (for tests that do not freeze it)."""
    hours, minutes = map(int, hhmm.split(":"))
    today = datetime.now(CST).date()
    return datetime(today.year, today.month, today.day, hours, minutes, tzinfo=CST) + timedelta(days=1)


def iso(moment):
    return moment.isoformat()


def haversine_m(lat1, lng1, lat2, lng2, radius=6_371_008.8):
    """Great-circle distance on the mean-radius sphere, computed independently of PostGIS."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def offset(lat, lng, north_m=0.0, east_m=0.0, radius=6_371_008.8):
    """A point ``north_m`` north and ``east_m`` east of (lat, lng) (small distances)."""
    dlat = math.degrees(north_m / radius)
    dlng = math.degrees(east_m / (radius * math.cos(math.radians(lat))))
    return round(lat + dlat, 7), round(lng + dlng, 7)


class VenueTenant:
    """One onboarded tenant seen through organizations and venues."""

    def __init__(self, slug, rpc_client, tokens):
        self.slug = slug
        self._rpc_client = rpc_client
        self.tokens = tokens
        admin = self.client("tenant_admin")
        self.admin = admin.venues
        self.org = admin.organizations
        # onboard() waits for the tenants service; the other services learn of the activation
        # from an event a moment later.
        wait_for(self._ready, timeout=20, message=f"organizations and venues to see {slug} active")

    def _ready(self):
        try:
            self.org.list_nodes({"limit": 1})
            self.admin.list_venues({"limit": 1})
        except TenantUnavailable:
            return False
        return True

    def client(self, role="tenant_admin", scope=None, unit_id=None, subject=None):
        token = self.tokens.make(self.slug, role, scope=scope, unit_id=str(unit_id) if unit_id else None,
                                 subject=subject or f"user:{role}-{next(_serial)}")
        return self._rpc_client(self.slug, token)

    def venues_as(self, role, scope=None, unit_id=None, subject=None):
        return self.client(role, scope=scope, unit_id=unit_id, subject=subject).venues

    def resident(self, home=None, subject=None, role="resident"):
        return self.venues_as(role, scope=home["path"] if home else None, subject=subject)

    def secretary(self, node):
        return self.venues_as(f"{node['kind']}_secretary", scope=node["path"])

    # -- territory through organizations ---------------------------------------------------------

    def node(self, kind, name, parent=None, **fields):
        return self.org.create_node({"kind": kind, "name": name, "parent_id": parent["id"] if parent else None,
                                     "code": f"{kind[:2].upper()}{next(_serial)}", **fields})

    def tree(self, prefix="", lat=30.8700, lng=120.0900):
        street = self.node("street", f"{prefix}龙泉街道", location={"lat": lat, "lng": lng})
        community = self.node("community", f"{prefix}白鱼潭社区", street, location={"lat": lat, "lng": lng})
        grid = self.node("grid", f"{prefix}第一网格", community)
        compound = self.node("compound", f"{prefix}白鱼潭小区", grid, population=1200, households=400,
                             location={"lat": lat + 0.002, "lng": lng})
        return {"street": street, "community": community, "grid": grid, "compound": compound}

    def wait_for_node(self, node, timeout=20, **expected):
        def caught_up():
            try:
                row = self.admin.get_replica_node(node["id"])
            except Exception:  # noqa: BLE001 - not there yet
                return None
            if row["source_at"] is None:
                return None  # fetched over RPC, its event has not arrived yet
            return row if all(row.get(k) == v for k, v in expected.items()) else None

        return wait_for(caught_up, timeout=timeout, message=f"replica of node {node['name']}")

    def wait_for_replica(self, timeout=20, **expected):
        return wait_for(lambda: (lambda s: s if all(s[k] >= v for k, v in expected.items()) else None)(
            self.admin.get_replica_status()), timeout=timeout, message=f"replica {expected}")

    def unit(self, name=None, kind="company"):
        return self.org.register_unit({"name": name or f"共建单位{next(_serial)}", "kind": kind,
                                       "credit_code": credit_code()})

    def reported_unit(self, community, **fields):
        unit = self.unit(**fields)
        report = self.org.request_report_in({"unit_id": unit["id"], "community_id": community["id"]})
        self.org.confirm_report_in({"report_id": report["id"]})
        return unit

    # -- venues -------------------------------------------------------------------------------

    def venue(self, node, name=None, client=None, lat=None, lng=None, **fields):
        payload = {"name": name or f"党群服务中心{next(_serial)}", "kind": "party_mass_centre",
                   "node_id": node["id"], "address": "湖州市吴兴区龙泉街道白鱼潭路1号",
                   "location": {"lat": lat or 30.8710, "lng": lng or 120.0910}, "area_m2": 1100,
                   "opening_hours": DAYTIME}
        payload.update(fields)
        return (client or self.admin).create_venue(payload)

    def room(self, venue, name=None, capacity=30, client=None, **fields):
        payload = {"venue_id": venue["id"], "name": name or f"活动室{next(_serial)}", "capacity": capacity}
        payload.update(fields)
        return (client or self.admin).create_room(payload)

