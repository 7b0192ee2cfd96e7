"""``gongjian token`` and ``gongjian clients``: tokens for operators, tests and integrators."""

import json
from types import SimpleNamespace

import click

from cli.common import mint, rpc
from services.tenants.domain import person_grants
from shared.caller import ALL_TENANTS, PLATFORM_OPERATOR, ROLES, Grant


@click.command("token")
@click.option("--tenant", required=True, help="tenant slug, or '*' with --role platform_operator")
@click.option("--role", default=None, type=click.Choice(ROLES), help="the role (or use --person)")
@click.option("--person", "person_id", default=None,
              help="a person's id: the token is theirs (subject person:ID) with their own grants")
@click.option("--scope", default=None, help="territory path (ltree) the role is limited to")
@click.option("--unit-id", default=None, help="resident unit id (for unit_liaison)")
@click.option("--ttl", default=3600, show_default=True, help="seconds")
@click.option("--subject", default=None, help="who the token is for (default operator:$USER)")
@click.pass_obj
def token(obj, tenant, role, person_id, scope, unit_id, ttl, subject):
    """Print a signed token (signed locally with the platform's private key)."""
    if (role is None) == (person_id is None):
        raise click.UsageError("give either --role or --person")
    if person_id is not None:
        click.echo(person_token(obj["config"], tenant, person_id, ttl))
        return
    if (tenant == ALL_TENANTS) != (role == PLATFORM_OPERATOR):
        raise click.UsageError("--tenant '*' goes with --role platform_operator, and only with it")
    click.echo(mint(obj["config"], tenant, [Grant(role, scope, unit_id)], ttl=ttl, subject=subject))


@click.group("clients")
def clients():
    """API clients of a tenant (client-credential tokens for integrators)."""


@clients.command("create")
@click.option("--tenant", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              help="ROLE or ROLE:SCOPE_PATH; repeat for several")
@click.pass_obj
def create_client(obj, tenant, name, roles):
    """Create an API client; its secret is printed once and stored only hashed."""
    grants = []
    for spec in roles:
        role, _, scope = spec.partition(":")
        grants.append({"role": role, **({"scope": scope} if scope else {})})
    admin = mint(obj["config"], tenant, [Grant("tenant_admin")], ttl=300)
    with rpc(obj["config"], tenant=tenant, token=admin) as proxy:
        client = proxy.tenants.create_api_client({"name": name, "roles": grants})
    click.echo(json.dumps(client, ensure_ascii=False, indent=2))


@clients.command("list")
@click.option("--tenant", required=True)
@click.pass_obj
def list_clients(obj, tenant):
    admin = mint(obj["config"], tenant, [Grant("tenant_admin")], ttl=300)
    with rpc(obj["config"], tenant=tenant, token=admin) as proxy:
        for client in proxy.tenants.list_api_clients({"limit": 200})["items"]:
            state = "revoked" if client["revoked_at"] else "active"
            click.echo(f"{client['client_id']}  {state:<8} {client['name']}  {client['roles']}")


@clients.command("revoke")
@click.option("--tenant", required=True)
@click.argument("client_id")
@click.pass_obj
def revoke_client(obj, tenant, client_id):
    admin = mint(obj["config"], tenant, [Grant("tenant_admin")], ttl=300)
    with rpc(obj["config"], tenant=tenant, token=admin) as proxy:
        proxy.tenants.revoke_api_client({"client_id": client_id})
    click.echo(f"revoked {client_id}")


def person_token(config, tenant, person_id, ttl):
    """A token for a person with exactly their active grants (plus resident), read from tenants."""
    admin = mint(config, tenant, [Grant("tenant_admin")], ttl=300)
    with rpc(config, tenant=tenant, token=admin) as proxy:
        person = proxy.tenants.get_person(person_id)
    if person["status"] != "active":
        raise click.ClickException(f"person {person_id} is {person['status']}")
    grants = person_grants([SimpleNamespace(**g) for g in person["roles"]], delegated=False)
    return mint(config, tenant, grants, ttl=ttl, subject=f"person:{person['id']}")
