"""Tenant lifecycle as every service takes part in it (the onboarding saga's service side).

On ``tenants.tenant_created`` a service creates the tenant's schema, runs its migrations and
records the tenant in its registry replica, all in one transaction with the inbox record and the
``<service>.tenant_provisioned`` reply. If that keeps failing, the event is parked and the service
replies ``<service>.tenant_provisioning_failed`` so the failure is visible in `tenants`.
Status changes (activated / suspended / resumed) update the replica in revision order.
"""

from marshmallow import fields
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from shared import platform_tables
from shared.events import on_event
from shared.migrations import current_revision, head_revision, upgrade_tenant
from shared.schemas import Event
from shared.tenancy import schema_for

PROVISIONED = "tenant_provisioned"
PROVISIONING_FAILED = "tenant_provisioning_failed"


class TenantChanged(Event):
    """Payload of tenants.tenant_created / tenant_activated / tenant_suspended / tenant_resumed."""

    name = fields.String(required=True)
    division_code = fields.String(required=True)
    timezone = fields.String(required=True)
    locale = fields.String(required=True)
    status = fields.String(required=True)
    revision = fields.Integer(required=True)


class ProvisioningReport(Event):
    """Payload of <service>.tenant_provisioned / tenant_provisioning_failed."""

    service = fields.String(required=True)
    schema_revision = fields.String(load_default=None, allow_none=True)
    error = fields.String(load_default=None, allow_none=True)


def upsert_replica(session, event, insert_missing=True):
    """Insert or update this service's copy of a tenant, ignoring stale revisions. Status
    changes never insert: a tenant exists here only once its schema has been provisioned."""
    tenants = platform_tables.tenants
    values = {
        "slug": event["tenant"],
        "name": event["name"],
        "division_code": event["division_code"],
        "timezone": event["timezone"],
        "locale": event["locale"],
        "status": event["status"],
        "revision": event["revision"],
    }
    if not insert_missing:
        session.execute(
            tenants.update()
            .where(tenants.c.slug == values["slug"], tenants.c.revision < values["revision"])
            .values(**values, updated_at=text("now()"))
        )
        return
    statement = insert(tenants).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["slug"],
            set_={**{k: statement.excluded[k] for k in values if k != "slug"}, "updated_at": text("now()")},
            where=tenants.c.revision < statement.excluded.revision,
        )
    )


def provision(scope, service, event):
    connection = scope.session.connection()
    schema = schema_for(event["tenant"])
    revision = upgrade_tenant(connection, service, schema)
    upsert_replica(scope.session, event)
    scope.emit(PROVISIONED, {"service": service, "schema_revision": revision})
    scope.after_commit(lambda: scope.context.registry.invalidate(event["tenant"]))


def report_failure(service, scope, event, error):
    scope.emit(PROVISIONING_FAILED, {"service": service.name, "error": repr(error)[:2000]})


def tenant_migration_state(session, service, slug):
    connection = session.connection()
    exists = connection.execute(
        text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
        {"s": schema_for(slug)},
    ).scalar()
    return {
        "schema": schema_for(slug),
        "schema_exists": bool(exists),
        "schema_revision": current_revision(connection, schema_for(slug)) if exists else None,
        "head_revision": head_revision(service),
    }


class TenantLifecycle:
    """Mixed into every service by ``shared.service.GongjianService``."""

    @on_event("tenants", "tenant_created", schema=TenantChanged(), tenant_scoped=False,
              on_parked=report_failure)
    def provision_tenant(self, scope, event):
        provision(scope, self.name, event)

    @on_event("tenants", "tenant_activated", schema=TenantChanged(), tenant_scoped=False)
    def on_tenant_activated(self, scope, event):
        self._apply_tenant_status(scope, event)

    @on_event("tenants", "tenant_suspended", schema=TenantChanged(), tenant_scoped=False)
    def on_tenant_suspended(self, scope, event):
        self._apply_tenant_status(scope, event)

    @on_event("tenants", "tenant_resumed", schema=TenantChanged(), tenant_scoped=False)
    def on_tenant_resumed(self, scope, event):
        self._apply_tenant_status(scope, event)

    def _apply_tenant_status(self, scope, event):
        upsert_replica(scope.session, event, insert_missing=False)
        scope.after_commit(lambda: scope.context.registry.invalidate(event["tenant"]))
