"""The README's integrator example really runs."""

import os
import subprocess
import sys

from shared.config import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "quickstart.py"


def test_readme_shows_the_example_verbatim():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    body = EXAMPLE.read_text(encoding="utf-8").split('"""\n\n', 1)[1]  # without the docstring
    assert body.strip() in readme


def test_quickstart_runs_against_the_platform(platform, onboard, rpc_client, tokens):
    onboard("tongling", name="铜陵市")
    admin = rpc_client("tongling", tokens.admin("tongling"))
    client = admin.tenants.create_api_client({"name": "my-app", "roles": [{"role": "tenant_admin"}]})
    env = dict(os.environ, AMQP_URI=platform["AMQP_URI"], GONGJIAN_TENANT="tongling",
               GONGJIAN_CLIENT_ID=client["client_id"], GONGJIAN_CLIENT_SECRET=client["client_secret"],
               PYTHONWARNINGS="ignore")
    result = subprocess.run([sys.executable, str(EXAMPLE)], env=env, cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "tenant: 铜陵市" in result.stdout
    assert "NotFound: no such API client" in result.stdout
