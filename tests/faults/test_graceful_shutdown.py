"""SIGTERM lets in-flight work finish: the caller gets its answer, the process exits cleanly."""

import time

from nameko.standalone.rpc import ClusterRpcProxy

from shared.testing.helpers import wait_for
from shared.testing.processes import ServiceProcess, write_config
from tests.support.probe import ProbeService


def test_sigterm_finishes_the_request_in_flight(gj_config, tokens, tmp_path):
    probe = ServiceProcess(ProbeService, write_config(gj_config, tmp_path / "c.yaml"), tmp_path / "probe.log")
    probe.start()
    context = {"authorization": f"Bearer {tokens.operator()}"}
    with ClusterRpcProxy(gj_config, context_data=context, timeout=30) as rpc:
        wait_for(lambda: _answers(rpc), timeout=60, message="probe process")
        reply = rpc.probe.slow_platform_query.call_async(2)
        time.sleep(0.7)  # the query is running
        probe.process.terminate()
        assert reply.result() == 2
    probe.process.wait(timeout=30)
    assert probe.returncode == 0


def _answers(rpc):
    try:
        return rpc.probe.slow_platform_query(0) == 0
    except Exception:  # noqa: BLE001 - still starting
        return False
