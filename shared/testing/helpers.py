"""Helpers behind the fixtures, usable from benchmarks and scripts too."""

import time

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, select

from shared import platform_tables
from shared.caller import ALL_TENANTS, PLATFORM_OPERATOR, TENANT_ADMIN, Grant
from shared.config import database_url
from shared.tokens import issue_token


class TokenFactory:
    def __init__(self, private_key, audience="gongjian", issuer="gongjian-tenants"):
        self.private_key = private_key
        self.audience = audience
        self.issuer = issuer

    def make(self, tenant, role=TENANT_ADMIN, scope=None, unit_id=None, ttl=600, subject=None,
             grants=None, now=None, **overrides):
        grants = grants or [Grant(role, scope, unit_id)]
        return issue_token(
            overrides.get("private_key", self.private_key),
            subject=subject or f"user:test-{role}",
            tenant=tenant,
            grants=grants,
            ttl=ttl,
            audience=overrides.get("audience", self.audience),
            issuer=overrides.get("issuer", self.issuer),
            now=now,
        )

    def operator(self, ttl=3600):
        return self.make(ALL_TENANTS, PLATFORM_OPERATOR, ttl=ttl, subject="operator:test")

    def admin(self, tenant):
        return self.make(tenant, TENANT_ADMIN)


class RpcClient:
    """An integrator's client: ClusterRpcProxy with tenant and token in context data."""

    def __init__(self, config, tenant=None, token=None, timeout=30, **context):
        self.config, self.tenant, self.token = config, tenant, token
        data = dict(context)
        if tenant is not None:
            data["tenant"] = tenant
        if token is not None:
            data["authorization"] = f"Bearer {token}"
        self._proxy = ClusterRpcProxy(config, context_data=data, timeout=timeout)
        self.rpc = self._proxy.start()

    def __getattr__(self, service):
        return getattr(self.rpc, service)

    def stop(self):
        self._proxy.stop()


def wait_for(predicate, timeout=20.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        eventlet.sleep(interval)


def onboard_tenant(operator, slug, name=None, division_code="340700", timeout=30.0, **fields):
    """Create a tenant and return once every service has seen it become active (the tenants
    service activates it first; the others learn it from tenant_activated a moment later)."""
    operator.tenants.create_tenant(
        {"slug": slug, "name": name or f"测试 {slug}", "division_code": division_code, **fields}
    )
    tenant = wait_for(
        lambda: (lambda t: t if t["status"] == "active" else None)(operator.tenants.get_tenant(slug)),
        timeout=timeout,
        message=f"tenant {slug} to become active",
    )
    for step in tenant["provisioning"]:
        service = getattr(operator, step["service"])
        wait_for(lambda s=service: s.tenant_status(slug)["status"] == "active", timeout=timeout,
                 message=f"{step['service']} to see {slug} active")
    return tenant


class Outbox:
    """Events a service staged (same transaction as the change) for one tenant."""

    def __init__(self, config, service):
        self.engine = create_engine(database_url(config, service))

    def events(self, tenant, event_type=None):
        table = platform_tables.outbox
        statement = select(table.c.payload).where(table.c.tenant == tenant).order_by(table.c.id)
        if event_type:
            statement = statement.where(table.c.event_type == event_type)
        with self.engine.connect() as conn:
            return [row.payload for row in conn.execute(statement)]

    def types(self, tenant):
        return [event["event_type"] for event in self.events(tenant)]

    def close(self):
        self.engine.dispose()


def race(*calls):
    """Run zero-argument callables (each with its own RPC client) at once in green threads;
    returns each one's result or the exception it raised, in order."""

    def attempt(call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            return exc

    pool = eventlet.GreenPool(len(calls))
    threads = [pool.spawn(attempt, call) for call in calls]
    return [thread.wait() for thread in threads]
