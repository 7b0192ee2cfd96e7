"""The per-call context every service worker gets as ``self.ctx``.

``CallContext`` is the one DependencyProvider a service needs: it owns the service database, the
tenant registry replica, token verification and the outbox relay. Each worker gets a
``CallScope`` that verifies the caller and the tenant lazily and *fails closed*: a missing,
unknown, inactive or mismatched tenant raises before any tenant data is touched. (Raising in
``get_dependency`` itself would kill the nameko container, so the checks run when the endpoint
decorators first ask for them.)
"""

import logging
import time

from nameko.extensions import DependencyProvider

from shared import logs
from shared.caller import Caller
from shared.config import resolve_path, setting
from shared.db import ServiceDatabase, create_service_engine, ensure_platform_schema
from shared.errors import Forbidden, TenantUnavailable
from shared.keys import load_public_key
from shared.metrics import ServiceMetrics
from shared.migrations import register_migrations
from shared.outbox import add_event
from shared.relay import OutboxRelay
from shared.tenancy import TenantRegistry
from shared.tokens import VerifiedTokens, bearer_token

log = logging.getLogger("gongjian.calls")


class CallScope:
    def __init__(self, context, worker_ctx):
        self.context = context
        self.worker_ctx = worker_ctx
        self.tenant = None  # TenantInfo once entered
        self.tenant_slug = None
        self._caller = None
        self._session = None
        self._emitted = False
        self._after_commit = []
        self.read_only = False  # set by @query before the session is opened
        self.audit_pending = None  # shared.audit.Pending: what audit.note() added to this call's row

    @property
    def service(self):
        return self.context.service_name

    @property
    def call_id(self):
        return self.worker_ctx.call_id

    @property
    def data(self):
        return self.worker_ctx.context_data

    @property
    def caller(self):
        if self._caller is None:
            self._caller = self.context.authenticate(self.data.get("authorization"))
        return self._caller

    def enter_tenant(self, authenticated=True):
        """Bind this call to the context tenant: present, allowed by the token, and active."""
        slug = self.data.get("tenant")
        if not slug:
            raise TenantUnavailable("no tenant in context data", {"tenant": None})
        if authenticated and not self.caller.may_act_in(slug):
            raise Forbidden("token belongs to another tenant", {"tenant": slug})
        self.tenant = self.context.registry.require_active(slug)
        self.tenant_slug = slug
        logs.bind(tenant=slug)
        return self.tenant

    def act_as_system(self, slug, tenant_scoped=True):
        """Event handlers run as the system identity of the event's tenant, in any status."""
        self.reset()
        self.read_only = False
        self._caller = Caller.system(slug)
        self.tenant_slug = slug
        self.tenant = None
        if tenant_scoped:
            self.tenant = self.context.registry.get(slug)
            if self.tenant is None:
                raise TenantUnavailable("tenant not provisioned in this service", {"tenant": slug})
        logs.bind(tenant=slug)

    @property
    def session(self):
        """The call's SQLAlchemy session: tenant tables resolve to the entered tenant's schema;
        before a tenant is entered only ``platform.*`` tables are reachable."""
        if self._session is None:
            schema = self.tenant.schema if self.tenant is not None else None
            self._session = self.context.database.session(schema, read_only=self.read_only)
        return self._session

    def emit(self, event_type, data, tenant=None):
        """Stage an event in this call's transaction (published by the relay after commit)."""
        tenant = tenant or self.tenant_slug
        if tenant is None:
            raise RuntimeError("an event needs a tenant")
        self._emitted = True
        return add_event(self.session, event_type, tenant, data, call_id=self.call_id)

    def after_commit(self, fn):
        """Run ``fn()`` once this call's transaction has committed (e.g. to drop a cache)."""
        self._after_commit.append(fn)

    def commit(self):
        if self._session is not None:
            self._session.commit()
        if self._emitted:
            self._emitted = False
            self.context.relay.wake()
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            hook()

    def rollback(self):
        """End the call's transaction without committing (closing the session rolls back)."""
        self.reset()

    def reset(self):
        """Drop the session (after a failed attempt) so the next attempt starts clean."""
        if self._session is not None:
            self._session.close()  # rolls back an open transaction and returns the connection
            self._session = None
        self._emitted = False
        self._after_commit = []
        self.audit_pending = None

    def close(self):
        self.reset()


class CallContext(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.service_name = self.container.service_name
        self.metrics = ServiceMetrics(self.service_name)
        engine = create_service_engine(config, self.service_name)
        self.database = ServiceDatabase(engine, create_service_engine(config, self.service_name, read_only=True))
        migrations = getattr(self.container.service_cls, "migrations_path", None)
        if migrations is not None:
            register_migrations(self.service_name, migrations)
        extra = getattr(self.container.service_cls, "platform_metadata", ())
        ensure_platform_schema(engine, *extra)
        self.registry = TenantRegistry(engine, setting(config, "TENANT_CACHE_TTL"))
        self.tokens = VerifiedTokens(
            load_public_key(resolve_path(setting(config, "JWT_PUBLIC_KEY_FILE"))),
            audience=setting(config, "JWT_AUDIENCE"),
            issuer=setting(config, "JWT_ISSUER"),
        )
        self.relay = OutboxRelay(
            engine,
            self.service_name,
            setting(config, "AMQP_URI"),
            batch_size=setting(config, "OUTBOX_BATCH_SIZE"),
            poll_interval=setting(config, "OUTBOX_POLL_INTERVAL"),
            metrics=self.metrics,
        )
        self.relay_enabled = config.get("OUTBOX_RELAY_ENABLED", True) not in (False, "false", "0")
        self._scopes = {}
        self._started = {}

    def start(self):
        if self.relay_enabled:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self):
        self.relay.stop()
        self.database.dispose()

    def kill(self):
        self.relay.stop(timeout=1)

    def authenticate(self, authorization):
        return self.tokens.verify(bearer_token(authorization))

    def get_dependency(self, worker_ctx):
        scope = CallScope(self, worker_ctx)
        self._scopes[worker_ctx] = scope
        return scope

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        logs.bind(
            service=self.service_name,
            method=worker_ctx.entrypoint.method_name,
            call_id=worker_ctx.call_id,
            tenant=worker_ctx.context_data.get("tenant"),
        )

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        outcome = "ok" if exc_info is None else getattr(exc_info[1], "code", type(exc_info[1]).__name__)
        method = worker_ctx.entrypoint.method_name
        self.metrics.observe(method, outcome, elapsed)
        log.info(
            "%s %s", method, outcome, extra={"duration_ms": round(elapsed * 1000, 2), "outcome": outcome}
        )

    def worker_teardown(self, worker_ctx):
        scope = self._scopes.pop(worker_ctx, None)
        if scope is not None:
            scope.close()
        logs.clear()
