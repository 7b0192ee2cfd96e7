"""RPC plumbing: the entrypoint decorator with our expected errors, and a service-to-service
proxy whose calls time out (nameko's RpcProxy waits forever by default)."""

import eventlet
from nameko.rpc import RpcProxy
from nameko.rpc import rpc as nameko_rpc

from shared.config import setting
from shared.errors import EXPECTED_ERRORS, ServiceTimeout


def rpc(fn):
    """``@rpc`` whose Gongjian errors are logged as expected and re-raised to the caller."""
    return nameko_rpc(expected_exceptions=EXPECTED_ERRORS)(fn)


class ServiceRpc(RpcProxy):
    """``other = ServiceRpc("organizations")``: calls carry the caller's context (tenant, token,
    call id stack) and raise ServiceTimeout after ``timeout`` seconds (config RPC_TIMEOUT)."""

    def __init__(self, target_service, timeout=None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        timeout = self.timeout or float(setting(self.container.config, "RPC_TIMEOUT"))
        return TimedServiceProxy(super().get_dependency(worker_ctx), self.target_service, timeout)


class TimedServiceProxy:
    def __init__(self, proxy, service, timeout):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)

        def call(*args, **kwargs):
            reply = method.call_async(*args, **kwargs)
            timer = eventlet.Timeout(self._timeout)
            try:
                return reply.result()
            except eventlet.Timeout as exc:
                if exc is not timer:
                    raise
                raise ServiceTimeout(
                    f"{self._service}.{method_name} did not answer in {self._timeout}s",
                    {"service": self._service, "method": method_name},
                ) from None
            finally:
                timer.cancel()

        return call
