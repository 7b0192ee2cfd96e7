"""shared.green_psycopg: the C build of psycopg waits through eventlet's green select, and
create_service_engine refuses to start when it would not (fail closed). Scenarios that depend
on import order run in a fresh interpreter."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import waiting

from shared import green_psycopg
from shared.db import create_service_engine

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1", "DATABASE_PREFIX": "never"}


def test_the_c_build_waits_with_wait_select():
    assert psycopg.pq.__impl__ in ("binary", "c")
    assert waiting.wait is waiting.wait_select
    green_psycopg.require_green_wait()


@pytest.mark.parametrize("name", ["wait_c", "wait_selector"])
def test_create_service_engine_refuses_any_other_wait_function(monkeypatch, name):
    monkeypatch.setattr(waiting, "wait", getattr(waiting, name))
    with pytest.raises(RuntimeError, match=name):
        create_service_engine(CONFIG, "probe")
    with pytest.raises(RuntimeError, match=name):
        create_service_engine(CONFIG, "probe", read_only=True)


def run(code, **env):
    return subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=REPO_ROOT, env=env or None,
                          capture_output=True, text=True, timeout=60)


ENGINE = f"from shared.db import create_service_engine; create_service_engine({CONFIG!r}, 'probe')"


def test_a_service_started_the_nameko_way_passes_even_if_the_environment_asks_for_wait_c():
    result = run("import eventlet; eventlet.monkey_patch()\n"
                 "import psycopg.waiting as w\n"
                 f"{ENGINE}\n"
                 "print(w.wait.__name__)",
                 **os.environ, PSYCOPG_WAIT_FUNC="wait_c")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wait_select"]


def test_refused_without_eventlets_green_select():
    result = run(ENGINE)
    assert result.returncode != 0
    assert "not eventlet's green select" in result.stderr


def test_refused_when_psycopg_was_imported_before_the_monkey_patch():
    result = run(f"import psycopg\nimport eventlet; eventlet.monkey_patch()\n{ENGINE}")
    assert result.returncode != 0
    assert "imported before eventlet.monkey_patch()" in result.stderr
