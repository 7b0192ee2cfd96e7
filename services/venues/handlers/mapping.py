"""One map: service points as GeoJSON, nearest-N with walking distance and time, and service
circles (8/10/15-minute walks) over the compounds of a street or community.

Geometry runs in PostGIS on ``geography(Point, 4326)`` columns with GiST indexes: ``ST_DWithin``
for "within r metres", KNN ``<->`` for "nearest first". Distances are great-circle metres on the
mean-radius sphere (``use_spheroid => false``, R = 6,371,008.8 m) so ordering, filtering and the
reported distance agree; walking = distance × detour factor (default 1.3) and time = walking /
speed (default 80 m/min), see services/venues/domain.py.
"""

from geoalchemy2 import Geography
from sqlalchemy import and_, cast, exists, false, func, select, true

from services.venues import domain
from services.venues.handlers.common import (
    as_uuid,
    keyset,
    now,
    paged,
    timezone_of,
    utc_iso,
    within,
)
from services.venues.models import Node, Venue
from shared.errors import NotFound

GEOGRAPHY = Geography("POINT", 4326)


def point(lat, lng):
    return cast(func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326), GEOGRAPHY)


def distance(a, b):
    return func.ST_Distance(a, b, false())


def dwithin(a, b, metres):
    return func.ST_DWithin(a, b, metres, false())


def open_now_expression(scope):
    """Open at this minute of the tenant's week (the venue's hours as an int4multirange)."""
    return Venue.open_spans.contains(domain.week_minute(domain.local(now(), timezone_of(scope))))


def _filtered(statement, data, open_now):
    statement = statement.where(Venue.status == domain.ACTIVE)
    if data.get("kinds"):
        statement = statement.where(Venue.kind.in_(data["kinds"]))
    if data.get("amenities"):
        statement = statement.where(Venue.amenities.contains(list(data["amenities"])))
    if data.get("open_now"):
        statement = statement.where(open_now)
    if data.get("min_stars"):
        statement = statement.where(Venue.stars >= data["min_stars"])
    duty = data.get("on_emergency_duty")
    if duty is not None:
        statement = statement.where(Venue.emergency_role.is_not(None) if duty else Venue.emergency_role.is_(None))
    return statement


def _root(session, node_id, field="node_id"):
    if node_id is None:
        return None
    root = session.get(Node, as_uuid(node_id, field))
    if root is None:
        raise NotFound("no such node", {field: str(node_id)})
    return root


POINT_COLUMNS = (Venue.id, Venue.name, Venue.kind, Venue.address, Venue.lat, Venue.lng, Venue.amenities,
                 Venue.stars, Venue.emergency_role, Venue.open_24h, Venue.node_id, Venue.lender_unit_id)


def _properties(row):
    return {"id": str(row.id), "name": row.name, "kind": row.kind, "address": row.address,
            "amenities": list(row.amenities), "stars": row.stars, "open_now": bool(row.open_now),
            "open_24h": row.open_24h, "emergency_role": row.emergency_role, "node_id": str(row.node_id),
            "lender_unit_id": str(row.lender_unit_id) if row.lender_unit_id else None}


def venue_map(scope, data):
    """Every active service point as a GeoJSON FeatureCollection (RFC 7946: [lng, lat])."""
    session = scope.session
    open_now = open_now_expression(scope)
    statement = _filtered(select(*POINT_COLUMNS, open_now.label("open_now")), data, open_now)
    root = _root(session, data["subtree"], "subtree")
    if root is not None:
        statement = statement.join(Node, Node.id == Venue.node_id).where(within(Node.path, root.path))
    box = data["bbox"]
    if box is not None:
        statement = statement.where(Venue.lat.between(box["south"], box["north"]),
                                    Venue.lng.between(box["west"], box["east"]))
    rows = session.execute(statement.order_by(Venue.id).limit(data["limit"] + 1)).all()
    truncated = len(rows) > data["limit"]
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "id": str(row.id),
                      "geometry": {"type": "Point", "coordinates": [row.lng, row.lat]},
                      "properties": _properties(row)} for row in rows[:data["limit"]]],
        "truncated": truncated,
        "generated_at": utc_iso(now()),
    }


def nearest_venues(scope, data):
    """The N nearest service points (KNN on the GiST index), with walking distance and time."""
    session = scope.session
    origin = point(data["location"]["lat"], data["location"]["lng"])
    open_now = open_now_expression(scope)
    metres = distance(Venue.location, origin).label("distance_m")
    statement = _filtered(select(*POINT_COLUMNS, open_now.label("open_now"), metres), data, open_now)
    if data["max_minutes"] is not None:
        radius = domain.circle_radius_m(data["max_minutes"], data["speed_m_per_min"], data["detour_factor"])
        statement = statement.where(dwithin(Venue.location, origin, radius))
    rows = session.execute(statement.order_by(Venue.location.op("<->")(origin)).limit(data["limit"])).all()
    speed, detour = data["speed_m_per_min"], data["detour_factor"]
    items = [{
        "venue": _properties(row),
        "location": {"lat": row.lat, "lng": row.lng},
        "distance_m": round(row.distance_m, 1),
        "walking_m": round(domain.walking_metres(row.distance_m, detour), 1),
        "walking_minutes": round(domain.walking_minutes(row.distance_m, speed, detour), 2),
    } for row in sorted(rows, key=lambda r: r.distance_m)]
    return {"origin": dict(data["location"]), "speed_m_per_min": speed, "detour_factor": detour,
            "items": items}


def _counted_venues(data):
    conditions = [Venue.status == domain.ACTIVE]
    if data.get("kinds"):
        conditions.append(Venue.kind.in_(data["kinds"]))
    if not data.get("include_emergency", True):
        conditions.append(Venue.emergency_role.is_(None))
    return conditions


def _nearest_lateral(data):
    return (select(Venue.id.label("venue_id"), Venue.name.label("venue_name"), Venue.kind.label("venue_kind"),
                   distance(Venue.location, Node.location).label("distance"))
            .where(*_counted_venues(data))
            .order_by(Venue.location.op("<->")(Node.location)).limit(1).lateral("nearest"))


def _compounds(root):
    conditions = [Node.kind == "compound", Node.archived_at.is_(None)]
    if root is not None:
        conditions.append(within(Node.path, root.path))
    return conditions


def service_circle_coverage(scope, data):
    """For every compound under a node: the nearest service point's walking time; per circle
    (8/10/15 minutes by default) the compounds and people within it, population-weighted
    coverage of the node and of each of its children (communities of a street, grids of a
    community)."""
    session = scope.session
    root = _root(session, data["node_id"])
    speed, detour = data["speed_m_per_min"], data["detour_factor"]
    nearest = _nearest_lateral(data)
    depth = len(root.path.split(".")) + 1 if root is not None else 1
    child_path = func.subpath(Node.path, 0, depth)
    rows = session.execute(
        select(Node.id, Node.population, Node.location.is_not(None).label("located"),
               func.ltree2text(child_path).label("child"), nearest.c.distance)
        .select_from(Node).outerjoin(nearest, and_(true(), Node.location.is_not(None)))
        .where(*_compounds(root))).all()
    minutes = sorted(data["minutes"])
    radii = {m: domain.circle_radius_m(m, speed, detour) for m in minutes}
    children = {}
    total = _tally(minutes)
    for row in rows:
        child = children.setdefault(row.child, _tally(minutes))
        for tally in (total, child):
            _count(tally, row, radii)
    names = dict(session.execute(select(func.ltree2text(Node.path), Node).where(
        func.ltree2text(Node.path).in_(list(children)))).all()) if children else {}
    return {
        "node": None if root is None else {"id": str(root.id), "kind": root.kind, "name": root.name,
                                           "path": root.path},
        "speed_m_per_min": speed, "detour_factor": detour,
        "radii_m": {str(m): round(r, 1) for m, r in radii.items()},
        "kinds": data["kinds"],
        **_summary(total, minutes, radii),
        "children": sorted((
            {"node_id": str(names[path].id) if path in names else None,
             "kind": names[path].kind if path in names else None,
             "name": names[path].name if path in names else None,
             **_summary(tally, minutes, radii)} for path, tally in children.items()),
            key=lambda c: (c["name"] or "", c["node_id"] or "")),
    }


def _tally(minutes):
    return {"compounds": 0, "population": 0, "unlocated_compounds": 0, "unlocated_population": 0,
            "covered": {m: [0, 0] for m in minutes}}


def _count(tally, row, radii):
    population = row.population or 0
    if not row.located:
        tally["unlocated_compounds"] += 1
        tally["unlocated_population"] += population
        return
    tally["compounds"] += 1
    tally["population"] += population
    for m, radius in radii.items():
        if row.distance is not None and row.distance <= radius:
            tally["covered"][m][0] += 1
            tally["covered"][m][1] += population


def _summary(tally, minutes, radii):
    return {
        "compounds": tally["compounds"], "population": tally["population"],
        "unlocated_compounds": tally["unlocated_compounds"],
        "unlocated_population": tally["unlocated_population"],
        "circles": [{
            "minutes": m, "radius_m": round(radii[m], 1),
            "compounds_covered": tally["covered"][m][0],
            "population_covered": tally["covered"][m][1],
            "coverage_rate": domain.ratio(tally["covered"][m][1], tally["population"]),
            "compound_rate": domain.ratio(tally["covered"][m][0], tally["compounds"]),
        } for m in minutes],
    }


def uncovered_compounds(scope, data):
    """Compounds with no service point within the walk, the most populous first — with the
    nearest point and how far it is (where a new station would help most)."""
    session = scope.session
    root = _root(session, data["node_id"])
    radius = domain.circle_radius_m(data["minutes"], data["speed_m_per_min"], data["detour_factor"])
    covered = exists().where(*_counted_venues(data), dwithin(Venue.location, Node.location, radius))
    population = func.coalesce(Node.population, 0)
    statement = (select(Node, population.label("people"))
                 .where(*_compounds(root), Node.location.is_not(None), ~covered))
    rows = session.execute(keyset(statement, data, [population, Node.id], desc_first=True)).all()
    page_ids = [row[0].id for row in rows[:data["limit"]]]
    nearest = _nearest_lateral(data)
    found = {row.id: row for row in session.execute(
        select(Node.id, nearest.c.venue_id, nearest.c.venue_name, nearest.c.venue_kind, nearest.c.distance)
        .select_from(Node).outerjoin(nearest, true()).where(Node.id.in_(page_ids)))} if page_ids else {}
    speed, detour = data["speed_m_per_min"], data["detour_factor"]

    def item(row):
        node, near = row[0], found.get(row[0].id)
        return {
            "node_id": str(node.id), "name": node.name, "path": node.path, "population": node.population,
            "households": node.households, "location": {"lat": node.lat, "lng": node.lng},
            "nearest": None if near is None or near.venue_id is None else {
                "venue_id": str(near.venue_id), "name": near.venue_name, "kind": near.venue_kind,
                "distance_m": round(near.distance, 1),
                "walking_minutes": round(domain.walking_minutes(near.distance, speed, detour), 2)},
        }

    result = paged(rows, data, lambda r: [r.people, str(r[0].id)], item)
    result.update(minutes=data["minutes"], radius_m=round(radius, 1), speed_m_per_min=speed,
                  detour_factor=detour)
    return result

