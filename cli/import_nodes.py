"""``gongjian import nodes FILE --tenant S`` and ``gongjian import units FILE --tenant S``: bulk
import of a tenant's territory tree and resident units from CSV or XLSX.

The file is read here (so a malformed header fails fast), then sent in one call to the
organizations service, which checks every row and imports all or nothing; bad rows are listed
with their line numbers. Re-running the same file changes nothing.
"""

import json
import threading
import time
from pathlib import Path

import click

from cli.common import mint, progress, rpc
from shared.caller import Grant
from shared.errors import ValidationError


def _format(path, given):
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    raise click.UsageError(f"cannot tell the format of {path}; pass --format csv|xlsx")


class _Ticker:
    """Prints how long the service has been working, every few seconds, until stopped."""

    def __init__(self, message, every=2.0):
        self.message, self.every = message, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        started = time.monotonic()
        while not self._stop.wait(self.every):
            progress(self.message, elapsed=f"{time.monotonic() - started:.0f}s")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def print_problems(error):
    rows = error.fields.get("rows") if isinstance(error.fields, dict) else None
    click.echo(f"error: {error.message}", err=True)
    if not isinstance(rows, dict):
        click.echo(json.dumps(error.fields, ensure_ascii=False, indent=2), err=True)
        return
    for line in sorted(rows, key=lambda v: int(v) if str(v).isdigit() else 0):
        for column, messages in rows[line].items():
            for message in messages if isinstance(messages, list) else [messages]:
                click.echo(f"  line {line}: {column}: {message}", err=True)


def run_import(config, tenant, path, fmt, dry_run, rpc_name, columns, required, timeout):
    from services.organizations import importing

    fmt = _format(path, fmt)
    started = time.monotonic()
    progress(f"reading {path}", format=fmt)
    rows, problems = importing.read_table(Path(path).read_bytes(), fmt, columns, required)
    if problems:
        print_problems(ValidationError("the file cannot be read; nothing was imported",
                                       {"rows": {str(k): v for k, v in problems.items()}}))
        raise SystemExit(1)
    progress(f"read {len(rows)} rows", seconds=round(time.monotonic() - started, 2))
    token = mint(config, tenant, [Grant("tenant_admin")], ttl=max(900, int(timeout) + 60),
                 subject="operator:import")
    sent = time.monotonic()
    with rpc(config, tenant=tenant, token=token, timeout=timeout) as proxy:
        service = proxy.organizations
        try:
            with _Ticker(f"{'checking' if dry_run else 'checking and importing'} {len(rows)} rows"):
                result = getattr(service, rpc_name)({"rows": rows, "dry_run": dry_run})
        except ValidationError as error:
            print_problems(error)
            raise SystemExit(1) from None
    progress("dry run: nothing was written" if dry_run else "imported",
             seconds=round(time.monotonic() - sent, 2),
             rows_per_second=round(len(rows) / max(time.monotonic() - sent, 1e-6)))
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


def _command(name, rpc_name, columns_attr, required_attr, help_text):
    @click.command(name, help=help_text)
    @click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
    @click.option("--tenant", required=True, help="tenant slug")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
                  help="default: from the file name")
    @click.option("--dry-run", is_flag=True, help="check every row, write nothing")
    @click.option("--timeout", default=300.0, show_default=True, help="seconds to wait for the service")
    @click.pass_obj
    def command(obj, path, tenant, fmt, dry_run, timeout):
        from services.organizations import importing

        run_import(obj["config"], tenant, path, fmt, dry_run, rpc_name, getattr(importing, columns_attr),
                   getattr(importing, required_attr), timeout)

    return command


nodes = _command(
    "nodes", "import_nodes", "NODE_COLUMNS", "NODE_REQUIRED",
    """Import the territory tree from FILE (CSV or XLSX).

    Columns: kind, code, name, parent, lat, lng, population, households (or 类型, 编码, 名称, 上级,
    纬度, 经度, 人口, 户数). ``parent`` is the parent's code path from the street down, e.g.
    LQ/BYT for a grid of community BYT in street LQ; empty for streets. Every row is checked
    first; one bad row and nothing is imported. Importing the same file again changes nothing.""")

units = _command(
    "units", "import_units", "UNIT_COLUMNS", "UNIT_REQUIRED",
    """Import resident units from FILE (CSV or XLSX).

    Columns: name, kind, credit_code, address, contact_name, contact_phone, lat, lng, community
    (the code path of the community the unit reports in to; the report-in is confirmed). Units
    are matched by credit code, so importing again updates instead of duplicating.""")
