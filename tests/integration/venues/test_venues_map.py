"""One map, nearest-N and service circles with known coordinates. Every distance the service
reports is checked against an independent haversine computation (tests/.../support.py), and
coverage follows from those distances, the detour factor and the walking speed.

Layout (metres north/east of a point in Huzhou's 龙泉街道; 8-minute circle = 8 × 80 / 1.3 = 492 m,
10 = 615 m, 15 = 923 m straight line):

    V1 centre    (0, 0)          A compound (400, 0)       pop 1000 → V1 at 400 m
    V2 red 24h   (0, 2500)       B compound (0, 1800)      pop 3000 → V2 at 700 m
    V3 study     (-3000, 0)      C compound (-1500, -1500) pop 5000 → nothing within 2,100 m
                                 D compound (no location)  pop 200
                                 E compound (-2800, 0)     pop 800  → V3 at 200 m (other community)
"""

from datetime import datetime, timezone

import pytest

from services.venues import domain
from shared.errors import NotFound, ValidationError
from shared.testing.helpers import wait_for
from tests.integration.venues.support import haversine_m, offset

BASE = (30.8700, 120.0900)
NIGHT = datetime(2026, 6, 1, 19, 0, tzinfo=timezone.utc)  # 03:00 on Tuesday in Beijing


def at(north, east):
    lat, lng = offset(*BASE, north_m=north, east_m=east)
    return {"lat": lat, "lng": lng}


@pytest.fixture
def town(vt, clock):
    clock.freeze(NIGHT)
    street = vt.node("street", "龙泉街道", location=at(0, 0))
    c1 = vt.node("community", "白鱼潭社区", street, location=at(0, 0))
    c2 = vt.node("community", "青铜社区", street, location=at(-3000, 0))
    g1 = vt.node("grid", "白鱼潭第一网格", c1)
    g2 = vt.node("grid", "青铜第一网格", c2)
    compounds = {
        "A": vt.node("compound", "白鱼潭小区", g1, population=1000, location=at(400, 0)),
        "B": vt.node("compound", "潭东花园", g1, population=3000, location=at(0, 1800)),
        "C": vt.node("compound", "西山新村", g1, population=5000, location=at(-1500, -1500)),
        "D": vt.node("compound", "无坐标小区", g1, population=200),
        "E": vt.node("compound", "青铜苑", g2, population=800, location=at(-2800, 0)),
    }
    vt.wait_for_replica(compounds=5)
    v1 = vt.venue(c1, "白鱼潭社区党群服务中心", amenities=["wifi", "toilets"], **_place(0, 0))
    v2 = vt.venue(street, "龙泉红色驿站", kind="red_station", open_24h=True, opening_hours=None,
                  amenities=["charging", "drinking_water", "microwave"], **_place(0, 2500))
    v3 = vt.venue(c2, "青铜城市书房", kind="study_room", amenities=["wifi", "books"], **_place(-3000, 0))
    vt.admin.set_star_rating({"venue_id": v1["id"], "year": 2025, "stars": 5})
    return {"street": street, "c1": c1, "c2": c2, "g1": g1, "g2": g2, **compounds, "V1": v1, "V2": v2, "V3": v3}


def _place(north, east):
    point = at(north, east)
    return {"lat": point["lat"], "lng": point["lng"]}


def _loc(node):
    return node["location"]["lat"], node["location"]["lng"]


def test_geojson_map_with_filters(vt, town):
    resident = vt.resident(town["A"])
    everything = resident.venue_map({})
    assert everything["type"] == "FeatureCollection" and not everything["truncated"]
    features = {f["properties"]["name"]: f for f in everything["features"]}
    assert set(features) == {"白鱼潭社区党群服务中心", "龙泉红色驿站", "青铜城市书房"}
    red = features["龙泉红色驿站"]
    assert red["geometry"] == {"type": "Point", "coordinates": [town["V2"]["location"]["lng"],
                                                                town["V2"]["location"]["lat"]]}
    assert red["properties"]["open_now"] is True and red["properties"]["open_24h"] is True

    def names(**filters):
        return sorted(f["properties"]["name"] for f in resident.venue_map(filters)["features"])

    assert names(kinds=["red_station"]) == ["龙泉红色驿站"]
    assert names(amenities=["wifi"]) == ["白鱼潭社区党群服务中心", "青铜城市书房"]
    assert names(amenities=["wifi", "books"]) == ["青铜城市书房"]
    assert names(open_now=True) == ["龙泉红色驿站"]  # 03:00: only the 24h station
    assert names(min_stars=4) == ["白鱼潭社区党群服务中心"]
    assert names(subtree=town["c2"]["id"]) == ["青铜城市书房"]
    box = {"south": BASE[0] - 0.001, "north": BASE[0] + 0.001, "west": BASE[1] - 0.001, "east": BASE[1] + 0.001}
    assert names(bbox=box) == ["白鱼潭社区党群服务中心"]
    assert len(resident.venue_map({"limit": 2})["features"]) == 2 and resident.venue_map({"limit": 2})["truncated"]
    with pytest.raises(ValidationError):
        resident.venue_map({"kinds": ["casino"]})


def test_nearest_with_walking_distance_checked_against_haversine(vt, town):
    origin = at(100, 100)
    result = vt.resident(town["A"]).nearest_venues({"location": origin, "limit": 3})
    names = [item["venue"]["name"] for item in result["items"]]
    assert names == ["白鱼潭社区党群服务中心", "龙泉红色驿站", "青铜城市书房"]
    for item in result["items"]:
        expected = haversine_m(origin["lat"], origin["lng"], item["location"]["lat"], item["location"]["lng"])
        assert item["distance_m"] == pytest.approx(expected, rel=1e-4, abs=0.2)
        assert item["walking_m"] == pytest.approx(expected * 1.3, rel=1e-4, abs=0.3)
        assert item["walking_minutes"] == pytest.approx(expected * 1.3 / 80, rel=1e-3, abs=0.01)
    assert result["items"][0]["distance_m"] == pytest.approx(141.4, abs=0.5)  # √(100² + 100²)
    slow = vt.admin.nearest_venues({"location": origin, "limit": 1, "speed_m_per_min": 50, "detour_factor": 1.0})
    assert slow["items"][0]["walking_minutes"] == pytest.approx(141.4 / 50, abs=0.01)
    open_now = vt.admin.nearest_venues({"location": origin, "open_now": True, "limit": 5})
    assert [i["venue"]["name"] for i in open_now["items"]] == ["龙泉红色驿站"]
    within = vt.admin.nearest_venues({"location": origin, "max_minutes": 15, "limit": 5})
    assert [i["venue"]["name"] for i in within["items"]] == ["白鱼潭社区党群服务中心"]
    kinds = vt.admin.nearest_venues({"location": at(-2900, 0), "kinds": ["party_mass_centre", "red_station"]})
    assert [i["venue"]["name"] for i in kinds["items"]] == ["白鱼潭社区党群服务中心", "龙泉红色驿站"]


def test_service_circles_weighted_by_population(vt, town):
    coverage = vt.secretary(town["street"]).service_circle_coverage({"node_id": town["street"]["id"]})
    assert coverage["radii_m"] == {"8": 492.3, "10": 615.4, "15": 923.1}
    assert coverage["compounds"] == 4 and coverage["population"] == 9800
    assert coverage["unlocated_compounds"] == 1 and coverage["unlocated_population"] == 200
    circles = {c["minutes"]: c for c in coverage["circles"]}
    # which compound is within which circle, from the independent distances
    nearest = {
        "A": haversine_m(*_loc(town["A"]), *_loc(town["V1"])),
        "B": haversine_m(*_loc(town["B"]), *_loc(town["V2"])),
        "C": min(haversine_m(*_loc(town["C"]), *_loc(town[v])) for v in ("V1", "V2", "V3")),
        "E": haversine_m(*_loc(town["E"]), *_loc(town["V3"])),
    }
    population = {"A": 1000, "B": 3000, "C": 5000, "E": 800}
    for minutes in (8, 10, 15):
        radius = domain.circle_radius_m(minutes)
        covered = [k for k, d in nearest.items() if d <= radius]
        assert circles[minutes]["compounds_covered"] == len(covered)
        assert circles[minutes]["population_covered"] == sum(population[k] for k in covered)
        assert circles[minutes]["coverage_rate"] == round(sum(population[k] for k in covered) / 9800, 4)
    assert circles[8]["population_covered"] == 1800 and circles[15]["population_covered"] == 4800
    children = {c["name"]: c for c in coverage["children"]}
    assert children["白鱼潭社区"]["population"] == 9000 and children["青铜社区"]["population"] == 800
    assert {c["minutes"]: c["coverage_rate"] for c in children["青铜社区"]["circles"]} == {8: 1.0, 10: 1.0, 15: 1.0}
    assert {c["minutes"]: c["coverage_rate"] for c in children["白鱼潭社区"]["circles"]}[15] == round(4000 / 9000, 4)
    # a faster walker (or a straighter street grid) reaches B within 10 minutes
    fast = vt.admin.service_circle_coverage({"node_id": town["c1"]["id"], "minutes": [10], "detour_factor": 1.0})
    assert fast["circles"][0]["population_covered"] == 4000
    # only centres count: B loses its red station
    centres = vt.admin.service_circle_coverage({"node_id": town["c1"]["id"], "kinds": ["party_mass_centre"]})
    assert [c["population_covered"] for c in centres["circles"]] == [1000, 1000, 1000]


def test_uncovered_compounds_ranked_by_population(vt, town):
    page = vt.admin.uncovered_compounds({"node_id": town["street"]["id"], "minutes": 8, "limit": 1})
    assert [i["name"] for i in page["items"]] == ["西山新村"] and page["next_cursor"]
    first = page["items"][0]
    assert first["population"] == 5000 and first["nearest"]["name"] in ("白鱼潭社区党群服务中心", "青铜城市书房")
    assert first["nearest"]["distance_m"] == pytest.approx(
        haversine_m(*_loc(town["C"]), *_loc(town["V1"])), rel=1e-4)
    rest = vt.admin.uncovered_compounds({"node_id": town["street"]["id"], "minutes": 8, "limit": 5,
                                         "cursor": page["next_cursor"]})
    assert [i["name"] for i in rest["items"]] == ["潭东花园"] and rest["next_cursor"] is None
    assert rest["items"][0]["nearest"]["name"] == "龙泉红色驿站"
    fifteen = vt.admin.uncovered_compounds({"node_id": town["street"]["id"], "minutes": 15})
    assert [i["name"] for i in fifteen["items"]] == ["西山新村"]
    # a new station next to 西山新村 closes the gap
    vt.venue(town["g1"], "西山红色驿站", kind="red_station", open_24h=True, opening_hours=None, **_place(-1400, -1500))
    assert vt.admin.uncovered_compounds({"node_id": town["street"]["id"], "minutes": 15})["items"] == []
    with pytest.raises(NotFound):
        vt.admin.uncovered_compounds({"node_id": "00000000-0000-0000-0000-000000000000"})


def test_the_replica_follows_organizations_changes(vt, town):
    """Population updates, moves between communities and archiving reach coverage through events."""
    vt.org.update_node({"node_id": town["C"]["id"], "population": 6000})
    vt.wait_for_node(town["C"], population=6000)
    coverage = vt.admin.service_circle_coverage({"node_id": town["c1"]["id"], "minutes": [15]})
    assert coverage["population"] == 10000
    vt.org.move_node({"node_id": town["A"]["id"], "new_parent_id": town["g2"]["id"]})
    moved = vt.wait_for_node(town["A"], path=f"{town['g2']['path']}.{town['A']['path'].split('.')[-1]}")
    assert moved["path"].startswith(town["c2"]["path"])
    children = {c["name"]: c for c in vt.admin.service_circle_coverage(
        {"node_id": town["street"]["id"], "minutes": [8]})["children"]}
    assert children["青铜社区"]["population"] == 1800 and children["白鱼潭社区"]["population"] == 9000
    vt.org.archive_node({"node_id": town["D"]["id"]})
    wait_for(lambda: vt.admin.service_circle_coverage({"node_id": town["c1"]["id"]})["unlocated_compounds"] == 0,
             message="the archived compound to leave the coverage")
