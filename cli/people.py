"""``gongjian people``: personal-data operations for operators and tenant admins — export and
erasure requests (PIPL arts. 45 and 47) and resealing contact points after a key rotation."""

import json
import sys

import click

from cli.common import mint, progress, rpc
from shared.caller import Grant


def admin_token(config, tenant):
    return mint(config, tenant, [Grant("tenant_admin")], ttl=900)


def report(request):
    """One line per service: done (with what it did) or failed (with why)."""
    for service, step in sorted(request["services"].items()):
        detail = step.get("erased") or step.get("rows") or {k: step[k] for k in ("code", "message") if k in step}
        progress(f"  {service}: {step['status']}", **{k: v for k, v in detail.items() if v})
    progress(f"{request['kind']} request {request['request_id']} is {request['status']}")


@click.group("people")
def people():
    """People's personal data: export, erasure, key rotation."""


@people.command("export")
@click.option("--tenant", required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write the JSON document here (default: standard output)")
@click.argument("person_id")
@click.pass_obj
def export(obj, tenant, out, person_id):
    """Gather what every service holds about a person into one JSON document."""
    with rpc(obj["config"], tenant=tenant, token=admin_token(obj["config"], tenant), timeout=120) as proxy:
        result = proxy.tenants.export_person_data({"person_id": person_id})
    document = json.dumps(result["document"], ensure_ascii=False, indent=2)
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(document + "\n")
    else:
        click.echo(document)
    report(result)
    if result["status"] != "complete":
        sys.exit(1)


@people.command("erase")
@click.option("--tenant", required=True)
@click.argument("person_id")
@click.pass_obj
def erase(obj, tenant, person_id):
    """Anonymise a person in every service; run again until every service has confirmed."""
    with rpc(obj["config"], tenant=tenant, token=admin_token(obj["config"], tenant), timeout=120) as proxy:
        request = proxy.tenants.erase_person({"person_id": person_id})
    report(request)
    if request["status"] != "complete":
        click.echo("some services have not confirmed; run the same command again", err=True)
        sys.exit(1)


def active_tenants(config):
    slugs, cursor = [], None
    with rpc(config) as proxy:
        while True:
            page = proxy.tenants.list_tenants({"status": "active", "limit": 200, "cursor": cursor})
            slugs += [tenant["slug"] for tenant in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return slugs


@people.command("reseal")
@click.option("--tenant", "only", multiple=True, help="only these tenants (default: every active tenant)")
@click.option("--batch", default=500, show_default=True)
@click.pass_obj
def reseal(obj, only, batch):
    """Re-encrypt contact points sealed with an older key (after 'gongjian keys rotate-pii' and a
    restart of tenants). Resumable: run again after an interruption."""
    config = obj["config"]
    slugs = list(only) or active_tenants(config)
    for slug in slugs:
        with rpc(config, tenant=slug) as proxy:
            while True:
                step = proxy.tenants.reseal_contact_points({"batch": batch})
                progress(f"{slug}: resealed {step['resealed']}", remaining=step["remaining"], key=step["current_key"])
                if step["remaining"] == 0 or step["resealed"] == 0:
                    break
