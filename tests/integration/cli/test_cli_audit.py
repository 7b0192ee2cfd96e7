"""``gongjian audit``: the audit trail printed one line per row (click's runner, real services)."""

import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from services.organizations.service import OrganizationsService
from services.tenants.service import TenantsService
from services.venues.service import VenuesService


@pytest.fixture
def cli(start_services, tmp_path):
    config = start_services(TenantsService, OrganizationsService, VenuesService, VENUES_TIMER_SWEEPS=False)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(dict(config)))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--config", str(path), *args], catch_exceptions=False)

    return run


def test_audit_prints_one_line_per_row_in_the_tenants_timezone(cli, onboard, rpc_client, tokens):
    onboard("cli-audit", timezone="Asia/Shanghai")
    admin = rpc_client("cli-audit", tokens.make("cli-audit", "tenant_admin", subject="user:li"))
    created = admin.tenants.create_api_client({"name": "hotline", "roles": [{"role": "resident"}]})
    node = admin.organizations.create_node({"kind": "street", "name": "龙泉街道", "code": "LQ1"})

    result = cli("audit", "--tenant", "cli-audit")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "organizations.create_node  ok  user:li  [tenant_admin]" in lines[0]  # newest first
    assert node["id"] in lines[0] and "+08:00" in lines[0]
    assert "tenants.create_api_client  ok  user:li" in lines[1] and created["client_id"] in lines[1]
    assert "龙泉街道" not in result.stdout and created["client_secret"] not in result.stdout

    only = cli("audit", "--tenant", "cli-audit", "--service", "tenants", "--utc", "--since", "1h")
    assert only.exit_code == 0, only.output
    assert len(only.stdout.strip().splitlines()) == 1 and "+00:00" in only.stdout
    assert cli("audit", "--tenant", "cli-audit", "--object", node["id"]).stdout.count("\n") == 1
    assert cli("audit", "--tenant", "cli-audit", "--limit", "1").stdout.count("\n") == 1
    nobody = cli("audit", "--tenant", "cli-audit", "--subject", "user:nobody")
    assert nobody.exit_code == 0 and nobody.stdout == "" and "no audit rows match" in nobody.stderr
    future = cli("audit", "--tenant", "cli-audit", "--since", "2999-01-01")
    assert future.stdout == ""
    bad = cli("audit", "--tenant", "cli-audit", "--since", "yesterday")
    assert bad.exit_code == 2 and "--since" in bad.output
    unknown = cli("audit", "--tenant", "cli-audit", "--service", "nowhere")
    assert unknown.exit_code != 0 and "ValidationError" in unknown.output
