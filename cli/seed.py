"""``gongjian seed``: onboard the demo tenants and load each service's demo data (idempotent)."""

import importlib

import click
import yaml

from cli.common import mint, progress, rpc
from cli.tenants import exists, needs_provisioning, wait_until_active
from shared.caller import Grant
from shared.config import REPO_ROOT
from shared.services import installed_services

DEMO_FILE = REPO_ROOT / "deploy" / "demo" / "tenants.yaml"


def demo_tenants():
    return yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["tenants"]


@click.command("seed")
@click.option("--tenant", "only", multiple=True, help="only these demo tenants")
@click.option("--timeout", default=180.0, show_default=True)
@click.pass_obj
def seed(obj, only, timeout):
    """Onboard huzhou-wuxing, tongling, huayin and weifang-kuiwen with their demo data."""
    config = obj["config"]
    chosen = [t for t in demo_tenants() if not only or t["slug"] in only]
    with rpc(config, timeout=60) as proxy:
        for tenant in chosen:
            slug = tenant["slug"]
            if exists(proxy, slug):
                current = proxy.tenants.get_tenant(slug)
                missing = needs_provisioning(current)
                progress(f"tenant {slug} exists", **({"provisioning": ",".join(missing)} if missing else {}))
                if missing:
                    proxy.tenants.reprovision_tenant({"slug": slug})
                if missing or current["status"] == "provisioning":
                    wait_until_active(proxy, slug, timeout)
            else:
                proxy.tenants.create_tenant(tenant)
                progress(f"tenant {slug} created; provisioning")
                wait_until_active(proxy, slug, timeout)
    for tenant in chosen:
        load_demo_data(config, tenant["slug"])
    progress(f"seeded {len(chosen)} tenant(s)")


def demo_modules():
    """(service, services/<name>/demo.py module) for each installed service that has one, in
    installed_services() order — except that a module naming services in ``LOAD_AFTER`` runs
    after them: tenants' demo people live on organizations' demo territory, though tenants is
    installed (and onboards) first."""
    modules = {}
    for service in installed_services():
        try:
            modules[service] = importlib.import_module(f"services.{service}.demo")
        except ModuleNotFoundError:
            continue
    order = list(modules)
    for service, module in modules.items():
        for before in getattr(module, "LOAD_AFTER", ()):
            if before in order and order.index(before) > order.index(service):
                order.remove(service)
                order.insert(order.index(before) + 1, service)
    return [(service, modules[service]) for service in order]


def load_demo_data(config, slug):
    """Run services/<name>/demo.py ``load(proxy, tenant, report)`` for each service that has one."""
    admin = mint(config, slug, [Grant("tenant_admin")], ttl=3600, subject="operator:seed")
    for service, module in demo_modules():
        prefix = f"  {slug}/{service}: "
        with rpc(config, tenant=slug, token=admin, timeout=120) as proxy:
            module.load(proxy, slug, lambda message, _p=prefix, **fields: progress(_p + message, **fields))
