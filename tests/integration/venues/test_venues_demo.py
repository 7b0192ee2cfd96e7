"""The demo data of the demo tenants loads through the real services (organizations' demo
first, as ``gongjian seed`` runs them), and loading it again creates nothing."""

import pytest

from services.organizations import demo as org_demo
from services.venues import demo
from tests.integration.venues.support import haversine_m


def _load_twice(vt, outbox, builder):
    proxy = vt.client("tenant_admin")
    messages = []
    org_demo.load_data(proxy, getattr(org_demo, builder)(), lambda message, **fields: None)
    demo.load_data(proxy, getattr(demo, builder)(), lambda message, **fields: messages.append((message, fields)))
    events = len(outbox.events(vt.slug))
    demo.load_data(proxy, getattr(demo, builder)(), lambda message, **fields: messages.append((message, fields)))
    assert len(outbox.events(vt.slug)) == events  # nothing new the second time
    return dict(messages[:2])


def _venues(vt, **filters):
    items, cursor = [], None
    while True:
        page = vt.admin.list_venues({**filters, "limit": 200, "cursor": cursor})
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return {v["name"]: v for v in items}


def test_wuxing(vt, outbox):
    report = _load_twice(vt, outbox, "wuxing")
    assert report["venues"]["red_stations"] == 73
    venues = _venues(vt)
    stations = [v for v in venues.values() if v["kind"] == "red_station"]
    assert len(stations) == 73 and all(v["open_24h"] for v in stations)
    assert len({(v["location"]["lat"], v["location"]["lng"]) for v in stations}) == 73
    centre = vt.admin.get_venue(venues["白鱼潭社区党群服务中心"]["id"])
    assert centre["node_name"] == "白鱼潭社区" and centre["stars"] == 5
    assert centre["three_plus_n"]["complete"] and centre["three_plus_n"]["activity"] >= 3
    # every red station lies within 1.3 km of the community it serves
    communities = {n["name"]: n for n in vt.org.list_nodes({"kind": "community", "limit": 200})["items"]}
    for station in stations:
        community = communities[station["node_name"]]
        distance = haversine_m(station["location"]["lat"], station["location"]["lng"],
                               community["location"]["lat"], community["location"]["lng"])
        assert 100 < distance < 1300, (station["name"], distance)
    methods = {v["acquisition"]["method"] for v in venues.values() if v["acquisition"]}
    assert methods == {"revitalised_idle_asset", "co_location", "swap", "rent_to_rent", "rebuild", "pilot_programme"}
    longting = vt.admin.get_venue(venues["龙庭社区党群服务中心"]["id"])
    assert [f["net_fen"] for f in longting["finances"]] == [2_000_000] * 5
    assert venues["银泰地下共享车位"]["kind"] == "shared_parking"
    assert venues["银泰四楼共享多功能厅"]["opening_hours"] == [{"weekday": 6, "open": "09:00", "close": "17:00"}]
    coverage = vt.admin.service_circle_coverage({})
    assert coverage["compounds"] > 0 and coverage["circles"][-1]["coverage_rate"] > 0.5


@pytest.mark.parametrize("builder", ["huayin", "tongling", "kuiwen"])
def test_other_tenants(vt, outbox, builder):
    _load_twice(vt, outbox, builder)
    venues = _venues(vt)
    if builder == "huayin":
        parking = [v for v in venues.values() if v["kind"] == "shared_parking"]
        assert {v["lender_unit_name"] for v in parking} == {"华阴市文化馆", "国家税务总局华阴市税务局岳庙税务所",
                                                            "华阴市岳庙街道办事处"}
        assert "tourist_maps" in venues["岳庙步行街党建驿站小屋"]["amenities"]
        coverage = vt.admin.uncovered_compounds({"minutes": 15})
        assert all(c["population"] for c in coverage["items"])
    assert any(v["kind"] == "party_mass_centre" for v in venues.values())
