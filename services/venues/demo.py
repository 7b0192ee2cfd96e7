"""Demo data for ``gongjian seed``: the venues the case studies describe, for each demo tenant,
on the territory organizations' demo created (run before this one).

* 湖州市吴兴区 (seed 000): 白鱼潭社区党群服务中心 with "3+N" rooms (浙江省最具人气, five stars), the
  six ways the district found space (资产盘活 红丰西塘, 共驻共建 北齐巷, 异地置换 新华苑, 以租养租 龙庭
  with its yearly rent in and out, 破旧立新 文苑, 借势借力 东柿), 73 "城市温度26" red stations for
  delivery riders open 24 hours, the shared hall and car park 银泰 lends, and weekly activities;
* 华阴市 (seed 003): 西岳社区公共服务中心, the 党建驿站小屋 for tourists, the shared rehearsal hall and
  meeting room and the three shared car parks (文化馆, 岳庙税务所, 岳庙办机关) lent under agreements;
* 铜陵市 and 潍坊市奎文区: their community centres, the lent health lecture hall and meeting hall, and
  平安驿站 for delivery riders.

Idempotent: venues are found by name, rooms by name within their venue, ratings and yearly
figures are written only when missing, sample series only when the room has none.
"""

import math
import random
import time
from datetime import timedelta

from shared import clock
from shared.demo import all_items, nodes_by_code_path

DAYTIME = [{"weekday": d, "open": "08:30", "close": "20:30"} for d in range(1, 8)]
OFFICE = [{"weekday": d, "open": "08:30", "close": "17:30"} for d in range(1, 6)] + [
    {"weekday": 6, "open": "09:00", "close": "12:00"}]
CENTRE_AMENITIES = ["wifi", "toilets", "drinking_water", "first_aid", "air_conditioning", "accessible",
                    "umbrellas", "books"]
STATION_AMENITIES = ["drinking_water", "hot_water", "charging", "microwave", "first_aid", "rest_seats",
                     "air_conditioning", "umbrellas"]
SERVICE_ITEMS = [
    {"name": "证照代办", "office": "吴兴区行政服务中心"},
    {"name": "社会保障查询与参保登记", "office": "吴兴区人力资源和社会保障局"},
    {"name": "信息咨询", "office": "社区居委会"},
    {"name": "老年人优待证办理", "office": "吴兴区民政局"},
    {"name": "物业费缴纳", "office": "物业服务企业"},
    {"name": "党员组织关系转接", "office": "社区党委"},
]


def basic_rooms(learning="党员学习教育室", service="一站式服务大厅", culture="文体活动室"):
    """The three basic functions of "3+N"."""
    return [(learning, "basic", "learning_education", 40, {}),
            (service, "basic", "public_service", 20, {"bookable": False}),
            (culture, "basic", "culture_sports", 60, {})]


def venue(path, name, kind="party_mass_centre", north=0, east=0, area=300, hours=None, amenities=None,
          rooms=(), **extra):
    return {"path": path, "name": name, "kind": kind, "north": north, "east": east, "area": area,
            "hours": DAYTIME if hours is None else hours, "amenities": amenities or CENTRE_AMENITIES,
            "rooms": list(rooms), **extra}


def lent(path, name, unit, resource, kind="shared_space", north=0, east=0, area=200, rooms=(), amenities=None):
    """A space or car park a resident unit lends under its co-building agreement: open when the
    agreement's windows say (hours "windows")."""
    if amenities is None:
        amenities = ["parking", "ev_charging"] if kind == "shared_parking" else ["wifi", "toilets", "air_conditioning"]
    return venue(path, name, kind, north, east, area, hours="windows", amenities=amenities, rooms=rooms,
                 lent=(unit, resource))


# -- 湖州市吴兴区 -----------------------------------------------------------------------------------

RED_STATION_SPOTS = [
    "爱山广场", "衣裳街", "小西街", "南浔路", "凤凰路", "仁皇山", "太湖路", "红旗路", "人民路", "苕溪路",
    "吴兴大道", "青铜路", "龙溪港", "东街", "北门", "莲花庄", "飞英塔", "碧浪湖", "月河", "府庙",
    "马军巷", "墙壕里", "湖东", "东柿", "白鱼潭",
]


def red_stations(communities, count=73):
    """73 red stations for delivery riders (城市温度26), near the district's communities: each at a
    street corner 150–1,200 m from its community's centre, open 24 hours."""
    rng = random.Random(26)
    stations = []
    for i in range(count):
        path = communities[i % len(communities)]
        spot = RED_STATION_SPOTS[i % len(RED_STATION_SPOTS)]
        number = i // len(RED_STATION_SPOTS) + 1
        distance, angle = rng.uniform(150, 1200), rng.uniform(0, 2 * math.pi)
        stations.append(venue(path, f"城市温度26·{spot}红色驿站{'' if number == 1 else f'{number}号站'}",
                              "red_station", north=distance * math.cos(angle), east=distance * math.sin(angle),
                              area=round(rng.uniform(15, 60), 1), hours="24h", amenities=STATION_AMENITIES,
                              address_hint=f"{spot}沿街", description="快递小哥、外卖小哥冷了取暖、热了纳凉、渴了喝水、累了歇脚"))
    return stations


def wuxing():
    communities = ["LQ/BYT", "LQ/BLH", "LQ/HZ", "AS/HFXT", "AS/LT", "CY/BQX", "CY/HF", "CY/CY", "FY/XHY",
                   "FY/QHL", "YH/WY", "HD/DS"]
    byt_rooms = basic_rooms() + [
        ("舞蹈室", "activity", "舞蹈室", 30, {}),
        ("三点半学堂", "activity", "三点半学堂", 25, {"rules": {"bookable_by": ["resident", "party_member",
                                                                    "volunteer", "social_org"]}}),
        ("百姓健身房", "activity", "百姓健身房", 20, {}),
        ('微"孝"餐吧', "activity", "助餐", 40, {"bookable": False}),
        ("红色氧吧", "activity", "红色氧吧", 16, {}),
        ("四方会谈议事厅", "activity", "议事协商", 24, {"rules": {"approval_required": True,
                                                              "bookable_by": ["community_secretary", "grid_worker",
                                                                              "unit_liaison", "party_member"]}}),
    ]
    centres = [
        venue("LQ/BYT", "白鱼潭社区党群服务中心", north=40, east=-30, area=1100, rooms=byt_rooms,
              service_items=SERVICE_ITEMS, stars={2021: 5, 2022: 5},
              description="浙江省最具人气党群服务中心; 家园支部28名在职党员轮班值守, 服务群众6000余人次",
              acquisition={"method": "pilot_programme", "acquired_from": "龙泉街道",
                           "lease_terms": "结合老旧小区改造统筹建设"}),
        venue("LQ/BLH", "碧浪湖社区党群服务中心", north=-20, east=35, area=1200, stars={2022: 5},
              rooms=basic_rooms() + [("刘祖鹏艺术工作室", "activity", "书画展览与文化沙龙", 30, {})]),
        venue("AS/HFXT", "红丰西塘社区党群服务中心", area=1600, stars={2022: 5}, rooms=basic_rooms(),
              acquisition={"method": "revitalised_idle_asset", "acquired_from": "湖州市无线电管理局",
                           "acquired_on": "2020-06-30", "lease_terms": "闲置房产改造, 无偿提供社区使用"}),
        venue("CY/BQX", "小西街历史文化街区党群服务中心", north=60, east=10, area=820, rooms=basic_rooms(),
              acquisition={"method": "co_location", "acquired_from": "湖州市建设局",
                           "lease_terms": "北齐巷社区入驻, 街区商户和小区居民同进一个门"}),
        venue("FY/XHY", "新华苑社区党群服务中心", area=600, rooms=basic_rooms(),
              acquisition={"method": "swap", "acquired_from": "物业公司",
                           "lease_terms": "分散6处平均80平米的活动场所置换为一处600平米"}),
        venue("AS/LT", "龙庭社区党群服务中心", area=760, rooms=basic_rooms(),
              acquisition={"method": "rent_to_rent", "acquired_from": "某公司", "lease_start": "2021-01-01",
                           "lease_end": "2030-12-31", "rent_in_fen": 6_000_000, "rent_out_fen": 4_000_000,
                           "lease_terms": "2个小区5处房产每年6万元出租, 每年4万元承租相邻公司房产"},
              finances={2021: (6_000_000, 4_000_000), 2022: (6_000_000, 4_000_000),
                        2023: (6_000_000, 4_000_000), 2024: (6_000_000, 4_000_000),
                        2025: (6_000_000, 4_000_000)}),
        venue("YH/WY", "文苑社区党群服务中心", area=1000, rooms=basic_rooms(),
              acquisition={"method": "rebuild", "acquired_on": "2021-09-30",
                           "lease_terms": "主体建筑原址重建, 新增1000余平米功能空间"}),
        venue("HD/DS", "东柿未来社区党群服务中心", area=3000, rooms=basic_rooms() + [
            ("未来邻里客厅", "activity", "邻里", 80, {}), ("未来健康小屋", "activity", "健康", 12, {}),
            ("未来教育学堂", "activity", "教育", 40, {})],
              acquisition={"method": "pilot_programme", "acquired_from": "省级未来社区试点",
                           "lease_terms": "新规划建设3000平米, 涵盖九大未来场景"}),
        venue("CY/HF", "红丰社区党群服务中心", rooms=basic_rooms() + [
            ("共享门诊", "activity", "血压监测与健康咨询", 10, {"bookable": False})], area=900),
        venue("FY/QHL", "墙壕里社区党群服务中心", area=950, rooms=basic_rooms() + [
            ("爱心银行兑换点", "activity", "爱心银行", 10, {"bookable": False})]),
        venue("CY/CY", "朝阳社区党群服务中心", area=700, rooms=basic_rooms()),
        venue("LQ/HZ", "环城社区党群服务中心", area=680, rooms=basic_rooms()),
    ]
    shared = [
        lent("LQ/BYT", "银泰四楼共享多功能厅", "湖州银泰商业管理有限公司", "银泰四楼多功能厅", north=-250, east=400,
             area=260, rooms=[("多功能厅", "activity", "多功能厅", 120, {"lent": True})]),
        lent("LQ/BYT", "银泰地下共享车位", "湖州银泰商业管理有限公司", "地下共享车位", kind="shared_parking",
             north=-260, east=420, area=900),
    ]
    series = [("白鱼潭社区党群服务中心", "舞蹈室", "广场舞队周练", [2, 4], "19:00", "20:30", 8),
              ("白鱼潭社区党群服务中心", "三点半学堂", "三点半课堂(在职党员志愿辅导)", [1, 3, 5], "15:30", "17:30", 12)]
    return {"address": "湖州市吴兴区", "venues": centres + red_stations(communities) + shared, "series": series}


# -- 华阴市 -------------------------------------------------------------------------------------------


def huayin():
    centre_rooms = [
        ("一站式便民服务大厅", "basic", "public_service", 30, {"bookable": False}),
        ("共享党员活动室", "basic", "learning_education", 40, {"rules": {"bookable_by": [
            "party_member", "community_secretary", "unit_liaison"]}}),
        ("共享文化活动室", "basic", "culture_sports", 60, {}),
        ("共享图书室", "activity", "图书阅览", 30, {}),
        ("党代表工作室", "activity", "党代表接待", 8, {"rules": {"approval_required": True}}),
        ("社会组织孵化基地", "activity", "社会组织孵化", 20, {}),
    ]
    venues = [
        venue("YM/XY", "西岳社区公共服务中心", north=0, east=0, area=860, hours=OFFICE, rooms=centre_rooms,
              service_items=[{"name": "一站式便民服务", "office": "西岳社区居委会"},
                             {"name": "党代表接待", "office": "西岳社区党代表工作室"},
                             {"name": "问题墙+回音壁", "office": "西岳社区两委"}]),
        venue("YM/XY/G02", "岳庙步行街党建驿站小屋", "party_station", north=150, east=90, area=35,
              hours=[{"weekday": d, "open": "08:00", "close": "22:00"} for d in range(1, 8)],
              amenities=["charging", "hot_water", "first_aid", "umbrellas", "tourist_maps", "wifi", "rest_seats"],
              description="为街区群众和游客提供手机充电、急救药品、热水、雨伞、地图、WiFi等免费服务"),
        lent("YM/XY", "文化馆文娱共享空间", "华阴市文化馆", "文化馆排练厅(文娱共享空间)", north=210, east=160,
             area=420, rooms=[("排练厅", "activity", "老腔排练与文艺演出", 80, {"lent": True})]),
        lent("YM/XY", "岳庙办党员活动共享阵地", "华阴市岳庙街道办事处", "岳庙办机关会议室(党员活动共享阵地)",
             north=-120, east=60, area=90, rooms=[("机关会议室", "activity", "党组织活动", 40, {"lent": True})]),
        lent("YM/XY", "文化馆共享停车场", "华阴市文化馆", "文化馆共享停车场", kind="shared_parking",
             north=240, east=190, area=1200),
        lent("YM/XY", "岳庙税务所共享停车场", "国家税务总局华阴市税务局岳庙税务所", "税务所共享停车场",
             kind="shared_parking", north=-60, east=-180, area=650),
        lent("YM/XY", "岳庙办机关共享停车场", "华阴市岳庙街道办事处", "岳庙办机关共享停车场",
             kind="shared_parking", north=-140, east=40, area=800),
    ]
    series = [("文化馆文娱共享空间", "排练厅", "华阴老腔艺术团排练", [2, 4], "19:00", "21:00", 6)]
    return {"address": "华阴市岳庙街道", "venues": venues, "series": series}


# -- 铜陵市 and 潍坊市奎文区 ---------------------------------------------------------------------------


def tongling():
    return {"address": "铜陵市桥南办事处", "venues": [
        venue("QN/BH", "白鹤社区党群服务中心", area=980, stars={2025: 5}, rooms=basic_rooms() + [
            ("红管家议事厅", "activity", "议事协商", 30, {})]),
        venue("QN/TS", "铜山社区党群服务中心", area=620, rooms=basic_rooms()),
        venue("TG/JS", "金山社区党群服务中心", area=700, rooms=basic_rooms()),
        venue("QN/BH/G1", "白鹤新村红色驿站", "red_station", north=120, east=-40, area=28, hours="24h",
              amenities=STATION_AMENITIES),
        lent("QN/BH", "郊区医院健康讲堂", "铜陵市郊区人民医院", "医院门诊楼三楼健康讲堂", north=300, east=250,
             area=150, rooms=[("健康讲堂", "activity", "健康讲座", 80, {"lent": True})]),
    ], "series": []}


def kuiwen():
    return {"address": "潍坊市奎文区东关街道", "venues": [
        venue("DG/WW", "苇湾社区党群服务中心", area=1300, stars={2024: 5, 2025: 5}, rooms=basic_rooms() + [
            ("马扎议事厅", "activity", "议事协商", 40, {}), ("公益集市活动室", "activity", "公益大集", 60, {})]),
        venue("DG/JD", "金都社区党群服务中心", area=800, rooms=basic_rooms()),
        venue("GW/SK", "胜利东街社区党群服务中心", area=760, rooms=basic_rooms()),
        venue("DG/WW/G1/K1", "东花园平安驿站", "red_station", north=40, east=30, area=35, hours="24h",
              amenities=STATION_AMENITIES, description="闲置车位改建, 400名外卖骑手的移动网格员之家"),
        venue("DG/WW/G2", "苇湾骑手红色驿站", "red_station", north=-80, east=120, area=25, hours="24h",
              amenities=STATION_AMENITIES),
        lent("DG/WW", "银座物业议事厅", "潍坊银座物业服务有限公司", "物业服务中心议事厅(马扎议事)", north=90,
             east=-70, area=120, rooms=[("议事厅", "activity", "马扎议事", 40, {"lent": True})]),
    ], "series": []}


DEMO = {"huzhou-wuxing": wuxing, "tongling": tongling, "huayin": huayin, "weifang-kuiwen": kuiwen}

# -- loading --------------------------------------------------------------------------------------------


def _located(nodes, path):
    """The node's location, or its nearest located ancestor's."""
    while path:
        node = nodes.get(path)
        if node and node.get("location"):
            return node["location"]
        path = path.rpartition("/")[0]
    return None


def _offset(location, north, east):
    radius = 6_371_008.8
    lat = location["lat"] + math.degrees(north / radius)
    lng = location["lng"] + math.degrees(east / (radius * math.cos(math.radians(location["lat"]))))
    return {"lat": round(lat, 6), "lng": round(lng, 6)}


def _lent_resources(proxy, venues, report):
    """(unit name, resource name) → (agreement id, resource id), once the venues replica holds the
    signed agreements (they arrive through organizations' events)."""
    wanted = {spec["lent"] for spec in venues if spec.get("lent")}
    if not wanted:
        return {}
    found = {}
    signed = all_items(proxy.organizations.list_agreements, {"status": "signed"})
    for agreement in signed:
        for resource in agreement["resources"]:
            key = (agreement["unit_name"], resource["name"])
            if key in wanted:
                found[key] = (agreement["id"], resource["resource_id"])
    deadline = time.monotonic() + 60
    while proxy.venues.get_replica_status()["signed_agreements"] < len(signed):
        if time.monotonic() > deadline:
            report("co-building agreements have not reached venues yet; lent spaces skipped")
            return {}
        time.sleep(0.5)
    missing = wanted - set(found)
    if missing:
        report("lent resources not found in organizations", missing=len(missing))
    return found


def load(proxy, tenant, report):
    build = DEMO.get(tenant)
    if build is None:
        report("no venues demo data for this tenant")
        return
    load_data(proxy, build(), report)


def load_data(proxy, data, report):
    venues = proxy.venues
    nodes = nodes_by_code_path(proxy.organizations)
    existing = {v["name"]: v for status in ("active", "closed")
                for v in all_items(venues.list_venues, {"status": status})}
    resources = _lent_resources(proxy, data["venues"], report)
    created = rooms_created = 0
    for spec in data["venues"]:
        if spec["path"] not in nodes:
            report("node missing from organizations' demo", path=spec["path"])
            continue
        venue = existing.get(spec["name"])
        if venue is None:
            if spec.get("lent") and spec["lent"] not in resources:
                continue
            venue = venues.create_venue(_venue_payload(spec, nodes, data["address"], resources))
            existing[spec["name"]] = venue
            created += 1
        rooms_created += _rooms(venues, venue, spec, resources)
        _ratings_and_money(venues, venue, spec)
    report("venues", created=created, rooms_created=rooms_created, total=len(existing),
           red_stations=sum(1 for v in existing.values() if v["kind"] == "red_station"))
    booked = _series(venues, existing, data["series"])
    report("weekly activities", series_created=booked)


def _venue_payload(spec, nodes, address, resources):
    location = _offset(_located(nodes, spec["path"]), spec["north"], spec["east"])
    node = nodes[spec["path"]]
    payload = {"name": spec["name"], "kind": spec["kind"], "node_id": node["id"],
               "address": f"{address}{node['name']}{spec.get('address_hint', '')}", "location": location,
               "area_m2": spec["area"], "amenities": spec["amenities"]}
    if spec["hours"] == "24h":
        payload["open_24h"] = True
    elif spec["hours"] != "windows":  # lent spaces open when their agreement's windows say
        payload["opening_hours"] = spec["hours"]
    for key in ("service_items", "acquisition", "description"):
        if key in spec:
            payload[key] = spec[key]
    if spec.get("lent"):
        agreement_id, resource_id = resources[spec["lent"]]
        payload.update(agreement_id=agreement_id, resource_id=resource_id)
    return payload


def _rooms(venues, venue, spec, resources):
    present = {r["name"] for r in venues.list_rooms({"venue_id": venue["id"], "include_archived": True})["items"]}
    count = 0
    for name, category, function, capacity, extra in spec["rooms"]:
        if name in present:
            continue
        payload = {"venue_id": venue["id"], "name": name, "category": category, "function": function,
                   "capacity": capacity, "bookable": extra.get("bookable", True), "rules": extra.get("rules", {})}
        if extra.get("lent"):
            payload["resource_id"] = resources[spec["lent"]][1]
        venues.create_room(payload)
        count += 1
    return count


def _ratings_and_money(venues, venue, spec):
    if not spec.get("stars") and not spec.get("finances"):
        return
    detail = venues.get_venue(venue["id"])
    rated = {r["year"]: r["stars"] for r in detail["star_ratings"]}
    for year, stars in sorted(spec.get("stars", {}).items()):
        if rated.get(year) != stars:
            venues.set_star_rating({"venue_id": venue["id"], "year": year, "stars": stars,
                                    "note": "五星级党群服务中心" if stars == 5 else None})
    recorded = {f["year"] for f in detail["finances"]}
    for year, (money_in, money_out) in sorted(spec.get("finances", {}).items()):
        if year not in recorded:
            venues.record_finances({"venue_id": venue["id"], "year": year, "money_in_fen": money_in,
                                    "money_out_fen": money_out, "note": "以租养租"})


def _series(venues, existing, series):
    """Sample weekly activities from next Monday, unless the room already has bookings of ours."""
    created = 0
    today = clock.now().date()
    monday = today + timedelta(days=7 - today.weekday())
    for venue_name, room_name, purpose, weekdays, start, end, count in series:
        venue = existing.get(venue_name)
        if venue is None:
            continue
        room = next((r for r in venues.list_rooms({"venue_id": venue["id"]})["items"] if r["name"] == room_name), None)
        if room is None or venues.list_bookings({"room_id": room["id"], "mine": True, "limit": 1})["items"]:
            continue
        try:
            venues.create_series({"room_id": room["id"], "purpose": purpose, "weekdays": weekdays, "start": start,
                                  "end": end, "first_date": monday.isoformat(), "count": count,
                                  "on_conflict": "skip"})
            created += 1
        except Exception:  # noqa: BLE001 - e.g. a lending window closed this season: skip the sample
            continue
    return created
