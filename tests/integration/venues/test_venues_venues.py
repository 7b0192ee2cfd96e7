"""Venues and rooms: creation against the replica (or organizations over RPC when an event has
not arrived yet), opening hours incl. 24h, amenities and service items, how the space was
acquired with yearly money in fen, yearly star ratings with history, "3+N" rooms and their rules,
closing and reopening, and scoped permissions."""

import pytest

from shared.errors import Conflict, Forbidden, NotFound, ValidationError
from tests.integration.venues.support import T0, local


@pytest.fixture
def place(vt, clock):
    clock.freeze(T0)
    return vt.tree()


def test_create_a_centre_with_everything_it_offers(vt, place, outbox, clock):
    venue = vt.venue(
        place["community"], "白鱼潭社区党群服务中心", area_m2=1100.5,
        amenities=["wifi", "toilets", "drinking_water", "first_aid", "umbrellas"],
        service_items=[{"name": "证照代办", "office": "区行政服务中心"},
                       {"name": "社保查询", "office": "区人力社保局", "description": "养老、医疗参保查询"}],
        opening_hours=[{"weekday": d, "open": "08:30", "close": "20:30"} for d in range(1, 6)]
        + [{"weekday": 6, "open": "09:00", "close": "17:00"}],
        acquisition={"method": "revitalised_idle_asset", "acquired_from": "市无线电管理局",
                     "acquired_on": "2020-05-01", "lease_terms": "无偿使用"},
        phone="0572-1234567")
    assert venue["area_m2"] == 1100.5 and venue["node_name"] == "白鱼潭社区"
    assert venue["node_path"] == place["community"]["path"]
    assert venue["acquisition"]["method"] == "revitalised_idle_asset"
    assert venue["service_items"][0] == {"name": "证照代办", "office": "区行政服务中心", "description": None}
    assert vt.admin.get_venue(venue["id"])["open_now"] is False  # Monday 08:00: opens at 08:30
    clock.freeze(local(0, "08:30"))
    assert vt.admin.get_venue(venue["id"])["open_now"] is True
    clock.freeze(local(6, "10:00"))  # Sunday
    assert vt.admin.get_venue(venue["id"])["open_now"] is False
    (event,) = outbox.events(vt.slug, "venue_created")
    assert event["venue_id"] == venue["id"] and event["node_path"] == place["community"]["path"]
    assert event["location"] == venue["location"]


def test_opening_hours_24h_and_validation(vt, place, clock):
    station = vt.venue(place["grid"], "红色驿站", kind="red_station", open_24h=True, opening_hours=None,
                       amenities=["charging", "drinking_water", "microwave", "first_aid"])
    assert station["open_24h"] is True and len(station["opening_hours"]) == 7
    night = vt.venue(place["grid"], "夜间书房", kind="study_room",
                     opening_hours=[{"weekday": 5, "open": "18:00", "close": "02:00"}])
    assert night["opening_hours"] == [{"weekday": 5, "open": "18:00", "close": "24:00"},
                                      {"weekday": 6, "open": "00:00", "close": "02:00"}]
    clock.freeze(local(5, "01:30"))  # Saturday 01:30
    assert vt.admin.get_venue(night["id"])["open_now"] is True
    for bad, field in ((dict(opening_hours=[{"weekday": 1, "open": "08:00", "close": "12:00"},
                                            {"weekday": 1, "open": "11:00", "close": "13:00"}]), "opening_hours"),
                       (dict(open_24h=True), "opening_hours"),
                       (dict(opening_hours=[{"weekday": 1, "open": "8:00", "close": "12:00"}]), "opening_hours"),
                       (dict(amenities=["casino"]), "amenities"),
                       (dict(amenities=["wifi", "wifi"]), "amenities"),
                       (dict(kind="bar"), "kind"),
                       (dict(area_m2=0), "area_m2"),
                       (dict(location={"lat": 91, "lng": 120}), "location"),
                       (dict(acquisition={"method": "bought"}), "acquisition"),
                       (dict(id="x"), "id")):
        with pytest.raises(ValidationError) as error:
            vt.venue(place["grid"], "坏数据", **bad)
        assert field in error.value.fields, (bad, error.value.fields)


def test_nodes_come_from_the_replica_or_over_rpc(vt, place):
    fresh = vt.node("grid", "刚建的网格", place["community"])
    venue = vt.venue(fresh, "新网格服务站", kind="service_station")  # immediately: RPC fallback if needed
    assert venue["node_path"] == fresh["path"]
    with pytest.raises(NotFound):
        vt.venue({"id": "00000000-0000-0000-0000-000000000000"}, "无处")
    doomed = vt.node("grid", "将撤销网格", place["community"])
    vt.org.archive_node({"node_id": doomed["id"]})
    vt.wait_for_node(doomed)
    from shared.testing.helpers import wait_for

    wait_for(lambda: vt.admin.get_replica_node(doomed["id"])["archived_at"], message="archival to replicate")
    with pytest.raises(Conflict, match="archived"):
        vt.venue(doomed, "撤销网格服务站")


def test_money_in_fen_and_private_to_managers(vt, place):
    venue = vt.venue(place["community"], "龙庭社区党群服务中心", acquisition={
        "method": "rent_to_rent", "acquired_from": "某公司", "lease_start": "2021-01-01",
        "lease_end": "2025-12-31", "rent_in_fen": 6_000_000, "rent_out_fen": 4_000_000,
        "lease_terms": "出租2个小区5处房产，承租某公司房产"})
    assert venue["acquisition"]["rent_in_fen"] == 6_000_000
    with pytest.raises(ValidationError):
        vt.venue(place["community"], "坏租约", acquisition={"method": "rent_to_rent", "rent_in_fen": 1.5})
    with pytest.raises(ValidationError):
        vt.venue(place["community"], "坏租期", acquisition={"method": "swap", "lease_start": "2022-01-01",
                                                          "lease_end": "2021-01-01"})
    secretary = vt.secretary(place["community"])
    secretary.record_finances({"venue_id": venue["id"], "year": 2024, "money_in_fen": 6_000_000,
                               "money_out_fen": 4_000_000, "note": "以租养租"})
    books = secretary.record_finances({"venue_id": venue["id"], "year": 2025, "money_in_fen": 6_000_000,
                                       "money_out_fen": 4_500_050})
    assert books["net_fen"] == 2_000_000 + 1_499_950 and [y["year"] for y in books["years"]] == [2024, 2025]
    corrected = secretary.record_finances({"venue_id": venue["id"], "year": 2025, "money_in_fen": 6_000_000,
                                           "money_out_fen": 4_000_000})
    assert corrected["total_out_fen"] == 8_000_000
    resident_view = vt.resident(place["compound"]).get_venue(venue["id"])
    assert resident_view["acquisition"] is None and "finances" not in resident_view
    assert len(secretary.get_venue(venue["id"])["finances"]) == 2
    with pytest.raises(Forbidden):
        vt.resident(place["compound"]).record_finances({"venue_id": venue["id"], "year": 2025,
                                                        "money_in_fen": 0, "money_out_fen": 0})


def test_yearly_star_ratings_with_history(vt, place, outbox):
    venue = vt.venue(place["community"], "白鱼潭社区党群服务中心")
    with pytest.raises(Forbidden, match="street secretaries"):  # not by the community that runs it
        vt.secretary(place["community"]).set_star_rating({"venue_id": venue["id"], "year": 2025, "stars": 5})
    street = vt.secretary(place["street"])
    street.set_star_rating({"venue_id": venue["id"], "year": 2024, "stars": 4, "note": "四星级"})
    rated = street.set_star_rating({"venue_id": venue["id"], "year": 2025, "stars": 5, "note": "五星级党群服务中心"})
    assert rated["stars"] == 5 and rated["stars_year"] == 2025
    older = vt.admin.set_star_rating({"venue_id": venue["id"], "year": 2023, "stars": 3})
    assert older["stars"] == 5  # the newest year stays on the map
    assert [(r["year"], r["stars"]) for r in older["star_ratings"]] == [(2025, 5), (2024, 4), (2023, 3)]
    with pytest.raises(ValidationError, match="invalid year"):
        vt.admin.set_star_rating({"venue_id": venue["id"], "year": 2027, "stars": 5})
    with pytest.raises(ValidationError):
        vt.admin.set_star_rating({"venue_id": venue["id"], "year": 2025, "stars": 6})
    assert [e["stars"] for e in outbox.events(vt.slug, "venue_star_rated")] == [4, 5, 3]


def test_three_plus_n_rooms_and_their_rules(vt, place, outbox):
    venue = vt.venue(place["community"], "白鱼潭社区党群服务中心")
    for name, function in (("学习教育室", "learning_education"), ("一站式服务大厅", "public_service")):
        vt.room(venue, name=name, category="basic", function=function, capacity=30)
    for name in ("舞蹈室", "三点半学堂", "百姓健身房"):
        vt.room(venue, name=name, capacity=20)
    detail = vt.admin.get_venue(venue["id"])
    assert detail["three_plus_n"] == {"basic": ["learning_education", "public_service"],
                                      "missing_basic": ["culture_sports"], "activity": 3,
                                      "activity_functions": ["三点半学堂", "百姓健身房", "舞蹈室"], "complete": False}
    vt.room(venue, name="文体活动室", category="basic", function="culture_sports", capacity=60)
    assert vt.admin.get_venue(venue["id"])["three_plus_n"]["complete"] is True
    with pytest.raises(ValidationError) as error:
        vt.room(venue, name="棋牌室", category="basic", function="chess")
    assert "function" in error.value.fields
    with pytest.raises(ValidationError) as error:
        vt.room(venue, name="坏规则", rules={"min_minutes": 120, "max_minutes": 60})
    assert error.value.fields["rules"] == {"min_minutes": ["must not exceed max_minutes"]}
    with pytest.raises(ValidationError):
        vt.room(venue, name="坏规则", rules={"bookable_by": ["tenant_admin"]})
    with pytest.raises(Conflict, match="already exists"):
        vt.room(venue, name="舞蹈室")
    room = vt.room(venue, name="会议室", rules={"buffer_minutes": 30, "approval_required": True})
    updated = vt.admin.update_room({"room_id": room["id"], "rules": {"buffer_minutes": 10}, "capacity": 16})
    assert updated["rules"]["buffer_minutes"] == 10 and updated["rules"]["approval_required"] is True
    assert updated["capacity"] == 16
    assert [r["name"] for r in vt.resident(place["compound"]).list_rooms({"venue_id": venue["id"]})["items"]][:3] == [
        "一站式服务大厅", "学习教育室", "文体活动室"]
    created = outbox.events(vt.slug, "room_created")
    assert len(created) == 7 and created[-1]["approval_required"] is True


def test_update_close_and_reopen(vt, place, outbox):
    venue = vt.venue(place["community"], "白鱼潭社区党群服务中心")
    room = vt.room(venue)
    resident = vt.resident(place["compound"])
    booking = resident.create_booking({"room_id": room["id"], "starts_at": local(1, "10:00").isoformat(),
                                       "ends_at": local(1, "11:00").isoformat(), "purpose": "议事"})
    updated = vt.admin.update_venue({"venue_id": venue["id"], "name": "白鱼潭党群服务中心",
                                     "amenities": ["wifi"], "location": {"lat": 30.872, "lng": 120.092}})
    assert updated["name"] == "白鱼潭党群服务中心" and updated["location"] == {"lat": 30.872, "lng": 120.092}
    assert outbox.events(vt.slug, "venue_updated")[0]["name"] == "白鱼潭党群服务中心"
    closed = vt.admin.close_venue({"venue_id": venue["id"], "reason": "搬迁"})
    assert closed["status"] == "closed" and closed["bookings_cancelled"] == 1
    assert resident.get_booking(booking["id"])["cancel_reason"] == "venue_closed: 搬迁"
    with pytest.raises(Conflict, match="cannot update a venue that is closed"):
        vt.admin.update_venue({"venue_id": venue["id"], "name": "x"})
    assert vt.admin.list_venues({})["items"] == []
    assert [v["id"] for v in vt.admin.list_venues({"status": "closed"})["items"]] == [venue["id"]]
    assert vt.admin.reopen_venue({"venue_id": venue["id"]})["status"] == "active"
    assert {"venue_closed", "venue_reopened"} <= set(outbox.types(vt.slug))


def test_scoped_permissions(vt, place):
    elsewhere = vt.tree(prefix="飞英", lat=30.88)
    mine = vt.secretary(place["community"])
    venue = vt.venue(place["grid"], "网格服务站", client=mine, kind="service_station")
    assert venue["created_by"].startswith("user:community_secretary")
    with pytest.raises(Forbidden):
        vt.venue(elsewhere["community"], "越界", client=mine)
    with pytest.raises(Forbidden):
        vt.venue(place["community"], "居民建的", client=vt.resident(place["compound"]))
    with pytest.raises(Forbidden):
        vt.secretary(elsewhere["community"]).update_venue({"venue_id": venue["id"], "name": "改名"})
    with pytest.raises(Forbidden):
        vt.room(venue, client=vt.secretary(elsewhere["community"]))
    with pytest.raises(Forbidden):  # a venue moved out of the secretary's subtree
        mine.update_venue({"venue_id": venue["id"], "node_id": elsewhere["grid"]["id"]})
    street = vt.secretary(place["street"])
    assert street.update_venue({"venue_id": venue["id"], "description": "街道可管"})["description"] == "街道可管"
    listed = vt.resident(place["compound"]).list_venues({"subtree": place["community"]["id"]})["items"]
    assert [v["name"] for v in listed] == ["网格服务站"] and "created_by" not in listed[0]
    page = vt.admin.list_venues({"limit": 1, "kind": "service_station", "text": "网格"})
    assert len(page["items"]) == 1 and page["next_cursor"] is None


def test_organizations_down_is_a_service_timeout(start_services, onboard, rpc_client, tokens):
    """Without organizations running, a node the replica lacks cannot be checked: the caller gets
    ServiceTimeout (at once when no organizations consumer exists, after RPC_TIMEOUT when one
    does not answer), and nothing is created."""
    from services.venues.service import VenuesService
    from shared.errors import ServiceTimeout, TenantUnavailable
    from shared.testing.helpers import wait_for

    start_services(VenuesService, RPC_TIMEOUT=1.0, VENUES_TIMER_SWEEPS=False)
    slug = onboard()["slug"]
    admin = rpc_client(slug, tokens.admin(slug)).venues

    def ready():
        try:
            return admin.list_venues({}) is not None
        except TenantUnavailable:
            return False

    wait_for(ready, message="venues to see the tenant active")
    with pytest.raises(ServiceTimeout) as error:
        admin.create_venue({"name": "无人应答", "kind": "service_station", "address": "x", "area_m2": 20,
                            "node_id": "6f1c2f7e-5a43-4a8e-9d55-1a0c7c1b2d3e",
                            "location": {"lat": 30.87, "lng": 120.09}})
    assert error.value.details == {"service": "organizations", "method": "get_node"}
    assert admin.list_venues({})["items"] == []
