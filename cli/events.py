"""``gongjian events …`` (parked events) and ``gongjian health``."""

import json

import click

from cli.common import rpc
from shared.services import installed_services


@click.group("events")
def events():
    """Parked (dead-letter) events."""


@events.command("dead-letters")
@click.option("--service", "services", multiple=True, help="default: every service")
@click.option("--tenant", default=None)
@click.option("--all", "include_replayed", is_flag=True, help="include replayed ones")
@click.pass_obj
def dead_letters(obj, services, tenant, include_replayed):
    """List events a handler gave up on."""
    with rpc(obj["config"]) as proxy:
        for service in services or installed_services():
            cursor = None
            while True:
                page = getattr(proxy, service).list_dead_letters(
                    {"tenant": tenant, "include_replayed": include_replayed, "cursor": cursor})
                for row in page["items"]:
                    click.echo(f"{service}#{row['id']}  {row['tenant']}  {row['consumer']}  "
                               f"{row['source_service']}.{row['event_type']}  attempts={row['attempts']}  "
                               f"{row['error'][:120]}")
                cursor = page["next_cursor"]
                if not cursor:
                    break


@events.command("replay")
@click.option("--service", required=True)
@click.argument("dead_letter_id", type=int)
@click.pass_obj
def replay(obj, service, dead_letter_id):
    """Run a parked event through its handler again."""
    with rpc(obj["config"]) as proxy:
        result = getattr(proxy, service).replay_dead_letter({"id": dead_letter_id})
    click.echo(json.dumps(result, ensure_ascii=False))
    if result["outcome"] == "failed":
        raise click.ClickException("replay failed; the event stays parked")


@click.command("health")
@click.option("--service", "services", multiple=True)
@click.pass_obj
def health(obj, services):
    """Ask each service for its health (database, outbox backlog, parked events)."""
    failing = []
    with rpc(obj["config"], timeout=5) as proxy:
        for service in services or installed_services():
            report = getattr(proxy, service).health()
            click.echo(json.dumps(report, ensure_ascii=False))
            if report["status"] != "ok":
                failing.append(service)
    if failing:
        raise click.ClickException(f"unhealthy: {', '.join(failing)}")
