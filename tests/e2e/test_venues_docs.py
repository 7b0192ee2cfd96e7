"""The integrator example of docs/venues.md runs verbatim, as an integrator would run it,
against every service of the platform: find the nearest open centre, book a room, receive the
booking_confirmed event."""

import os
import re
import subprocess
import sys

from shared.config import REPO_ROOT
from tests.integration.venues.support import VenueTenant

DOC = REPO_ROOT / "docs" / "venues.md"


def example():
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- integrator:start -->\s*```python\n(.*?)```\s*<!-- integrator:end -->", text, re.S)
    assert block, "the integrator example is missing from docs/venues.md"
    return block.group(1)


def test_integrator_example_runs(platform, onboard, rpc_client, tokens, tmp_path):
    vt = VenueTenant(onboard()["slug"], rpc_client, tokens)
    t = vt.tree(lat=30.8700, lng=120.0890)
    centre = vt.venue(t["community"], "白鱼潭社区党群服务中心", lat=30.8700, lng=120.0900, open_24h=True,
                      opening_hours=None)
    vt.venue(t["community"], "远处的邻里中心", kind="neighbourhood_centre", lat=30.9000, lng=120.1200,
             open_24h=True, opening_hours=None)
    vt.room(centre, name="多功能活动室", capacity=40)
    script = tmp_path / "example.py"
    script.write_text(example(), encoding="utf-8")
    env = dict(os.environ, AMQP_URI=platform["AMQP_URI"], GONGJIAN_TENANT=vt.slug,
               GONGJIAN_TOKEN=tokens.make(vt.slug, "resident", scope=t["compound"]["path"], ttl=600),
               PYTHONWARNINGS="ignore")
    result = subprocess.run([sys.executable, str(script)], env=env, cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nearest open centre: 白鱼潭社区党群服务中心, ")
    assert lines[1] == "booked 多功能活动室: confirmed"
    assert lines[2].startswith("booking_confirmed: 白鱼潭社区党群服务中心 多功能活动室 from ")
