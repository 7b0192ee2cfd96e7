"""Demo data for ``gongjian seed``: the territory, units and co-building practice the case
studies describe, for each demo tenant. Idempotent: nodes and units go through the bulk imports
(natural keys: code paths and credit codes); everything else is looked up before it is created.

Names come from the seeds (龙泉街道 白鱼潭社区, 白鹤社区 in 桥南办事处, 岳庙街道 西岳社区 with 15 grids
over 33 compounds, 东关街道 苇湾社区 …); credit codes are computed with a valid check digit;
coordinates are plausible for each city.
"""

import hashlib

from services.organizations.domain import USCC_CHARSET, uscc_check_digit
from shared.demo import all_items, nodes_by_code_path


def credit_code(name, division, kind):
    """A stable, valid unified social credit code for a demo unit (registration authority and
    organisation type by kind, the tenant's division code, a body derived from the name)."""
    prefix = {"agency": "11", "public_institution": "12", "social_org": "51", "business_district_org": "59",
              "owners_committee": "93"}.get(kind, "91")
    digest = hashlib.sha256(name.encode()).digest()
    body = prefix + division + "".join(USCC_CHARSET[b % len(USCC_CHARSET)] for b in digest[:9])
    return body + uscc_check_digit(body)


def node(kind, code, name, parent="", lat=None, lng=None, population=None, households=None):
    return {"kind": kind, "code": code, "name": name, "parent": parent,
            "lat": lat if lat is not None else "", "lng": lng if lng is not None else "",
            "population": population if population is not None else "",
            "households": households if households is not None else ""}


def unit(name, kind, division, community="", address=None, contact=None):
    return {"name": name, "kind": kind, "credit_code": credit_code(name, division, kind), "community": community,
            "address": address or "", "contact_name": contact or ""}


# -- 湖州市吴兴区 (seed 000): 56 communities upgraded; 龙泉街道 白鱼潭社区 is the province's favourite -----


def wuxing():
    division, base = "330502", (30.870, 120.090)
    streets = {
        "LQ": ("龙泉街道", {"BYT": "白鱼潭社区", "BLH": "碧浪湖社区", "HZ": "环城社区"}),
        "AS": ("爱山街道", {"HFXT": "红丰西塘社区", "LT": "龙庭社区"}),
        "CY": ("朝阳街道", {"BQX": "北齐巷社区", "HF": "红丰社区", "CY": "朝阳社区"}),
        "FY": ("飞英街道", {"XHY": "新华苑社区", "QHL": "墙壕里社区"}),
        "YH": ("月河街道", {"WY": "文苑社区"}),
        "HD": ("湖东街道", {"DS": "东柿社区"}),
    }
    rows = []
    for s, (street, (street_name, communities)) in enumerate(streets.items()):
        rows.append(node("street", street, street_name, lat=base[0] + s * 0.006, lng=base[1] + s * 0.005))
        for c, (code, name) in enumerate(communities.items()):
            lat, lng = base[0] + s * 0.006 + c * 0.002, base[1] + s * 0.005 - c * 0.002
            rows.append(node("community", code, name, street, round(lat, 5), round(lng, 5),
                             3000 + 700 * c, 1100 + 240 * c))
            for g in range(1, 4):
                rows.append(node("grid", f"G{g}", f"{name[:-2]}第{g}网格", f"{street}/{code}"))
                rows.append(node("compound", f"K{g}", f"{name[:-2]}{['花园', '新村', '小区'][g - 1]}",
                                 f"{street}/{code}/G{g}", round(lat + g * 0.0007, 5), round(lng + g * 0.0006, 5),
                                 900 + 150 * g, 320 + 50 * g))
                for b in range(1, 4):
                    rows.append(node("building", f"B{b}", f"{b}幢", f"{street}/{code}/G{g}/K{g}",
                                     population=60 + 6 * b, households=24 + 2 * b))
    units = [
        unit("湖州市无线电管理局", "agency", division, "AS/HFXT", "爱山街道红丰西塘"),
        unit("湖州市教育局", "agency", division, "LQ/BYT"),
        unit("湖州市卫生健康委员会", "agency", division, "CY/HF"),
        unit("湖州市建设局", "agency", division, "CY/BQX"),
        unit("吴兴区朝阳街道社区卫生服务中心", "public_institution", division, "CY/HF"),
        unit("湖州碧浪湖物业服务有限公司", "property_company", division, "LQ/BYT"),
        unit("吴兴区白鱼潭小区业主委员会", "owners_committee", division, "LQ/BYT"),
        unit("湖州市心理咨询协会", "social_org", division, "LQ/BYT"),
        unit("湖州银泰商业管理有限公司", "company", division, "LQ/BYT"),
    ]
    return {
        "nodes": rows, "units": units,
        "party": [
            ("LQ", "working_committee", "龙泉街道党工委", None, {"big_committee": True}),
            ("LQ/BYT", "community_committee", "白鱼潭社区党委", "龙泉街道党工委", {"big_committee": True}),
            ("LQ/BYT/G1", "branch", "白鱼潭第1网格党支部", "白鱼潭社区党委", {"branch_type": "grid"}),
            ("LQ/BYT/G2", "branch", "白鱼潭家园支部", "白鱼潭社区党委", {"branch_type": "home"}),
            ("LQ/BYT/G1/K1/B1", "group", "1幢党小组", "白鱼潭第1网格党支部", {}),
            ("FY/QHL", "community_committee", "墙壕里社区党委", None, {}),
            ("FY/QHL/G1", "branch", "墙壕里家园支部", "墙壕里社区党委", {"branch_type": "home"}),
        ],
        "seats": [
            ("白鱼潭社区党委", "沈书记", "secretary", None),
            ("白鱼潭社区党委", "碧浪湖物业党支部书记", "part_time_member", "湖州碧浪湖物业服务有限公司"),
            ("白鱼潭社区党委", "市教育局机关党委委员", "part_time_member", "湖州市教育局"),
        ],
        "alliances": [("LQ/BYT", "白鱼潭社区红色联盟", "每月第一个周六",
                       [("湖州市教育局", "chair"), ("湖州碧浪湖物业服务有限公司", "council_member"),
                        ("湖州市心理咨询协会", None), ("湖州银泰商业管理有限公司", None)])],
        "pairings": [("湖州市无线电管理局", "AS/HFXT"), ("湖州市建设局", "CY/BQX")],
        "agreements": [("湖州银泰商业管理有限公司", "LQ/BYT", "2026年共驻共建协议", [
            {"kind": "space", "name": "银泰四楼多功能厅", "quantity": 1,
             "windows": [{"weekday": 6, "start": "09:00", "end": "17:00"}]},
            {"kind": "parking", "name": "地下共享车位", "quantity": 30,
             "windows": [{"weekday": d, "start": "19:00", "end": "24:00"} for d in range(1, 8)]}])],
        "whistles": [("LQ/BYT/G1/K1", "暴雨后小区积水", "flood_control", "urgent",
                      ["湖州市教育局", "湖州碧浪湖物业服务有限公司"], True)],
        "cases": [("LQ/BYT/G2/K2", "lighting", "白鱼潭新村2幢楼道灯不亮", True),
                  ("LQ/BYT/G1/K1", "elderly", "独居老人希望上门理发", False)],
        "consultations": [],
    }


# -- 铜陵市 (seed 002): 桥南办事处 白鹤社区, its alliance, pairing with city-level orgs, whistles -------


def tongling():
    division, base = "340700", (30.925, 117.800)
    rows = [node("street", "QN", "桥南办事处", lat=base[0], lng=base[1]),
            node("community", "BH", "白鹤社区", "QN", 30.9273, 117.8031, 11200, 4020),
            node("community", "TS", "铜山社区", "QN", 30.9182, 117.7954, 8600, 3100),
            node("street", "TG", "铜官山办事处", lat=30.944, lng=117.817),
            node("community", "JS", "金山社区", "TG", 30.9461, 117.8202, 9800, 3500)]
    compounds = {"G1": ["白鹤新村", "白鹤花园"], "G2": ["鹤园小区"], "G3": ["铜都花园", "有色新村"],
                 "G4": ["桥南小区"]}
    for g, (grid, names) in enumerate(compounds.items(), start=1):
        rows.append(node("grid", grid, f"白鹤社区第{g}网格", "QN/BH"))
        for k, name in enumerate(names, start=1):
            rows.append(node("compound", f"K{k}", name, f"QN/BH/{grid}", round(30.9265 + g * 0.0008, 5),
                             round(117.8025 + k * 0.0009, 5), 1400 + 200 * k, 500 + 60 * k))
            for b in range(1, 9 if name == "白鹤新村" else 5):  # the 8 buildings whose stairwells were renovated
                rows.append(node("building", f"B{b}", f"{b}栋", f"QN/BH/{grid}/K{k}", population=70, households=24))
    for code, name in (("TS", "铜山社区"), ("JS", "金山社区")):
        street = "QN" if code == "TS" else "TG"
        for g in range(1, 3):
            rows.append(node("grid", f"G{g}", f"{name}第{g}网格", f"{street}/{code}"))
    units = [
        unit("铜陵有色金属集团控股有限公司", "soe", division, "QN/BH", "铜陵市长江西路"),
        unit("国网安徽省电力有限公司铜陵供电公司", "soe", division, "QN/BH"),
        unit("铜陵市郊区人民医院", "hospital", division, "QN/BH"),
        unit("铜陵市白鹤小学", "school", division, "QN/BH"),
        unit("铜陵红管家物业服务有限公司", "property_company", division, "QN/BH"),
        unit("白鹤社区爱心社工服务社", "social_org", division, "QN/BH"),
        unit("中共铜陵市委组织部", "agency", division, ""),
        unit("铜陵市文明办", "agency", division, ""),
        unit("铜陵市民政局", "agency", division, "TG/JS"),
    ]
    return {
        "nodes": rows, "units": units,
        "party": [
            ("QN/BH", "community_committee", "白鹤社区大党委", None, {"big_committee": True}),
            ("QN/BH/G1", "branch", "白鹤社区第1网格党支部", "白鹤社区大党委", {"branch_type": "grid"}),
            ("QN/BH/G1/K1/B1", "group", "白鹤新村1栋党小组", "白鹤社区第1网格党支部", {}),
            ("QN/BH/G1/K1/B1", "member_household", "白鹤新村1栋张家党员中心户", "白鹤新村1栋党小组", {}),
        ],
        "seats": [("白鹤社区大党委", "汪厚明", "member", None),
                  ("白鹤社区大党委", "有色集团社区联络员", "part_time_member", "铜陵有色金属集团控股有限公司"),
                  ("白鹤社区大党委", "红管家物业经理", "part_time_member", "铜陵红管家物业服务有限公司")],
        "alliances": [("QN/BH", "白鹤社区党建联盟", "每月第一个周五", [
            ("铜陵有色金属集团控股有限公司", "chair"), ("国网安徽省电力有限公司铜陵供电公司", "vice_chair"),
            ("铜陵市郊区人民医院", "council_member"), ("铜陵市白鹤小学", None), ("铜陵红管家物业服务有限公司", None),
            ("白鹤社区爱心社工服务社", None)])],
        "pairings": [("中共铜陵市委组织部", "QN/BH"), ("铜陵市文明办", "QN/BH"), ("铜陵市民政局", "TG/JS")],
        "agreements": [("铜陵市郊区人民医院", "QN/BH", "2026年契约化共建协议", [
            {"kind": "space", "name": "医院门诊楼三楼健康讲堂", "quantity": 1,
             "windows": [{"weekday": 3, "start": "14:00", "end": "17:00"},
                         {"weekday": 6, "start": "09:00", "end": "11:30"}]},
            {"kind": "personnel", "name": "家庭医生义诊团队", "quantity": 6}])],
        "whistles": [("QN/BH/G1/K1", "白鹤新村雨污管道堵塞", "infrastructure", "urgent",
                      ["国网安徽省电力有限公司铜陵供电公司", "铜陵红管家物业服务有限公司"], True),
                     ("QN/BH/G3/K1", "铜都花园楼道杂物堆放消防隐患", "fire_safety", "normal",
                      ["铜陵红管家物业服务有限公司"], True),
                     ("QN/BH/G4", "桥南小区独居老人疫情期间送药", "epidemic_prevention", "normal",
                      ["铜陵市郊区人民医院", "白鹤社区爱心社工服务社"], False)],
        "cases": [("QN/BH/G2/K1", "sanitation", "鹤园小区垃圾清运不及时", True),
                  ("QN/BH/G1/K2", "parking", "白鹤花园消防通道被占", False)],
        "consultations": [("QN/BH/G1/K1", "白鹤新村楼道改造四方会谈", "four_party")],
    }


# -- 华阴市 (seed 003): 岳庙街道 西岳社区, 15 grids over 33 compounds, "4 levels + 2" --------------


XIYUE_COMPOUNDS = [
    "西岳小区", "岳庙新村", "双泉小区", "老腔苑", "关帝庙巷小区", "岳庙街东区", "岳庙街西区", "华山路家属院",
    "文化馆家属院", "税务所家属院", "西岳花园", "岳镇小区", "太华苑", "五岳小区", "华岳新城", "仙峪小区",
    "玉泉小区", "莲花小区", "华西小区", "岳西新村", "华阴老街小区", "庙前小区", "黄甫峪小区", "灵泉苑",
    "古柏小区", "御道小区", "迎宾小区", "西关新村", "东岳小区", "翠华苑", "金岳小区", "明清街小区", "华府小区",
]


def huayin():
    division = "610582"
    rows = [node("street", "YM", "岳庙街道", lat=34.5665, lng=110.0865),
            node("community", "XY", "西岳社区", "YM", 34.5658, 110.0872, 12600, 4300)]
    compounds = iter(XIYUE_COMPOUNDS)
    for g in range(1, 16):  # 15 grids; 33 compounds: the first three grids hold 3, the others 2
        rows.append(node("grid", f"G{g:02d}", f"西岳社区第{g}网格", "YM/XY"))
        for k in range(1, (3 if g <= 3 else 2) + 1):
            name = next(compounds)
            rows.append(node("compound", f"K{k}", name, f"YM/XY/G{g:02d}", round(34.560 + g * 0.0008, 5),
                             round(110.081 + k * 0.0011 + g * 0.0002, 5), 330 + 20 * k, 120 + 8 * k))
            rows.append(node("building", "B1", "1号楼", f"YM/XY/G{g:02d}/K{k}"))
    units = [
        unit("华阴市文化馆", "public_institution", division, "YM/XY", "岳庙步行街"),
        unit("国家税务总局华阴市税务局岳庙税务所", "agency", division, "YM/XY"),
        unit("华阴市岳庙街道办事处", "agency", division, "YM/XY"),
        unit("华阴市市场监督管理局", "agency", division, "YM/XY"),
        unit("岳庙街商圈联合党组织", "business_district_org", division, "YM/XY"),
        unit("华阴老腔艺术团", "social_org", division, "YM/XY"),
        unit("华山旅游集团有限公司", "soe", division, "YM/XY"),
    ]
    return {
        "nodes": rows, "units": units,
        "party": [
            ("YM", "working_committee", "岳庙街道党委", None, {"big_committee": True}),
            ("YM/XY", "general_branch", "西岳社区党总支", "岳庙街道党委", {}),
            *[(f"YM/XY/G{g:02d}", "branch", f"西岳社区第{g}网格党支部", "西岳社区党总支", {"branch_type": "grid"})
              for g in range(1, 16)],
            ("YM/XY/G01/K1/B1", "group", "西岳小区1号楼楼门党小组", "西岳社区第1网格党支部", {}),
            ("YM/XY", "branch", "岳庙街商圈联合党支部", "西岳社区党总支",
             {"branch_type": "business_district", "unit": "岳庙街商圈联合党组织"}),
            ("YM/XY", "branch", "华阴市文化馆党支部", "西岳社区党总支",
             {"branch_type": "unit", "unit": "华阴市文化馆"}),
        ],
        "seats": [("西岳社区党总支", "西岳社区党总支书记", "secretary", None),
                  ("岳庙街道党委", "文化馆党支部书记", "part_time_member", "华阴市文化馆")],
        "alliances": [("YM/XY", "西岳社区城市党建联合会", "每季度第一个周一", [
            ("华阴市文化馆", "chair"), ("国家税务总局华阴市税务局岳庙税务所", "council_member"),
            ("岳庙街商圈联合党组织", "council_member"), ("华阴老腔艺术团", None), ("华山旅游集团有限公司", None)])],
        "pairings": [("华阴市市场监督管理局", "YM/XY")],
        "agreements": [
            ("华阴市文化馆", "YM/XY", "文化共享空间与共享停车场共建协议", [
                {"kind": "space", "name": "文化馆排练厅(文娱共享空间)", "quantity": 1,
                 "windows": [{"weekday": d, "start": "19:00", "end": "21:30"} for d in (2, 4)]},
                {"kind": "parking", "name": "文化馆共享停车场", "quantity": 40,
                 "windows": [{"weekday": d, "start": "08:00", "end": "20:00"} for d in (6, 7)]}]),
            ("国家税务总局华阴市税务局岳庙税务所", "YM/XY", "岳庙税务所共享停车场协议", [
                {"kind": "parking", "name": "税务所共享停车场", "quantity": 25,
                 "windows": [{"weekday": d, "start": "18:00", "end": "24:00"} for d in range(1, 6)]
                 + [{"weekday": d, "start": "00:00", "end": "24:00"} for d in (6, 7)]}]),
            ("华阴市岳庙街道办事处", "YM/XY", "岳庙办机关会议室与停车场共享", [
                {"kind": "space", "name": "岳庙办机关会议室(党员活动共享阵地)", "quantity": 1,
                 "windows": [{"weekday": d, "start": "14:30", "end": "17:30"} for d in range(1, 6)]},
                {"kind": "parking", "name": "岳庙办机关共享停车场", "quantity": 30,
                 "windows": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in (6, 7)]}]),
        ],
        "whistles": [("YM/XY/G02", "岳庙步行街节日游客拥堵", "traffic", "urgent",
                      ["华山旅游集团有限公司", "岳庙街商圈联合党组织"], True)],
        "cases": [("YM/XY/G01/K1", "parking", "西岳小区门口车辆乱停", True),
                  ("YM/XY/G05/K1", "noise", "夜市噪音影响休息", True),
                  ("YM/XY/G07/K2", "greening", "小区绿地需要补种", False)],
        "consultations": [("YM/XY", "问题墙议题:步行街停车秩序协商", "council")],
    }


# -- 潍坊市奎文区 (seed 004): compound branches, building groups, property companies as part-timers --


def kuiwen():
    division = "370705"
    rows = [node("street", "DG", "东关街道", lat=36.7086, lng=119.1234),
            node("community", "WW", "苇湾社区", "DG", 36.7071, 119.1262, 15800, 5600),
            node("community", "JD", "金都社区", "DG", 36.7123, 119.1301, 12400, 4500),
            node("street", "GW", "广文街道", lat=36.7151, lng=119.1092),
            node("community", "SK", "胜利东街社区", "GW", 36.7139, 119.1105, 9900, 3600)]
    for code, name in (("WW", "苇湾"), ("JD", "金都"), ("SK", "胜利东街")):
        street = "GW" if code == "SK" else "DG"
        for g in range(1, 4):
            rows.append(node("grid", f"G{g}", f"{name}第{g}网格", f"{street}/{code}"))
            for k, suffix in enumerate(("花园", "小区"), start=1):
                compound = f"{name}{['东', '西', '北'][g - 1]}{suffix}"
                rows.append(node("compound", f"K{k}", compound, f"{street}/{code}/G{g}",
                                 round(36.705 + g * 0.0012, 5), round(119.124 + k * 0.0015, 5), 1500, 520))
                for b in range(1, 4):  # building groups (楼栋党小组) live at buildings
                    rows.append(node("building", f"B{b}", f"{b}号楼", f"{street}/{code}/G{g}/K{k}",
                                     population=96, households=32))
    units = [
        unit("潍坊奎文区城市管理局", "agency", division, "DG/WW"),
        unit("潍坊市人民医院", "hospital", division, "DG/WW"),
        unit("潍坊银座物业服务有限公司", "property_company", division, "DG/WW"),
        unit("潍坊恒信物业管理有限公司", "property_company", division, "DG/WW"),
        unit("潍坊金都物业服务有限公司", "property_company", division, "DG/JD"),
        unit("苇湾天使助残手工坊", "social_org", division, "DG/WW"),
        unit("苇湾社区东花园业主委员会", "owners_committee", division, "DG/WW"),
        unit("潍坊奎文区美团骑手站", "company", division, "DG/WW"),
    ]
    return {
        "nodes": rows, "units": units,
        "party": [
            ("DG", "working_committee", "东关街道大工委", None, {"big_committee": True}),
            ("DG/WW", "community_committee", "苇湾社区大党委", "东关街道大工委", {"big_committee": True}),
            ("DG/WW/G1/K1", "branch", "苇湾东花园小区党支部", "苇湾社区大党委", {"branch_type": "compound"}),
            ("DG/WW/G1/K1/B1", "group", "苇湾东花园1号楼楼栋党小组", "苇湾东花园小区党支部", {}),
            ("DG/WW/G2/K1", "branch", "苇湾西花园小区党支部", "苇湾社区大党委", {"branch_type": "compound"}),
            ("DG/JD", "community_committee", "金都社区大党委", "东关街道大工委", {"big_committee": True}),
        ],
        "seats": [("苇湾社区大党委", "马丽丽", "secretary", None),
                  ("苇湾社区大党委", "银座物业党支部书记", "part_time_member", "潍坊银座物业服务有限公司"),
                  ("苇湾社区大党委", "恒信物业项目经理", "part_time_member", "潍坊恒信物业管理有限公司"),
                  ("苇湾社区大党委", "市人民医院社区科主任", "part_time_member", "潍坊市人民医院"),
                  ("东关街道大工委", "金都物业总经理", "part_time_member", "潍坊金都物业服务有限公司")],
        "alliances": [("DG/WW", "苇湾社区共建联盟", "每月最后一个周四", [
            ("潍坊市人民医院", "chair"), ("潍坊银座物业服务有限公司", "council_member"),
            ("潍坊恒信物业管理有限公司", "council_member"), ("苇湾天使助残手工坊", None), ("潍坊奎文区美团骑手站", None)])],
        "pairings": [("潍坊奎文区城市管理局", "DG/WW")],
        "agreements": [("潍坊银座物业服务有限公司", "DG/WW", "红色物业共建协议", [
            {"kind": "space", "name": "物业服务中心议事厅(马扎议事)", "quantity": 1,
             "windows": [{"weekday": 2, "start": "18:30", "end": "20:30"}]},
            {"kind": "service", "name": "公益大集磨刀修伞", "quantity": 1}])],
        "whistles": [("DG/WW/G1/K1", "东花园闲置车位改平安驿站", "property", "normal",
                      ["潍坊银座物业服务有限公司", "潍坊奎文区城市管理局"], True)],
        "cases": [("DG/WW/G2/K1", "property", "西花园电梯频繁停运", True)],
        "consultations": [("DG/WW/G1/K1", "东花园亲邻议事会(1+2+N)", "four_party")],
    }


DEMO = {"huzhou-wuxing": wuxing, "tongling": tongling, "huayin": huayin, "weifang-kuiwen": kuiwen}
FOUR_PARTIES = [{"party": "party_org", "name": "小区党支部"}, {"party": "residents_committee", "name": "社区居委会"},
                {"party": "owners_committee", "name": "业主委员会"}, {"party": "property_company", "name": "物业服务企业"},
                {"party": "resident", "name": "居民代表"}]


# -- loading --------------------------------------------------------------------------------


def load(proxy, tenant, report):
    build = DEMO.get(tenant)
    if build is None:
        report("no organizations demo data for this tenant")
        return
    load_data(proxy, build(), report)


def load_data(proxy, data, report):
    org = proxy.organizations
    result = org.import_nodes({"rows": data["nodes"]})
    report("territory", created=result["created"], unchanged=result["unchanged"], **result["by_kind"])
    result = org.import_units({"rows": data["units"]})
    report("resident units", created=result["created"], reported_in=result["reported_in"])
    nodes = nodes_by_code_path(org)
    units = {u["name"]: u for u in all_items(org.list_units, {})}
    orgs = _party(org, data, nodes, units)
    _alliances(org, data, nodes, units)
    _pairings(org, data, nodes, units)
    _agreements(org, data, nodes, units)
    _whistles(org, data, nodes, units)
    _cases_and_talks(org, data, nodes)
    report("co-building in place", party_orgs=len(orgs), alliances=len(data["alliances"]),
           agreements=len(data["agreements"]), whistles=len(data["whistles"]), cases=len(data["cases"]))


def _community(nodes, path):
    """The community node on a code path (the path itself or its ancestor)."""
    return next(n for p, n in nodes.items()
                if n["kind"] == "community" and (path == p or path.startswith(p + "/")))


def _party(org, data, nodes, units):
    orgs = {o["name"]: o for o in all_items(org.list_party_orgs, {})}
    for path, kind, name, parent, extra in data["party"]:
        if name in orgs:
            continue
        payload = {"kind": kind, "name": name, "node_id": nodes[path]["id"],
                   "parent_id": orgs[parent]["id"] if parent else None,
                   "big_committee": extra.get("big_committee", False)}
        if "branch_type" in extra:
            payload["branch_type"] = extra["branch_type"]
        if "unit" in extra:
            payload["unit_id"] = units[extra["unit"]]["id"]
        orgs[name] = org.create_party_org(payload)
    for org_name, person, role, unit_name in data["seats"]:
        current = org.get_party_org(orgs[org_name]["id"])["seats"]
        if any(s["person_name"] == person for s in current):
            continue
        org.seat_member({"party_org_id": orgs[org_name]["id"], "person_name": person, "role": role,
                         "unit_id": units[unit_name]["id"] if unit_name else None})
    return orgs


def _alliances(org, data, nodes, units):
    for path, name, day, members in data["alliances"]:
        found = org.list_alliances({"community_id": nodes[path]["id"]})["items"]
        alliance = found[0] if found else org.create_alliance(
            {"community_id": nodes[path]["id"], "name": name, "activity_day": day, "founded_on": "2021-03-01"})
        present = {m["unit_id"] for m in org.get_alliance(alliance["id"])["members"]}
        for unit_name, council_role in members:
            if units[unit_name]["id"] not in present:
                org.add_alliance_member({"alliance_id": alliance["id"], "unit_id": units[unit_name]["id"],
                                         "council_role": council_role, "joined_on": "2021-03-01",
                                         "liaison_name": f"{unit_name[:4]}联络员"})
        if not org.list_activity_days({"alliance_id": alliance["id"]})["items"]:
            org.record_activity_day({"alliance_id": alliance["id"], "held_on": "2026-03-06",
                                     "title": "成员单位活动日: 学雷锋志愿服务", "participants": 60,
                                     "host_unit_id": units[members[0][0]]["id"]})


def _pairings(org, data, nodes, units):
    for unit_name, path in data["pairings"]:
        paired = org.list_pairings({"community_id": nodes[path]["id"], "unit_id": units[unit_name]["id"]})
        if not paired["items"]:
            org.create_pairing({"unit_id": units[unit_name]["id"], "community_id": nodes[path]["id"],
                                "started_on": "2021-05-01", "note": "市属党组织与社区结对共建"})


def _agreements(org, data, nodes, units):
    for unit_name, path, title, resources in data["agreements"]:
        existing = org.list_agreements({"community_id": nodes[path]["id"], "unit_id": units[unit_name]["id"]})
        if existing["items"]:
            continue
        agreement = org.create_agreement({
            "unit_id": units[unit_name]["id"], "community_id": nodes[path]["id"], "title": title,
            "valid_from": "2026-01-01", "valid_until": "2026-12-31", "resources": resources,
            "commitments": [{"description": f"开放{resources[0]['name']}", "due_on": "2026-03-31",
                             "resource_index": 0},
                            {"description": "年度共建活动不少于4次", "due_on": "2026-12-15"}]})
        org.sign_agreement({"agreement_id": agreement["id"]})


def _whistles(org, data, nodes, units):
    for path, title, category, urgency, summoned, finished in data["whistles"]:
        community = _community(nodes, path)
        raised = all_items(org.list_whistles, {"community_id": community["id"]})
        if any(w["title"] == title for w in raised):
            continue
        whistle = org.raise_whistle({"node_id": nodes[path]["id"], "title": title, "category": category,
                                     "description": f"{title}, 社区吹哨, 请报到单位响应", "urgency": urgency,
                                     "unit_ids": [units[name]["id"] for name in summoned]})
        for name in summoned:
            unit_id = units[name]["id"]
            org.acknowledge_whistle({"whistle_id": whistle["id"], "unit_id": unit_id})
            if finished:
                org.arrive_whistle({"whistle_id": whistle["id"], "unit_id": unit_id})
                org.resolve_whistle({"whistle_id": whistle["id"], "unit_id": unit_id, "note": "已处置完毕"})
        if finished:
            org.close_whistle({"whistle_id": whistle["id"], "note": "问题已解决, 居民满意"})
            org.rate_whistle({"whistle_id": whistle["id"], "score": 5, "comment": "报到单位响应及时"})


def _cases_and_talks(org, data, nodes):
    for path, service_code, description, answered in data["cases"]:
        community = _community(nodes, path)
        if any(c["description"] == description for c in all_items(org.list_cases, {"community_id": community["id"]})):
            continue
        case = org.report_case({"service_code": service_code, "description": description,
                                "node_id": nodes[path]["id"], "source": "community"})
        org.accept_case({"case_id": case["id"], "status_notes": "社区已受理"})
        if answered:
            org.handle_case({"case_id": case["id"], "status_notes": "网格员已处理"})
            org.reply_case({"case_id": case["id"], "reply": "已处理完毕, 感谢您的反映"})
    for path, title, meeting_format in data["consultations"]:
        community = _community(nodes, path)
        if any(c["title"] == title for c in all_items(org.list_consultations, {"community_id": community["id"]})):
            continue
        org.record_consultation({"node_id": nodes[path]["id"], "title": title, "format": meeting_format,
                                 "held_at": "2026-04-18T19:00:00+08:00", "place": "社区议事厅",
                                 "minutes": "各方充分协商, 达成一致", "participants": FOUR_PARTIES,
                                 "decisions": [{"text": "形成整改方案, 由物业牵头落实"}]})
