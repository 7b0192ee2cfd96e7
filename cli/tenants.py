"""``gongjian tenants …``: onboard, inspect, suspend and resume tenants."""

import json
import time

import click

from cli.common import fail, progress, rpc
from shared.errors import NotFound


@click.group("tenants")
def group():
    """Manage tenants (cities and districts)."""


@group.command("create")
@click.option("--slug", required=True, help="e.g. tongling")
@click.option("--name", required=True, help="e.g. 铜陵市")
@click.option("--division-code", required=True, help="GB/T 2260 code, e.g. 340700")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--locale", default="zh-CN", show_default=True)
@click.option("--timeout", default=120.0, show_default=True, help="seconds to wait for every service")
@click.pass_obj
def create(obj, slug, name, division_code, timezone, locale, timeout):
    """Onboard a tenant; returns when it is active in every service."""
    config = obj["config"]
    with rpc(config) as proxy:
        proxy.tenants.create_tenant({"slug": slug, "name": name, "division_code": division_code,
                                     "timezone": timezone, "locale": locale})
        progress(f"tenant {slug} created; provisioning")
        tenant = wait_until_active(proxy, slug, timeout)
    click.echo(json.dumps(tenant, ensure_ascii=False, indent=2))


def wait_until_active(proxy, slug, timeout):
    """Follow the onboarding saga, printing each service's progress; exit non-zero naming the
    service that failed or did not answer."""
    deadline = time.monotonic() + timeout
    seen = {}
    while True:
        tenant = proxy.tenants.get_tenant(slug)
        for step in tenant["provisioning"]:
            if seen.get(step["service"]) != step["status"]:
                seen[step["service"]] = step["status"]
                progress(f"  {step['service']}: {step['status']}",
                         **({"error": step["error"]} if step.get("error") else {}))
            if step["status"] == "failed":
                fail(f"provisioning failed in service '{step['service']}': {step['error']} "
                     f"(fix it, then: gongjian tenants reprovision {slug})")
        if tenant["status"] == "active" and all(s["status"] == "provisioned" for s in tenant["provisioning"]):
            break
        if time.monotonic() > deadline:
            pending = [s["service"] for s in tenant["provisioning"] if s["status"] != "provisioned"]
            fail(f"timed out; still waiting for: {', '.join(pending)} (are they running?)")
        time.sleep(0.2)
    for step in tenant["provisioning"]:
        service = step["service"]
        while getattr(proxy, service).tenant_status(slug)["status"] != "active":
            if time.monotonic() > deadline:
                fail(f"service '{service}' has not seen {slug} become active")
            time.sleep(0.2)
    progress(f"tenant {slug} is active in {len(tenant['provisioning'])} services")
    return tenant


@group.command("list")
@click.option("--status", default=None)
@click.pass_obj
def list_(obj, status):
    """List tenants."""
    with rpc(obj["config"]) as proxy:
        cursor = None
        while True:
            page = proxy.tenants.list_tenants({"status": status, "cursor": cursor, "limit": 200})
            for tenant in page["items"]:
                services = ",".join(f"{p['service']}={p['status']}" for p in tenant["provisioning"])
                click.echo(f"{tenant['slug']:<24} {tenant['status']:<13} {tenant['division_code']}  "
                           f"{tenant['name']}  [{services}]")
            cursor = page["next_cursor"]
            if not cursor:
                break


@group.command("show")
@click.argument("slug")
@click.pass_obj
def show(obj, slug):
    """Show a tenant with its per-service provisioning status."""
    with rpc(obj["config"]) as proxy:
        click.echo(json.dumps(proxy.tenants.get_tenant(slug), ensure_ascii=False, indent=2))


@group.command("suspend")
@click.argument("slug")
@click.option("--reason", default=None)
@click.pass_obj
def suspend(obj, slug, reason):
    """Suspend a tenant: every service refuses its calls (TenantUnavailable)."""
    with rpc(obj["config"]) as proxy:
        tenant = proxy.tenants.suspend_tenant({"slug": slug, "reason": reason})
    progress(f"tenant {slug} is {tenant['status']}")


@group.command("resume")
@click.argument("slug")
@click.pass_obj
def resume(obj, slug):
    """Resume a suspended tenant."""
    with rpc(obj["config"]) as proxy:
        tenant = proxy.tenants.resume_tenant({"slug": slug})
    progress(f"tenant {slug} is {tenant['status']}")


@group.command("reprovision")
@click.argument("slugs", nargs=-1)
@click.option("--all", "every", is_flag=True, help="every tenant (after installing a new service)")
@click.option("--timeout", default=120.0, show_default=True)
@click.pass_obj
def reprovision(obj, slugs, every, timeout):
    """Re-run onboarding in services that have not provisioned the tenant (safe to repeat)."""
    if not slugs and not every:
        raise click.UsageError("name tenants or use --all")
    with rpc(obj["config"]) as proxy:
        if every:
            slugs = [t["slug"] for t in all_tenants(proxy)]
        for slug in slugs:
            proxy.tenants.reprovision_tenant({"slug": slug})
            progress(f"tenant {slug}: reprovisioning")
            wait_until_active(proxy, slug, timeout)


def all_tenants(proxy):
    cursor = None
    while True:
        page = proxy.tenants.list_tenants({"cursor": cursor, "limit": 200})
        yield from page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return


def needs_provisioning(tenant):
    """Services that have not provisioned this tenant (e.g. installed after it was onboarded)."""
    from shared.services import installed_services

    done = {s["service"] for s in tenant["provisioning"] if s["status"] == "provisioned"}
    return [s for s in installed_services() if s not in done]


def exists(proxy, slug):
    try:
        proxy.tenants.get_tenant(slug)
        return True
    except NotFound:
        return False
