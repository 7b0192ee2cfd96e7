"""Issue 4's map benchmark: the one-map, nearest-N and service-circle queries over 10,000 venues
and 5,000 compounds in one tenant, through the real venues RPCs with the service running as a
subprocess (bench/harness.py), against a bare nameko echo measured in the same run.

The data are loaded set-based straight into the tenant's schema (benchmark setup only): a
district of 20 × 20 km around Huzhou with 10 streets › 100 communities › 500 grids › 5,000
compounds (clustered around their communities, 200–5,000 residents each) and 10,000 service
points of every kind (red stations open 24 hours, centres with daytime hours, amenities, star
ratings).

    .venv/bin/python -m bench venues_map
"""

import json
import math
import random
import time
import uuid

from sqlalchemy import create_engine, text

from bench.harness import BenchEnvironment, print_table
from services.venues import domain
from shared.config import database_url
from shared.tenancy import schema_for

SLUG = "bench-map"
VENUES, COMPOUNDS = 10_000, 5_000
STREETS, COMMUNITIES_PER_STREET, GRIDS_PER_COMMUNITY = 10, 10, 5
CENTRE = (30.87, 120.09)
HALF_SIDE_M = 10_000
KIND_WEIGHTS = {"red_station": 30, "service_station": 30, "party_mass_centre": 8, "neighbourhood_centre": 8,
                "study_room": 8, "elder_canteen": 8, "party_station": 4, "shared_space": 2, "shared_parking": 2}
CALLS = 1000


def offset(north, east):
    radius = 6_371_008.8
    return (CENTRE[0] + math.degrees(north / radius),
            CENTRE[1] + math.degrees(east / (radius * math.cos(math.radians(CENTRE[0])))))


def label(node_id):
    return node_id.hex


def build(rng):
    """Rows for nodes and venues (deterministic for a seed)."""
    nodes, communities, grids = [], [], []
    for s in range(STREETS):
        street_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        sn, se = rng.uniform(-8000, 8000), rng.uniform(-8000, 8000)
        nodes.append((street_id, "street", f"街道{s:02d}", None, label(street_id), *offset(sn, se), None))
        for c in range(COMMUNITIES_PER_STREET):
            community_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            cn, ce = sn + rng.uniform(-2000, 2000), se + rng.uniform(-2000, 2000)
            path = f"{label(street_id)}.{label(community_id)}"
            nodes.append((community_id, "community", f"社区{s:02d}{c:02d}", street_id, path, *offset(cn, ce), None))
            communities.append((community_id, path, cn, ce))
            for g in range(GRIDS_PER_COMMUNITY):
                grid_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                grid_path = f"{path}.{label(grid_id)}"
                nodes.append((grid_id, "grid", f"网格{s:02d}{c:02d}{g}", community_id, grid_path, None, None, None))
                grids.append((grid_id, grid_path, cn, ce))
    for k in range(COMPOUNDS):
        grid_id, grid_path, cn, ce = grids[k % len(grids)]
        compound_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        north, east = cn + rng.gauss(0, 900), ce + rng.gauss(0, 900)
        nodes.append((compound_id, "compound", f"小区{k:04d}", grid_id, f"{grid_path}.{label(compound_id)}",
                      *offset(north, east), rng.randint(200, 5000)))
    kinds = [k for k, w in KIND_WEIGHTS.items() for _ in range(w)]
    venues = []
    for v in range(VENUES):
        venue_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        community_id, _, cn, ce = communities[v % len(communities)]
        kind = rng.choice(kinds)
        north, east = cn + rng.gauss(0, 1500), ce + rng.gauss(0, 1500)
        lat, lng = offset(max(-HALF_SIDE_M, min(HALF_SIDE_M, north)), max(-HALF_SIDE_M, min(HALF_SIDE_M, east)))
        always = kind == "red_station"
        rows = domain.normalize_hours([] if always else [{"weekday": d, "open": "08:30", "close": "20:30"}
                                                         for d in range(1, 8)], always)
        amenities = sorted(rng.sample(domain.AMENITIES, rng.randint(2, 6)))
        stars = rng.choice([None, None, 3, 4, 5])
        spans = "{" + ",".join(f"[{a},{b})" for a, b in domain.week_spans(rows)) + "}"
        venues.append((venue_id, f"{kind}-{v:05d}", kind, community_id, lat, lng, always,
                       json.dumps(domain.hours_view(rows)), spans, ",".join(amenities), stars))
    return nodes, venues


def load(env):
    """Set-based inserts of the generated rows (one statement per table, arrays unnested)."""
    started = time.perf_counter()
    nodes, venues = build(random.Random(4))
    engine = create_engine(database_url(env.config, "venues"))
    schema = schema_for(SLUG)
    columns = list(zip(*nodes, strict=True))
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO "{schema}".nodes (id, kind, name, parent_id, path, lat, lng, population, source_at)
            SELECT id, kind, name, parent_id, path::ltree, lat, lng, population, now()
            FROM unnest(CAST(:id AS uuid[]), CAST(:kind AS text[]), CAST(:name AS text[]),
                        CAST(:parent AS uuid[]), CAST(:path AS text[]), CAST(:lat AS float8[]),
                        CAST(:lng AS float8[]), CAST(:population AS int[]))
                 AS t(id, kind, name, parent_id, path, lat, lng, population)"""),
            {"id": list(columns[0]), "kind": list(columns[1]), "name": list(columns[2]),
             "parent": list(columns[3]), "path": list(columns[4]), "lat": list(columns[5]),
             "lng": list(columns[6]), "population": list(columns[7])})
        columns = list(zip(*venues, strict=True))
        conn.execute(text(f"""
            INSERT INTO "{schema}".venues (id, name, kind, node_id, address, lat, lng, area_m2, open_24h,
                opening_hours, open_spans, amenities, stars, stars_year, status, created_by, created_at,
                updated_at)
            SELECT id, name, kind, node_id, '湖州市吴兴区', lat, lng, 120, open_24h, hours::jsonb,
                   spans::int4multirange, string_to_array(amenities, ','), stars,
                   CASE WHEN stars IS NULL THEN NULL ELSE 2025 END, 'active', 'bench', now(), now()
            FROM unnest(CAST(:id AS uuid[]), CAST(:name AS text[]), CAST(:kind AS text[]),
                        CAST(:node AS uuid[]), CAST(:lat AS float8[]), CAST(:lng AS float8[]),
                        CAST(:always AS bool[]), CAST(:hours AS text[]), CAST(:spans AS text[]),
                        CAST(:amenities AS text[]), CAST(:stars AS int[]))
                 AS t(id, name, kind, node_id, lat, lng, open_24h, hours, spans, amenities, stars)"""),
            {"id": list(columns[0]), "name": list(columns[1]), "kind": list(columns[2]), "node": list(columns[3]),
             "lat": list(columns[4]), "lng": list(columns[5]), "always": list(columns[6]),
             "hours": list(columns[7]), "spans": list(columns[8]), "amenities": list(columns[9]),
             "stars": list(columns[10])})
        for table in ("nodes", "venues"):
            conn.execute(text(f'ANALYZE "{schema}".{table}'))
    engine.dispose()
    streets = [n for n in nodes if n[1] == "street"]
    communities = [n for n in nodes if n[1] == "community"]
    print(f"loaded {len(nodes)} nodes ({COMPOUNDS} compounds), {len(venues)} venues "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    return streets, communities


def main():
    with BenchEnvironment(["tenants", "venues"]) as env:
        env.onboard(SLUG)
        streets, communities = load(env)
        token = env.tokens.admin(SLUG)
        rng = random.Random(7)

        def point():
            lat, lng = offset(rng.uniform(-HALF_SIDE_M, HALF_SIDE_M), rng.uniform(-HALF_SIDE_M, HALF_SIDE_M))
            return {"lat": lat, "lng": lng}

        def viewport():
            south, west = offset(rng.uniform(-HALF_SIDE_M, HALF_SIDE_M - 2000), rng.uniform(-HALF_SIDE_M, HALF_SIDE_M - 2000))
            north, east = offset(*_back(south, west, 2000))
            return {"south": south, "west": west, "north": north, "east": east}

        queries = [
            ("nearest 5", CALLS, lambda rpc: rpc.venues.nearest_venues({"location": point(), "limit": 5})),
            ("nearest 5 open now + amenity", CALLS, lambda rpc: rpc.venues.nearest_venues(
                {"location": point(), "limit": 5, "open_now": True, "amenities": ["drinking_water"]})),
            ("nearest 10 within 15 min", CALLS, lambda rpc: rpc.venues.nearest_venues(
                {"location": point(), "limit": 10, "max_minutes": 15})),
            ("map 2×2 km viewport", CALLS, lambda rpc: rpc.venues.venue_map({"bbox": viewport()})),
            ("map filtered (kind+amenity+open)", 200, lambda rpc: rpc.venues.venue_map(
                {"kinds": ["party_mass_centre", "neighbourhood_centre"], "amenities": ["wifi"], "open_now": True})),
            ("map whole tenant (10,000)", 50, lambda rpc: rpc.venues.venue_map({"limit": 10_000})),
            ("coverage community (50 cpd)", 500, lambda rpc: rpc.venues.service_circle_coverage(
                {"node_id": str(rng.choice(communities)[0])})),
            ("coverage street (500 cpd)", 200, lambda rpc: rpc.venues.service_circle_coverage(
                {"node_id": str(rng.choice(streets)[0])})),
            ("coverage tenant (5,000 cpd)", 50, lambda rpc: rpc.venues.service_circle_coverage({})),
            ("uncovered 8 min, top 20", 200, lambda rpc: rpc.venues.uncovered_compounds({"minutes": 8, "limit": 20})),
        ]
        with env.client(SLUG, token) as rpc:
            sample = rpc.venues.service_circle_coverage({})
            whole = rpc.venues.venue_map({"limit": 10_000})
        print(f"tenant coverage: {sample['compounds']} compounds, population {sample['population']}; "
              + ", ".join(f"{c['minutes']} min {c['coverage_rate']:.1%}" for c in sample["circles"]), flush=True)
        print(f"whole map: {len(whole['features'])} features, {len(json.dumps(whole)) / 1e6:.1f} MB JSON", flush=True)
        for concurrency in (1, 10):
            echo = env.echo_baseline(calls=CALLS, concurrency=concurrency)
            rows = [("bare nameko echo", echo)]
            for name, calls, call in queries:
                rows.append((name, env.measure(call, calls=calls, concurrency=concurrency, tenant=SLUG,
                                               token=token, warmup=min(50, calls // 5))))
            print_table(f"venues map queries, concurrency {concurrency}, {VENUES:,} venues / {COMPOUNDS:,} compounds",
                        rows, echo)


def _back(lat, lng, metres):
    """north/east metres of the point ``metres`` north-east of (lat, lng), relative to CENTRE."""
    radius = 6_371_008.8
    north = math.radians(lat - CENTRE[0]) * radius + metres
    east = math.radians(lng - CENTRE[1]) * radius * math.cos(math.radians(CENTRE[0])) + metres
    return north, east

