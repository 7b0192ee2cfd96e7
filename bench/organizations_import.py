"""Issue 3's import benchmark: a 10,000-row territory file (streets › communities › grids ›
compounds) imported through the real ``organizations.import_nodes`` RPC, with the services
running as subprocesses (bench/harness.py). Reports rows/s for the first import, the idempotent
re-run, a dry run, the rejection of a file with bad rows, reading the file as CSV and as XLSX
(what the CLI does), and how long the relay takes to publish the 10,000 node_created events.

    .venv/bin/python -m bench organizations_import
"""

import io
import time

from bench.harness import BenchEnvironment, print_table
from services.organizations import importing
from shared.errors import ValidationError
from shared.testing.helpers import wait_for

ROWS = 10_000
SLUG = "bench-import"


def tree_rows(total=ROWS, streets=5, communities=10, grids=20):
    """Streets, communities and grids, then compounds spread over the grids up to ``total``."""
    rows, grid_paths = [], []
    for s in range(streets):
        rows.append({"kind": "street", "code": f"S{s:02d}", "name": f"街道{s:02d}", "parent": ""})
        for c in range(communities):
            community = f"S{s:02d}/C{c:02d}"
            rows.append({"kind": "community", "code": f"C{c:02d}", "name": f"社区{s:02d}{c:02d}",
                         "parent": f"S{s:02d}", "lat": f"{30.8 + c / 100:.4f}", "lng": f"{120.0 + s / 100:.4f}"})
            for g in range(grids):
                rows.append({"kind": "grid", "code": f"G{g:02d}", "name": f"第{g + 1}网格", "parent": community})
                grid_paths.append(f"{community}/G{g:02d}")
    index = 0
    while len(rows) < total:
        grid = grid_paths[index % len(grid_paths)]
        number = index // len(grid_paths)
        rows.append({"kind": "compound", "code": f"K{number:03d}", "name": f"小区{number:03d}", "parent": grid,
                     "lat": f"{30.8 + (index % 97) / 1000:.4f}", "lng": f"{120.0 + (index % 89) / 1000:.4f}",
                     "population": str(300 + index % 700), "households": str(100 + index % 250)})
        index += 1
    for line, row in enumerate(rows, start=2):
        row["line"] = line
    return rows


def as_csv(rows):
    columns = list(importing.NODE_COLUMNS)
    lines = [",".join(columns)] + [",".join(str(r.get(c, "")) for c in columns) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def as_xlsx(rows):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    columns = list(importing.NODE_COLUMNS)
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main():
    rows = tree_rows()
    csv_bytes, xlsx_bytes = as_csv(rows), as_xlsx(rows)
    (csv_rows, _), csv_read = timed(lambda: importing.read_table(csv_bytes, "csv", importing.NODE_COLUMNS,
                                                                 importing.NODE_REQUIRED))
    (xlsx_rows, _), xlsx_read = timed(lambda: importing.read_table(xlsx_bytes, "xlsx", importing.NODE_COLUMNS,
                                                                   importing.NODE_REQUIRED))
    assert len(csv_rows) == len(xlsx_rows) == ROWS

    with BenchEnvironment(["tenants", "organizations"]) as env:
        env.onboard(SLUG)
        baseline = env.echo_baseline(calls=500, concurrency=1)
        admin = env.tokens.make(SLUG, "tenant_admin", ttl=3600)
        operator = env.tokens.operator()
        figures = []
        with env.client(SLUG, admin, timeout=600) as rpc, env.client(SLUG, operator) as op:
            bad = [dict(r) for r in csv_rows]
            for index in range(0, ROWS, 1000):  # ten bad rows scattered through the file
                bad[index + 500]["parent"] = "S99/NOWHERE"
            started = time.perf_counter()
            try:
                rpc.organizations.import_nodes({"rows": bad})
                raise AssertionError("a file with bad rows was imported")
            except ValidationError as error:
                rejected = time.perf_counter() - started
                reported = len(error.fields["rows"])

            dry, dry_time = timed(lambda: rpc.organizations.import_nodes({"rows": csv_rows, "dry_run": True}))
            first, first_time = timed(lambda: rpc.organizations.import_nodes({"rows": csv_rows}))
            assert first["created"] == ROWS, first
            published_from = time.perf_counter()
            wait_for(lambda: op.organizations.health()["outbox"]["unpublished"] == 0, timeout=300,
                     interval=0.2, message="the relay to publish every node_created event")
            relay_time = time.perf_counter() - published_from
            again, again_time = timed(lambda: rpc.organizations.import_nodes({"rows": csv_rows}))
            assert again["unchanged"] == ROWS and again["created"] == 0, again
            figures = [
                ("read CSV (CLI side)", csv_read),
                ("read XLSX (CLI side)", xlsx_read),
                (f"reject file with bad rows ({reported} reported)", rejected),
                ("dry run (check only)", dry_time),
                ("first import (writes 10,000 nodes + events)", first_time),
                ("re-run (idempotent, 0 changes)", again_time),
                ("relay publishes 10,000 node_created", relay_time),
            ]
            assert dry["created"] == ROWS
        print(f"\n## organizations bulk import, {ROWS:,} rows")
        print(f"{'':48} {'seconds':>8} {'rows/s':>9}")
        for label, seconds in figures:
            print(f"{label:48} {seconds:8.2f} {ROWS / seconds:9.0f}")
        print_table("reference: bare nameko echo on the same broker", [("bare nameko echo", baseline)], baseline)
