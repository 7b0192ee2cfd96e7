"""The whistle walk-through of docs/organizations.md runs verbatim, as an integrator would run
it, against every service of the platform."""

import os
import re
import subprocess
import sys

from shared.config import REPO_ROOT
from tests.integration.organizations.support import OrgTenant

DOC = REPO_ROOT / "docs" / "organizations.md"


def walkthrough():
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- walkthrough:start -->\s*```python\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S)
    assert block, "the walk-through block is missing from docs/organizations.md"
    return block.group(1)


def test_whistle_walkthrough_runs(platform, onboard, rpc_client, tokens, tmp_path):
    slug = OrgTenant(onboard()["slug"], rpc_client, tokens).slug  # waits until organizations knows it
    script = tmp_path / "walkthrough.py"
    script.write_text(walkthrough(), encoding="utf-8")
    env = dict(os.environ, AMQP_URI=platform["AMQP_URI"], GONGJIAN_TENANT=slug,
               GONGJIAN_ADMIN_TOKEN=tokens.admin(slug), PYTHONWARNINGS="ignore")
    result = subprocess.run([sys.executable, str(script)], env=env, cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("raised raised acknowledge by ")
    assert lines[1:3] == ["resolve_whistle -> responding", "resolve_whistle -> resolved"]
    assert lines[3].startswith("closed and rated closed {'count': 2, 'average': 5.0}")
    assert lines[4] == "scorecard 铜陵供电公司 points 13 resolve on time 1.0"
