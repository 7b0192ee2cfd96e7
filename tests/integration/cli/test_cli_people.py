"""``gongjian token --person``, ``gongjian people reseal`` and ``gongjian keys rotate-pii``
against the real tenants service."""

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from cli.main import main
from services.tenants.service import TenantsService
from shared.config import database_url
from shared.keys import load_public_key
from shared.pii import load_ring, new_ring, write_ring
from shared.tokens import verify_token
from tests.integration.cli.test_cli import cli  # noqa: F401 - the fixture


@pytest.fixture
def own_ring(gj_config, tmp_path):
    """A key ring of this test's own, so rotating it leaves the session's ring alone."""
    path = tmp_path / "pii.json"
    write_ring(new_ring(), path)
    gj_config["PII_KEYS_FILE"] = str(path)
    return path


def test_person_token_carries_the_persons_own_grants(cli, onboard, rpc_client, tokens):  # noqa: F811
    onboard("tongling")
    admin = rpc_client("tongling", tokens.admin("tongling")).tenants
    person = admin.register_person({"name": "王", "phone": "17100005555"})
    admin.grant_role({"person_id": person["id"], "role": "volunteer", "scope": "aa.bb"})
    result = cli("token", "--tenant", "tongling", "--person", person["id"], "--ttl", "120")
    assert result.exit_code == 0, result.output
    caller = verify_token(result.stdout.strip(), load_public_key(cli.config["JWT_PUBLIC_KEY_FILE"]),
                          audience="gongjian", issuer="gongjian-tenants")
    assert caller.subject == f"person:{person['id']}"
    assert {(g.role, g.scope) for g in caller.grants} == {("volunteer", "aa.bb"), ("resident", None)}
    assert cli("token", "--tenant", "tongling").exit_code == 2  # neither --role nor --person
    admin.deactivate_person({"person_id": person["id"]})
    refused = cli("token", "--tenant", "tongling", "--person", person["id"])
    assert refused.exit_code != 0 and "deactivated" in refused.output


def test_rotate_then_reseal_moves_every_address_to_the_new_key(own_ring, gj_config, container_factory,
                                                                onboard, rpc_client, tokens, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(dict(gj_config)))

    def run(*args):
        return CliRunner().invoke(main, ["--config", str(path), *args], catch_exceptions=False)

    first = container_factory(TenantsService, gj_config)
    first.start()
    onboard("tongling")
    admin = rpc_client("tongling", tokens.admin("tongling")).tenants
    person = admin.register_person({"name": "李", "phone": "17100006666", "email": "li@example.com"})
    assert run("keys", "rotate-pii").exit_code == 0
    assert load_ring(path=own_ring).current == "k2"
    first.stop()  # the running service still has the old ring: restart it, as the docs say
    container_factory(TenantsService, gj_config).start()
    result = run("people", "reseal", "--tenant", "tongling", "--batch", "1")
    assert result.exit_code == 0, result.output
    assert "resealed 1" in result.stderr and "remaining=0" in result.stderr
    engine = create_engine(database_url(gj_config, "tenants"))
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT DISTINCT key_id FROM t_tongling.contact_points")).scalars().all()
    engine.dispose()
    assert keys == ["k2"]
    assert run("keys", "retire-pii", "k1").exit_code == 0
    assert admin.get_person(person["id"], reveal=True)["phone"] == "+8617100006666"
