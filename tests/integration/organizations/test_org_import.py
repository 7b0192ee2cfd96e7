"""Bulk import through the real service and the CLI: all or nothing, every bad row reported,
idempotent re-runs, CSV and XLSX, events for every created node."""

import base64
import io
import json

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import Workbook

from cli.main import main
from shared.errors import Forbidden, ValidationError
from tests.integration.organizations.support import credit_code

HEADER = ["kind", "code", "name", "parent", "lat", "lng", "population", "households"]


def tree_rows(streets=1, communities=2, grids=3, compounds=2):
    rows = []
    for s in range(streets):
        street = f"S{s}"
        rows.append({"kind": "street", "code": street, "name": f"街道{s}", "parent": ""})
        for c in range(communities):
            community = f"{street}/C{c}"
            rows.append({"kind": "community", "code": f"C{c}", "name": f"社区{s}-{c}", "parent": street,
                         "lat": round(30.8 + c / 100, 4), "lng": 120.1})
            for g in range(grids):
                grid = f"{community}/G{g}"
                rows.append({"kind": "grid", "code": f"G{g}", "name": f"网格{g}", "parent": community})
                for k in range(compounds):
                    rows.append({"kind": "compound", "code": f"K{k}", "name": f"小区{g}-{k}", "parent": grid,
                                 "population": 300 + k, "households": 100 + k})
    return rows


def csv_of(rows):
    lines = [",".join(HEADER)]
    for row in rows:
        lines.append(",".join("" if row.get(h) is None else str(row.get(h, "")) for h in HEADER))
    return "\n".join(lines) + "\n"


def test_import_is_idempotent_and_emits_events(org, outbox):
    rows = tree_rows()
    result = org.admin.import_nodes({"rows": rows})
    assert result == {"rows": 21, "created": 21, "updated": 0, "unchanged": 0, "dry_run": False,
                      "by_kind": {"street": 1, "community": 2, "grid": 6, "compound": 12}}
    street = org.admin.list_nodes({"top_level": True})["items"][0]
    under = org.admin.list_nodes({"subtree": street["id"], "limit": 200})["items"]
    assert len(under) == 20 and all(n["path"].startswith(street["path"] + ".") for n in under)
    compound = org.admin.list_nodes({"text": "小区2-1"})["items"][0]
    assert compound["population"] == 301 and compound["path"].count(".") == 3
    community = org.admin.list_nodes({"text": "社区0-1"})["items"][0]
    assert community["location"] == {"lat": 30.81, "lng": 120.1}
    created = outbox.events(org.slug, "node_created")
    assert len(created) == 21 and {e["kind"] for e in created} == {"street", "community", "grid", "compound"}
    event = next(e for e in created if e["node_id"] == compound["id"])
    assert event["path"] == compound["path"] and event["parent_id"] == compound["parent_id"]

    again = org.admin.import_nodes({"rows": rows})
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 21)
    assert len(outbox.events(org.slug, "node_created")) == 21

    rows[3]["population"] = 999
    rows.append({"kind": "compound", "code": "K9", "name": "新小区", "parent": "S0/C0/G0"})
    changed = org.admin.import_nodes({"rows": rows, "dry_run": True})
    assert (changed["created"], changed["updated"], changed["dry_run"]) == (1, 1, True)
    changed = org.admin.import_nodes({"rows": rows})
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (1, 1, 20)
    (updated,) = outbox.events(org.slug, "node_updated")
    assert updated["population"] == 999 and updated["code"] == "K0"

    manual = org.node("grid", "手工网格", community, code="G9")  # created by RPC, found by code path
    more = org.admin.import_nodes({"rows": [{"kind": "compound", "code": "K1", "name": "挂到手工网格",
                                             "parent": "S0/C1/G9"}]})
    assert more["created"] == 1
    assert org.admin.list_nodes({"parent_id": manual["id"]})["items"][0]["name"] == "挂到手工网格"


def test_a_file_with_bad_rows_imports_nothing(org):
    good = tree_rows(communities=1, grids=2, compounds=1)
    bad = good + [
        {"kind": "grid", "code": "G5", "name": "孤儿网格", "parent": "S0/C7"},
        {"kind": "village", "code": "V1", "name": "村", "parent": "S0"},
        {"kind": "compound", "code": "K0", "name": "重复", "parent": "S0/C0/G0"},
        {"kind": "compound", "code": "K8", "name": "坐标", "parent": "S0/C0/G1", "lat": 200, "lng": 1},
    ]
    content = base64.b64encode(csv_of(bad).encode()).decode()
    with pytest.raises(ValidationError) as error:
        org.admin.import_nodes({"content": content, "format": "csv"})
    assert error.value.message == "4 of 10 rows are invalid; nothing was imported"
    rows = error.value.fields["rows"]
    assert sorted(rows, key=int) == ["8", "9", "10", "11"]  # line 1 is the header
    assert rows["8"]["parent"] == ["no node with code path S0/C7 in the file or the tree"]
    assert "unknown kind 'village'" in rows["9"]["kind"][0]
    assert rows["10"]["code"] == ["S0/C0/G0/K0 is already on line 5"]
    assert "out of range" in rows["11"]["lat"][0]
    assert org.admin.list_nodes({})["items"] == []
    with pytest.raises(ValidationError) as error:
        org.admin.import_nodes({"content": "***", "format": "csv"})
    assert "content" in error.value.fields
    with pytest.raises(ValidationError):
        org.admin.import_nodes({"rows": good, "content": content, "format": "csv"})


def test_names_of_nodes_without_a_code_are_checked_too(org):
    org.admin.import_nodes({"rows": tree_rows(communities=1, grids=1, compounds=0)})
    community = org.admin.list_nodes({"kind": "community"})["items"][0]
    org.admin.create_node({"kind": "grid", "name": "无编码网格", "parent_id": community["id"]})
    with pytest.raises(ValidationError) as error:
        org.admin.import_nodes({"rows": [{"kind": "grid", "code": "G7", "name": "无编码网格", "parent": "S0/C0"}]})
    assert "already the name of node S0/C0/(a grid without a code)" in error.value.fields["rows"]["2"]["name"][0]
    assert len(org.admin.list_nodes({"parent_id": community["id"]})["items"]) == 2


def test_xlsx_and_permissions(org):
    book = Workbook()
    sheet = book.active
    sheet.append(["类型", "编码", "名称", "上级", "纬度", "经度", "人口", "户数"])
    sheet.append(["街道", "YM", "岳庙街道", None, 34.57, 110.09, None, None])
    sheet.append(["社区", "XY", "西岳社区", "YM", 34.566, 110.087, 12000, 4100])
    sheet.append(["网格", 1, "第1网格", "YM/XY", None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    payload = {"content": base64.b64encode(buffer.getvalue()).decode(), "format": "xlsx"}
    assert org.admin.import_nodes(payload)["created"] == 3
    assert org.admin.list_nodes({"text": "第1网格"})["items"][0]["code"] == "1"
    community = org.admin.list_nodes({"kind": "community"})["items"][0]
    with pytest.raises(Forbidden):
        org.secretary(community).import_nodes(payload)


def test_import_units_with_report_ins(org, outbox):
    org.admin.import_nodes({"rows": tree_rows(communities=1, grids=1, compounds=1)})
    codes = [credit_code(i) for i in range(3)]
    rows = [{"name": "铜陵供电公司", "kind": "国企", "credit_code": codes[0], "community": "S0/C0"},
            {"name": "白鹤小学", "kind": "school", "credit_code": codes[1].lower(), "community": "S0/C0",
             "contact_name": "李老师"},
            {"name": "外地企业", "kind": "company", "credit_code": codes[2]}]
    result = org.admin.import_units({"rows": rows})
    assert (result["created"], result["reported_in"]) == (3, 2)
    community = org.admin.list_nodes({"kind": "community"})["items"][0]
    reported = org.admin.list_units({"community_id": community["id"]})["items"]
    assert {u["name"] for u in reported} == {"铜陵供电公司", "白鹤小学"}
    again = org.admin.import_units({"rows": rows})
    assert (again["created"], again["updated"], again["unchanged"], again["reported_in"]) == (0, 0, 3, 0)
    rows[2]["name"] = "外地企业(更名)"
    assert org.admin.import_units({"rows": rows})["updated"] == 1
    assert len(outbox.events(org.slug, "unit_registered")) == 3
    assert len(outbox.events(org.slug, "unit_reported_in")) == 2
    assert outbox.events(org.slug, "unit_updated")[0]["name"] == "外地企业(更名)"
    with pytest.raises(ValidationError) as error:
        org.admin.import_units({"rows": [{"name": "x", "kind": "company", "credit_code": "123"}]})
    assert "18 characters" in error.value.fields["rows"]["2"]["credit_code"][0]


@pytest.fixture
def cli(gj_config, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in gj_config.items() if k != "LOGGING"}))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--config", str(path), *args], catch_exceptions=False)

    return run


def test_cli_import_nodes(org, cli, tmp_path):
    good = tmp_path / "tree.csv"
    good.write_text(csv_of(tree_rows(communities=1, grids=2, compounds=2)), encoding="utf-8")
    result = cli("import", "nodes", str(good), "--tenant", org.slug)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 8
    assert "read 8 rows" in result.stderr and "imported" in result.stderr
    again = cli("import", "nodes", str(good), "--tenant", org.slug)
    assert json.loads(again.stdout)["unchanged"] == 8

    bad = tmp_path / "bad.csv"
    bad.write_text(csv_of(tree_rows(communities=1, grids=1, compounds=1) + [
        {"kind": "grid", "code": "G1", "name": "缺上级", "parent": "S0/NO"},
        {"kind": "grid", "code": "G2", "name": "", "parent": "S0/C0"}]), encoding="utf-8")
    failed = cli("import", "nodes", str(bad), "--tenant", org.slug)
    assert failed.exit_code == 1
    assert "2 of 6 rows are invalid; nothing was imported" in failed.stderr
    assert "line 6: parent: no node with code path S0/NO" in failed.stderr
    assert "line 7: name: 1 to 100 characters" in failed.stderr
