"""The operator's CLI against running services (click's runner, real RabbitMQ/PostgreSQL)."""

import json

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from cli.main import main
from services.tenants.service import TenantsService
from shared.config import database_url
from shared.keys import load_public_key
from shared.migrations import head_revision
from shared.tokens import verify_token


@pytest.fixture
def cli(start_services, tmp_path):
    config = start_services(TenantsService)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(dict(config)))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--config", str(path), *args], catch_exceptions=False)

    run.config = config
    return run


def test_tenants_create_returns_when_active(cli):
    result = cli("tenants", "create", "--slug", "tongling", "--name", "铜陵市", "--division-code", "340700")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "active"
    assert "tenants: provisioned" in result.stderr
    assert "tenant tongling is active in 1 services" in result.stderr

    listing = cli("tenants", "list")
    assert "tongling" in listing.stdout and "active" in listing.stdout
    assert cli("tenants", "suspend", "tongling").exit_code == 0
    assert json.loads(cli("tenants", "show", "tongling").stdout)["status"] == "suspended"
    assert cli("tenants", "resume", "tongling").exit_code == 0
    again = cli("tenants", "suspend", "nowhere")
    assert again.exit_code != 0 and "NotFound" in again.output


def test_tenants_create_names_the_service_that_failed(cli):
    engine = create_engine(database_url(cli.config, "tenants"))
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA t_blocked; CREATE TABLE t_blocked.api_clients (x int)"))
    engine.dispose()
    result = cli("tenants", "create", "--slug", "blocked", "--name", "x", "--division-code", "340700")
    assert result.exit_code == 1
    assert "provisioning failed in service 'tenants'" in result.stderr


def test_bad_input_is_reported_not_raised(cli):
    result = cli("tenants", "create", "--slug", "X", "--name", "x", "--division-code", "1")
    assert result.exit_code != 0 and "ValidationError" in result.output


def test_token_is_signed_with_the_requested_role_and_scope(cli):
    result = cli("token", "--tenant", "tongling", "--role", "community_secretary", "--scope", "aa.bb",
                 "--ttl", "120")
    assert result.exit_code == 0
    caller = verify_token(result.stdout.strip(), load_public_key(cli.config["JWT_PUBLIC_KEY_FILE"]),
                          audience="gongjian", issuer="gongjian-tenants")
    assert caller.tenant == "tongling"
    assert [(g.role, g.scope) for g in caller.grants] == [("community_secretary", "aa.bb")]
    assert cli("token", "--tenant", "*", "--role", "tenant_admin").exit_code == 2


def test_migrate_upgrades_every_tenant_and_can_be_rerun(cli):
    assert cli("tenants", "create", "--slug", "mig-a", "--name", "a", "--division-code", "340700").exit_code == 0
    engine = create_engine(database_url(cli.config, "tenants"))
    with engine.begin() as conn:  # pretend the tenant was provisioned before any migration existed
        conn.execute(text("DROP SCHEMA t_mig_a CASCADE; CREATE SCHEMA t_mig_a"))
    engine.dispose()
    first = cli("migrate", "--service", "tenants")
    assert first.exit_code == 0, first.output
    assert f"[1/1] mig-a: None → {head_revision('tenants')}" in first.stderr
    second = cli("migrate", "--service", "tenants")
    assert f"[1/1] mig-a: at {head_revision('tenants')}" in second.stderr


def test_clients_create_prints_the_secret_once(cli):
    cli("tenants", "create", "--slug", "cli-c", "--name", "c", "--division-code", "340700")
    created = cli("clients", "create", "--tenant", "cli-c", "--name", "hotline", "--role", "resident")
    assert created.exit_code == 0
    client = json.loads(created.stdout)
    assert client["client_secret"].startswith("gjs_")
    listed = cli("clients", "list", "--tenant", "cli-c")
    assert client["client_id"] in listed.stdout and "gjs_" not in listed.stdout


def test_reprovision_all_is_safe_to_repeat(cli):
    cli("tenants", "create", "--slug", "re-a", "--name", "a", "--division-code", "340700")
    assert cli("tenants", "reprovision").exit_code == 2  # names or --all
    for _ in range(2):
        result = cli("tenants", "reprovision", "--all")
        assert result.exit_code == 0, result.output
        assert "tenant re-a is active in 1 services" in result.stderr
