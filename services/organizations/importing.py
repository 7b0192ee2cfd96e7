"""Bulk import of the territory tree and of resident units: reading CSV/XLSX tables and checking
every row before anything is written (plain functions; the database side is in
handlers/imports.py, the CLI in cli/import_nodes.py).

Nodes are addressed by their **code path**: the codes from the street down, joined by "/"
(``LQ/BYT/G01``). A row names its parent by the parent's code path, so a file is idempotent:
importing it again finds every node by its natural key and changes nothing. Units are
addressed by their credit code.

Node columns: kind, code, name, parent, lat, lng, population, households
Unit columns: name, kind, credit_code, address, contact_name, contact_phone, lat, lng, community
(Chinese headers are accepted too: 类型, 编码, 名称, 上级, 纬度, 经度, 人口, 户数, 统一社会信用代码, …)
"""

import csv
import io
from dataclasses import dataclass, field

from services.organizations import domain

SEPARATOR = domain.CODE_PATH_SEPARATOR
MAX_ROWS = 100_000

NODE_COLUMNS = {
    "kind": ("kind", "类型", "层级"),
    "code": ("code", "编码", "代码"),
    "name": ("name", "名称"),
    "parent": ("parent", "上级", "上级编码"),
    "lat": ("lat", "latitude", "纬度"),
    "lng": ("lng", "lon", "long", "longitude", "经度"),
    "population": ("population", "人口"),
    "households": ("households", "户数"),
}
NODE_REQUIRED = ("kind", "code", "name", "parent")
UNIT_COLUMNS = {
    "name": ("name", "名称", "单位名称"),
    "kind": ("kind", "类型", "单位类型"),
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码"),
    "address": ("address", "地址"),
    "contact_name": ("contact_name", "联系人"),
    "contact_phone": ("contact_phone", "联系电话"),
    "lat": ("lat", "latitude", "纬度"),
    "lng": ("lng", "lon", "long", "longitude", "经度"),
    "community": ("community", "报到社区", "社区"),  # code path of the community reported in to
}
UNIT_REQUIRED = ("name", "kind", "credit_code")
KIND_NAMES = {"街道": "street", "社区": "community", "网格": "grid", "小区": "compound", "楼栋": "building",
              "单元": "unit"}
UNIT_KIND_NAMES = {"机关": "agency", "国企": "soe", "企业": "company", "学校": "school", "医院": "hospital",
                   "物业": "property_company", "物业公司": "property_company", "业委会": "owners_committee",
                   "社会组织": "social_org", "商圈党组织": "business_district_org", "事业单位": "public_institution",
                   "其他": "other"}


class ImportProblems(Exception):
    """Every bad row: ``problems`` maps a line number to {column: [messages]}."""

    def __init__(self, problems, total):
        super().__init__(f"{len(problems)} of {total} rows are invalid")
        self.problems = problems
        self.total = total


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(content, fmt, columns, required):
    """(rows, problems): rows are dicts by column name with ``line`` (1 = header)."""
    if fmt == "csv":
        raw = _decode(content)
        table = csv.reader(io.StringIO(raw))
    elif fmt == "xlsx":
        table = _xlsx_rows(content)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    try:
        header = next(table)
    except StopIteration:
        return [], {1: {"header": ["the file is empty"]}}
    names, problems = map_header([_cell(h) for h in header], columns, required)
    if problems:
        return [], {1: problems}
    rows = []
    for line, values in enumerate(table, start=2):
        values = [_cell(v) for v in values]
        if not any(values):
            continue  # blank line
        row = {name: (values[i] if i < len(values) else "") for i, name in names.items()}
        row["line"] = line
        rows.append(row)
        if len(rows) > MAX_ROWS:
            return [], {line: {"file": [f"more than {MAX_ROWS} rows; split the file"]}}
    return rows, {}


def _decode(content):
    if isinstance(content, str):
        return content
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("the CSV file is neither UTF-8 nor GB18030")


def _xlsx_rows(content):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        yield from workbook.active.iter_rows(values_only=True)
    finally:
        workbook.close()


def map_header(header, columns, required):
    """column index → field name; problems when a column is unknown, doubled or missing."""
    aliases = {alias.lower(): name for name, names in columns.items() for alias in names}
    names, problems = {}, []
    for index, title in enumerate(header):
        if not title:
            continue
        name = aliases.get(title.lower())
        if name is None:
            problems.append(f"unknown column {title!r}")
        elif name in names.values():
            problems.append(f"column {title!r} appears twice")
        else:
            names[index] = name
    missing = [name for name in required if name not in names.values()]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    return names, ({"header": problems} if problems else {})


def normalize_rows(rows):
    """Rows given as JSON (RPC callers): strings for every cell, a line number for each."""
    result = []
    for index, row in enumerate(rows, start=2):
        if not isinstance(row, dict):
            result.append({"line": index, "_invalid": "must be an object"})
            continue
        clean = {k: _cell(v) for k, v in row.items() if k != "line"}
        clean["line"] = row.get("line", index)
        result.append(clean)
    return result


# -- nodes ----------------------------------------------------------------------------------


@dataclass
class Existing:
    """An active node already in the tenant's tree."""

    id: object
    kind: str
    name: str
    path: str
    lat: float | None = None
    lng: float | None = None
    population: int | None = None
    households: int | None = None


@dataclass
class NodeRow:
    line: int
    kind: str
    code: str
    name: str
    parent: str  # code path of the parent, "" for streets
    lat: float | None
    lng: float | None
    population: int | None
    households: int | None

    @property
    def key(self):
        return f"{self.parent}{SEPARATOR}{self.code}" if self.parent else self.code

    def figures(self):
        return (self.name, self.lat, self.lng, self.population, self.households)


@dataclass
class NodePlan:
    create: list = field(default_factory=list)  # NodeRow, parents before children
    update: list = field(default_factory=list)  # (Existing, NodeRow)
    unchanged: int = 0


def _number(value, name, problems, low=None, high=None, integer=False):
    if value == "":
        return None
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        problems.setdefault(name, []).append(f"{value!r} is not {'a whole number' if integer else 'a number'}")
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        problems.setdefault(name, []).append(f"{value} is out of range {low}..{high}")
        return None
    return number


def _node_row(row):
    problems = {}
    if "_invalid" in row:
        return None, {"row": [row["_invalid"]]}
    kind = KIND_NAMES.get(row.get("kind", ""), row.get("kind", ""))
    if kind not in domain.NODE_KINDS:
        problems["kind"] = [f"unknown kind {row.get('kind', '')!r} (one of {', '.join(domain.NODE_KINDS)})"]
    code = row.get("code", "")
    if not domain.NODE_CODE.match(code):
        problems["code"] = [f"{code!r} is not a code: 1-40 letters, digits, '.', '_' or '-'"]
    name = row.get("name", "")
    if not 1 <= len(name) <= 100:
        problems["name"] = ["1 to 100 characters"]
    parent = row.get("parent", "").strip(SEPARATOR)
    if parent and not all(domain.NODE_CODE.match(part) for part in parent.split(SEPARATOR)):
        problems["parent"] = [f"{parent!r} is not a code path like S01/C03"]
    lat = _number(row.get("lat", ""), "lat", problems, -90, 90)
    lng = _number(row.get("lng", ""), "lng", problems, -180, 180)
    if (lat is None) != (lng is None) and "lat" not in problems and "lng" not in problems:
        problems["lat"] = ["give both lat and lng, or neither"]
    population = _number(row.get("population", ""), "population", problems, 0, 10**8, integer=True)
    households = _number(row.get("households", ""), "households", problems, 0, 10**8, integer=True)
    unknown = sorted(set(row) - set(NODE_COLUMNS) - {"line"})
    if unknown:
        problems["row"] = [f"unknown field(s): {', '.join(unknown)}"]
    if problems:
        return None, problems
    return NodeRow(row["line"], kind, code, name, parent, lat, lng, population, households), {}


def plan_nodes(rows, existing, taken_names=None):
    """Check every row against the file and the tree (``existing``: code path → Existing;
    ``taken_names``: (parent code path, name) → code path or description of the node holding
    that name, including nodes without a code); returns a NodePlan or raises ImportProblems
    listing every bad row."""
    problems = {}
    parsed = {}
    first_line = {}
    for row in rows:
        node, row_problems = _node_row(row)
        if row_problems:
            problems[row["line"]] = row_problems
            continue
        if node.key in first_line:
            problems[node.line] = {"code": [f"{node.key} is already on line {first_line[node.key]}"]}
            continue
        first_line[node.key] = node.line
        parsed[node.key] = node

    siblings = dict(taken_names or {})  # (parent key, name) → key of the node holding it
    for info_key, info in existing.items():
        parent_key = info_key.rpartition(SEPARATOR)[0]
        siblings[(parent_key, info.name)] = info_key
    plan = NodePlan()
    accepted = set()  # keys that passed every check (parents are checked before children)
    for node in sorted(parsed.values(), key=lambda n: (n.key.count(SEPARATOR), n.line)):
        row_problems = {}
        parent_kind = None
        if node.parent:
            if node.parent in parsed:
                parent_kind = parsed[node.parent].kind
                if node.parent not in accepted:
                    row_problems["parent"] = [f"parent {node.parent} (line {parsed[node.parent].line}) is invalid"]
            elif node.parent in existing:
                parent_kind = existing[node.parent].kind
            else:
                row_problems["parent"] = [f"no node with code path {node.parent} in the file or the tree"]
        if "parent" not in row_problems:
            problem = domain.parent_problem(node.kind, parent_kind)
            if problem:
                row_problems["parent" if node.parent or parent_kind else "kind"] = [problem]
        current = existing.get(node.key)
        if current is not None and current.kind != node.kind:
            row_problems["kind"] = [f"{node.key} exists as a {current.kind}"]
        holder = siblings.get((node.parent, node.name))
        if holder is not None and holder != node.key:
            where = f"line {parsed[holder].line}" if holder in parsed else f"node {holder}"
            row_problems["name"] = [f"{node.name!r} is already the name of {where} under the same parent"]
        if row_problems:
            problems[node.line] = row_problems
            continue
        siblings[(node.parent, node.name)] = node.key
        accepted.add(node.key)
        if current is None:
            plan.create.append(node)
        elif (current.name, current.lat, current.lng, current.population, current.households) != node.figures():
            plan.update.append((current, node))
        else:
            plan.unchanged += 1
    if problems:
        raise ImportProblems(dict(sorted(problems.items())), len(rows))
    return plan


# -- units ----------------------------------------------------------------------------------


@dataclass
class UnitRow:
    line: int
    name: str
    kind: str
    credit_code: str
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    lat: float | None
    lng: float | None
    community: str  # code path, "" for none

    def fields(self):
        return {"name": self.name, "kind": self.kind, "address": self.address,
                "contact_name": self.contact_name, "contact_phone": self.contact_phone,
                "lat": self.lat, "lng": self.lng}


def plan_units(rows, communities):
    """Check unit rows (``communities``: code path → community node id); returns UnitRows or
    raises ImportProblems."""
    problems, parsed, seen = {}, [], {}
    for row in rows:
        if "_invalid" in row:
            problems[row["line"]] = {"row": [row["_invalid"]]}
            continue
        row_problems = {}
        name = row.get("name", "")
        if not 1 <= len(name) <= 100:
            row_problems["name"] = ["1 to 100 characters"]
        kind = UNIT_KIND_NAMES.get(row.get("kind", ""), row.get("kind", ""))
        if kind not in domain.UNIT_KINDS:
            row_problems["kind"] = [f"unknown unit kind {row.get('kind', '')!r}"]
        code = domain.normalize_credit_code(row.get("credit_code", ""))
        problem = domain.credit_code_problem(code)
        if problem:
            row_problems["credit_code"] = [problem]
        elif code in seen:
            row_problems["credit_code"] = [f"{code} is already on line {seen[code]}"]
        lat = _number(row.get("lat", ""), "lat", row_problems, -90, 90)
        lng = _number(row.get("lng", ""), "lng", row_problems, -180, 180)
        if (lat is None) != (lng is None) and "lat" not in row_problems and "lng" not in row_problems:
            row_problems["lat"] = ["give both lat and lng, or neither"]
        community = row.get("community", "").strip(SEPARATOR)
        if community and community not in communities:
            row_problems["community"] = [f"no community with code path {community}"]
        for column, limit in (("address", 200), ("contact_name", 50), ("contact_phone", 30)):
            if len(row.get(column, "")) > limit:
                row_problems[column] = [f"at most {limit} characters"]
        unknown = sorted(set(row) - set(UNIT_COLUMNS) - {"line"})
        if unknown:
            row_problems["row"] = [f"unknown field(s): {', '.join(unknown)}"]
        if row_problems:
            problems[row["line"]] = row_problems
            continue
        seen[code] = row["line"]
        parsed.append(UnitRow(row["line"], name, kind, code, row.get("address") or None,
                              row.get("contact_name") or None, row.get("contact_phone") or None, lat, lng,
                              community))
    if problems:
        raise ImportProblems(dict(sorted(problems.items())), len(rows))
    return parsed


def code_paths(nodes):
    """code path → node for active nodes given as objects with id, parent_id, code (nodes whose
    chain has a node without a code have no code path)."""
    by_id = {node.id: node for node in nodes}
    paths = {}

    def path_of(node):
        if node.id in paths:
            return paths[node.id]
        if not node.code:
            paths[node.id] = None
        elif node.parent_id is None:
            paths[node.id] = node.code
        else:
            parent = by_id.get(node.parent_id)
            above = path_of(parent) if parent is not None else None
            paths[node.id] = f"{above}{SEPARATOR}{node.code}" if above else None
        return paths[node.id]

    result = {}
    for node in nodes:
        key = path_of(node)
        if key is not None:
            result[key] = node
    return result
