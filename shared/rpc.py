"""RPC plumbing: the entrypoint decorator with our expected errors and lean replies
(shared.replies: queries answer without publisher confirms), and service-to-service proxies
whose calls time out (nameko's RpcProxy waits forever by default):

    organizations = ServiceRpc("organizations")     # one named service
    services = ServiceRpcs()                        # any service by name: self.services["venues"]
"""

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener, RpcProxy, ServiceProxy

from shared.config import setting
from shared.errors import EXPECTED_ERRORS, ServiceTimeout
from shared.replies import LeanRpc


def rpc(fn):
    """``@rpc`` whose Gongjian errors are logged as expected and re-raised to the caller; the
    reply goes out through shared.replies (confirmed or not by the ``@query``/``@command``
    marker on ``fn``)."""
    return LeanRpc.decorator(expected_exceptions=EXPECTED_ERRORS)(fn)


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


class ServiceRpcs(DependencyProvider):
    """``services = ServiceRpcs()``: ``self.services["venues"].audit_entries(payload)`` calls any
    service by name, with the same context propagation (tenant, token, call id stack) and
    ``ServiceTimeout`` as ``ServiceRpc``. ``self.services.with_timeout(2)["venues"]`` overrides
    the timeout for one fan-out. Calling a service nobody serves raises nameko's
    ``UnknownService`` at once."""

    rpc_reply_listener = ReplyListener()

    def __init__(self, timeout=None, **options):
        self.timeout = timeout
        self.options = options

    def get_dependency(self, worker_ctx):
        timeout = self.timeout or float(setting(self.container.config, "RPC_TIMEOUT"))
        return ServiceDirectory(worker_ctx, self.rpc_reply_listener, timeout, self.options)


class ServiceDirectory:
    def __init__(self, worker_ctx, reply_listener, timeout, options):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self._options = options
        self._proxies = {}
        self.timeout = timeout

    def __getitem__(self, service):
        proxy = self._proxies.get(service)
        if proxy is None:
            raw = ServiceProxy(self._worker_ctx, service, self._reply_listener, **self._options)
            proxy = self._proxies[service] = TimedServiceProxy(raw, service, self.timeout)
        return proxy

    def with_timeout(self, seconds):
        return ServiceDirectory(self._worker_ctx, self._reply_listener, seconds, self._options)
