"""``gongjian audit --tenant S``: a tenant's audit trail across every service (tenants.list_audit),
newest first, one line per row, times in the tenant's timezone."""

import json
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from cli.common import rpc

RELATIVE = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
PAGE = 200


@click.command("audit")
@click.option("--tenant", required=True, help="tenant slug")
@click.option("--subject", default=None, help="who: e.g. user:zhang, client:<id>, person:<id>")
@click.option("--object", "object_id", default=None, help="an id the call touched")
@click.option("--since", default=None, help="ISO date/time (tenant's timezone if none given) or 30m, 12h, 7d")
@click.option("--until", default=None, help="same forms as --since; exclusive")
@click.option("--service", default=None, help="one service only")
@click.option("--method", default=None, help="one RPC only, e.g. create_booking")
@click.option("--outcome", default=None, help="ok, forbidden, validation_error, not_found, conflict, …")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--utc", is_flag=True, help="print times in UTC (ISO 8601)")
@click.pass_obj
def audit(obj, tenant, subject, object_id, since, until, service, method, outcome, limit, utc):
    """Who did what, when, to which objects, and how it ended (newest first)."""
    with rpc(obj["config"], tenant=tenant) as proxy:
        zone = timezone.utc if utc else _zone(proxy.tenants.get_tenant(tenant).get("timezone"))
        filters = {
            "subject": subject,
            "object_id": object_id,
            "since": _moment(since, zone, "--since"),
            "until": _moment(until, zone, "--until"),
            "service": service,
            "method": method,
            "outcome": outcome,
        }
        filters = {key: value for key, value in filters.items() if value is not None}
        cursor, printed, missing = None, 0, set()
        while printed < limit:
            page = proxy.tenants.list_audit({**filters, "limit": min(PAGE, limit - printed), "cursor": cursor})
            for row in page["items"]:
                click.echo(line(row, zone))
            printed += len(page["items"])
            for name in page.get("unavailable", ()):
                if name not in missing:
                    missing.add(name)
                    click.echo(f"warning: {name} did not answer; its rows are missing", err=True)
            cursor = page["next_cursor"]
            if not cursor:
                break
    if printed == 0:
        click.echo("no audit rows match", err=True)


def line(row, zone):
    """``<time>  <service>.<method>  <outcome>  <subject>  [roles]  ids=…  call=…  {detail}``"""
    at = datetime.fromisoformat(row["at"]).astimezone(zone)
    roles = ",".join(_role(claim) for claim in row["roles"]) or "-"
    parts = [
        at.isoformat(sep=" ", timespec="seconds"),
        f"{row['service']}.{row['method']}",
        row["outcome"],
        row["subject"],
        f"[{roles}]",
        f"ids={','.join(row['object_ids']) or '-'}",
        f"call={row['call_id'] or '-'}",
    ]
    if row.get("detail"):
        parts.append(json.dumps(row["detail"], ensure_ascii=False, sort_keys=True))
    return "  ".join(parts)


def _role(claim):
    text = claim["role"]
    if claim.get("scope"):
        text += f"@{claim['scope']}"
    if claim.get("unit_id"):
        text += f"#{claim['unit_id']}"
    return text


def _zone(name):
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _moment(value, zone, option):
    """An aware ISO timestamp for the payload: ``30m``/``12h``/``7d`` ago, or an ISO date/time
    (read in the tenant's timezone when it carries no offset)."""
    if value is None:
        return None
    relative = RELATIVE.match(value.strip())
    if relative:
        amount, unit = relative.groups()
        return (datetime.now(timezone.utc) - timedelta(**{UNITS[unit]: int(amount)})).isoformat()
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter("an ISO date/time (2026-06-01, 2026-06-01T08:00) or 30m, 12h, 7d",
                                 param_hint=option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()
