"""Reading and checking import files without a database: every bad row is reported with its line
number and reason; a planned re-run of the same rows changes nothing."""

import io
import uuid

import pytest
from openpyxl import Workbook

from services.organizations import importing
from services.organizations.importing import (
    NODE_COLUMNS,
    NODE_REQUIRED,
    UNIT_COLUMNS,
    UNIT_REQUIRED,
    Existing,
    ImportProblems,
    code_paths,
    plan_nodes,
    plan_units,
    read_table,
)
from tests.integration.organizations.support import credit_code

CSV = """kind,code,name,parent,lat,lng,population,households
street,LQ,龙泉街道,,30.87,120.09,,
community,BYT,白鱼潭社区,LQ,30.88,120.1,8000,2600
grid,G01,第一网格,LQ/BYT,,,,
compound,C01,白鱼潭小区,LQ/BYT/G01,30.881,120.101,1200,400
building,B01,1幢,LQ/BYT/G01/C01,,,90,30
"""


def rows_of(text):
    rows, problems = read_table(text.encode(), "csv", NODE_COLUMNS, NODE_REQUIRED)
    assert problems == {}
    return rows


def test_reads_csv_with_line_numbers():
    rows = rows_of(CSV)
    assert [r["line"] for r in rows] == [2, 3, 4, 5, 6]
    assert rows[1] == {"kind": "community", "code": "BYT", "name": "白鱼潭社区", "parent": "LQ", "lat": "30.88",
                       "lng": "120.1", "population": "8000", "households": "2600", "line": 3}


def test_reads_gbk_csv_with_chinese_headers_and_kinds():
    text = "类型,编码,名称,上级\n街道,LQ,龙泉街道,\n社区,BYT,白鱼潭社区,LQ\n"
    rows, problems = read_table(text.encode("gb18030"), "csv", NODE_COLUMNS, NODE_REQUIRED)
    assert problems == {} and rows[1]["kind"] == "社区"
    plan = plan_nodes(rows, {})
    assert [n.kind for n in plan.create] == ["street", "community"]


def test_reads_xlsx():
    book = Workbook()
    sheet = book.active
    sheet.append(["kind", "code", "name", "parent", "population"])
    sheet.append(["street", 3305, "龙泉街道", None, None])
    sheet.append(["community", "BYT", "白鱼潭社区", 3305, 8000])
    buffer = io.BytesIO()
    book.save(buffer)
    rows, problems = read_table(buffer.getvalue(), "xlsx", NODE_COLUMNS, NODE_REQUIRED)
    assert problems == {}
    assert rows[0]["code"] == "3305" and rows[1]["parent"] == "3305" and rows[1]["population"] == "8000"
    assert [n.key for n in plan_nodes(rows, {}).create] == ["3305", "3305/BYT"]


def test_header_problems():
    _, problems = read_table(b"kind,code,nombre\n", "csv", NODE_COLUMNS, NODE_REQUIRED)
    assert problems[1]["header"] == ["unknown column 'nombre'", "missing column(s): name, parent"]
    _, problems = read_table(b"", "csv", NODE_COLUMNS, NODE_REQUIRED)
    assert problems == {1: {"header": ["the file is empty"]}}


def test_every_bad_row_is_reported():
    text = CSV + "\n".join([
        "gird,G02,错类型,LQ/BYT,,,,",  # 7: kind
        "grid,G 03,空格编码,LQ/BYT,,,,",  # 8: code
        "grid,G04,,LQ/BYT,,,,",  # 9: name
        "grid,G05,孤儿网格,LQ/NOPE,,,,",  # 10: parent missing
        "compound,C02,错挂小区,LQ/BYT,,,,",  # 11: parent kind
        "grid,G06,坐标错,LQ/BYT,91,120,,",  # 12: lat range
        "grid,G07,只有纬度,LQ/BYT,30,,,",  # 13: lat without lng
        "grid,G08,人口错,LQ/BYT,,,-5,abc",  # 14: population + households
        "grid,G01,重复编码,LQ/BYT,,,,",  # 15: duplicate code path
        "grid,G09,第一网格,LQ/BYT,,,,",  # 16: sibling name taken
        "building,B02,2幢,LQ/BYT/G05/C9,,,,",  # 17: parent is a bad row's child path
        "grid,G10,第十网格,LQ/BYT,,,,",  # 18: fine
    ]) + "\n"
    with pytest.raises(ImportProblems) as error:
        plan_nodes(rows_of(text), {})
    problems = error.value.problems
    assert sorted(problems) == list(range(7, 18))
    assert "unknown kind 'gird'" in problems[7]["kind"][0]
    assert "code" in problems[8] and problems[9] == {"name": ["1 to 100 characters"]}
    assert problems[10]["parent"] == ["no node with code path LQ/NOPE in the file or the tree"]
    assert problems[11]["parent"] == ["a compound belongs under a grid, not under a community"]
    assert "out of range" in problems[12]["lat"][0]
    assert problems[13]["lat"] == ["give both lat and lng, or neither"]
    assert set(problems[14]) == {"population", "households"}
    assert problems[15]["code"] == ["LQ/BYT/G01 is already on line 4"]
    assert "already the name of line 4" in problems[16]["name"][0]
    assert "no node with code path LQ/BYT/G05/C9" in problems[17]["parent"][0]
    assert error.value.total == 17


def test_children_of_a_bad_row_are_reported_too():
    text = "kind,code,name,parent\nstreet,LQ,龙泉街道,\ncommunity,BYT,,LQ\ngrid,G01,第一网格,LQ/BYT\n"
    with pytest.raises(ImportProblems) as error:
        plan_nodes(rows_of(text), {})
    assert error.value.problems[4]["parent"] == ["no node with code path LQ/BYT in the file or the tree"]


def _existing(plan_rows):
    """What the tree holds after importing ``plan_rows``: code path → Existing."""
    found = {}
    for node in plan_nodes(plan_rows, {}).create:
        found[node.key] = Existing(uuid.uuid4(), node.kind, node.name, node.key.replace("/", "."), node.lat,
                                   node.lng, node.population, node.households)
    return found


def test_a_second_run_changes_nothing_and_changes_are_updates():
    rows = rows_of(CSV)
    existing = _existing(rows)
    again = plan_nodes(rows, existing)
    assert again.create == [] and again.update == [] and again.unchanged == 5
    changed = rows_of(CSV.replace("1幢,LQ/BYT/G01/C01,,,90,30", "1幢,LQ/BYT/G01/C01,,,95,31")
                      + "building,B02,2幢,LQ/BYT/G01/C01,,,,\n")
    plan = plan_nodes(changed, existing)
    assert [n.key for n in plan.create] == ["LQ/BYT/G01/C01/B02"]
    assert [(current.name, node.population) for current, node in plan.update] == [("1幢", 95)]
    assert plan.unchanged == 4
    wrong_kind = rows_of("kind,code,name,parent\ngrid,BYT,白鱼潭社区,LQ\n")
    with pytest.raises(ImportProblems) as error:
        plan_nodes(wrong_kind, existing)
    assert "exists as a community" in error.value.problems[2]["kind"][0]


def test_rows_from_json_keep_their_lines():
    rows = importing.normalize_rows([{"kind": "street", "code": "LQ", "name": "龙泉街道", "parent": None},
                                     {"kind": "community", "code": "X", "name": "x", "parent": "LQ",
                                      "colour": "red", "line": 99}, "oops"])
    with pytest.raises(ImportProblems) as error:
        plan_nodes(rows, {})
    assert error.value.problems == {4: {"row": ["must be an object"]},
                                    99: {"row": ["unknown field(s): colour"]}}


def test_code_paths_of_existing_nodes():
    class N:
        def __init__(self, id, parent_id, code):
            self.id, self.parent_id, self.code = id, parent_id, code

    nodes = [N(1, None, "LQ"), N(2, 1, "BYT"), N(3, 2, None), N(4, 3, "C1"), N(5, 2, "G2")]
    assert set(code_paths(nodes)) == {"LQ", "LQ/BYT", "LQ/BYT/G2"}  # no code, no natural key below


def test_unit_rows():
    good, other = credit_code(1), credit_code(2)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    text = ("name,kind,credit_code,community\n"
            f"铜陵有色,国企,{good},LQ/BYT\n"
            f"错码单位,company,{wrong},\n"
            f"重复单位,company,{good},\n"
            f"未知社区,school,{other},LQ/NOPE\n"
            f"怪类型,bank,{credit_code(3)},\n")
    rows, problems = read_table(text.encode(), "csv", UNIT_COLUMNS, UNIT_REQUIRED)
    assert problems == {}
    with pytest.raises(ImportProblems) as error:
        plan_units(rows, {"LQ/BYT": object()})
    problems = error.value.problems
    assert sorted(problems) == [3, 4, 5, 6]
    assert "check digit" in problems[3]["credit_code"][0]
    assert problems[4]["credit_code"] == [f"{good} is already on line 2"]
    assert problems[5]["community"] == ["no community with code path LQ/NOPE"]
    assert problems[6]["kind"] == ["unknown unit kind 'bank'"]
    (unit,) = plan_units(rows[:1], {"LQ/BYT": object()})
    assert unit.kind == "soe" and unit.community == "LQ/BYT"
