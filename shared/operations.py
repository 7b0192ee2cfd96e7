"""Operator endpoints every service has: health, metrics, tenant status, dead letters, and the
tenant admin's view of this service's audit trail."""

import json

from marshmallow import fields, validate
from nameko.web.handlers import http
from sqlalchemy import func, select, text

from shared import audit, events, platform_tables
from shared.endpoints import load, query
from shared.errors import Forbidden
from shared.migrations import head_revision
from shared.pagination import decode_cursor, page
from shared.provisioning import tenant_migration_state
from shared.rpc import rpc
from shared.schemas import Input, PageInput
from shared.tenancy import validate_slug


class DeadLetterFilter(PageInput):
    tenant = fields.String(load_default=None, allow_none=True)
    include_replayed = fields.Boolean(load_default=False)


class DeadLetterId(Input):
    id = fields.Integer(required=True, validate=validate.Range(min=1))


def check_health(context):
    """Database reachable, relay backlog and parked events: what a probe or an operator needs."""
    report = {"service": context.service_name, "status": "ok"}
    try:
        with context.database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            report["dead_letters"] = conn.execute(
                select(func.count()).select_from(platform_tables.dead_letters)
                .where(platform_tables.dead_letters.c.replayed_at.is_(None))
            ).scalar()
        report["outbox"] = context.relay.backlog()
        report["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        report.update(status="failing", database=repr(exc))
    report["schema_head"] = head_revision(context.service_name)
    return report


def dead_letter_row(row):
    return {
        "id": row.id,
        "consumer": row.consumer,
        "event_id": row.event_id,
        "tenant": row.tenant,
        "source_service": row.source_service,
        "event_type": row.event_type,
        "error": row.error,
        "attempts": row.attempts,
        "parked_at": row.parked_at.isoformat(),
        "replayed_at": row.replayed_at.isoformat() if row.replayed_at else None,
        "payload": row.payload,
    }


class Operations:
    @http("GET", "/health")
    def http_health(self, request):
        report = check_health(self.ctx.context)
        return (200 if report["status"] == "ok" else 503), json.dumps(report)

    @http("GET", "/metrics")
    def http_metrics(self, request):
        self.ctx.context.relay.backlog()
        return 200, {"Content-Type": "text/plain; version=0.0.4"}, self.ctx.context.metrics.render()

    @rpc
    @query(tenant=False)
    def health(self, scope):
        scope.caller.require_operator()
        return check_health(scope.context)

    @rpc
    @query(tenant=False)
    def tenant_status(self, scope, slug):
        """This service's view of a tenant: replica status and migration state."""
        validate_slug(slug)
        caller = scope.caller
        if not (caller.is_operator or (caller.tenant == slug and caller.is_admin)):
            raise Forbidden("operators or the tenant's admins only", {"tenant": slug})
        row = scope.session.execute(
            select(platform_tables.tenants).where(platform_tables.tenants.c.slug == slug)
        ).first()
        state = tenant_migration_state(scope.session, scope.service, slug)
        return {
            "service": scope.service,
            "tenant": slug,
            "status": row.status if row else None,
            "revision": row.revision if row else None,
            **state,
        }

    @rpc
    @query(tenant=False)
    def list_dead_letters(self, scope, payload=None):
        data = load(DeadLetterFilter(), payload or {})
        table = platform_tables.dead_letters
        statement = select(table).order_by(table.c.id).limit(data["limit"] + 1)
        tenant = _dead_letter_tenant(scope.caller, data["tenant"])
        if tenant is not None:
            statement = statement.where(table.c.tenant == tenant)
        if not data["include_replayed"]:
            statement = statement.where(table.c.replayed_at.is_(None))
        if data["cursor"]:
            statement = statement.where(table.c.id > decode_cursor(data["cursor"], 1)[0])
        rows = scope.session.execute(statement).all()
        return page(rows, data["limit"], lambda r: [r.id], dead_letter_row)

    @rpc
    @query(tenant=False)  # replay commits in its own transactions, as the event's system caller
    def replay_dead_letter(self, scope, payload):
        data = load(DeadLetterId(), payload)
        scope.caller.require_operator()
        return events.replay(self, data["id"])

    @rpc
    @query(audit.AuditFilter())
    def audit_entries(self, scope, payload=None):
        """This service's audit rows of the context tenant, newest first (filters: subject,
        object_id, since, until, method, outcome; ``limit``/``cursor``). Tenant admins and
        operators only; ``tenants.list_audit`` merges every service's."""
        scope.caller.require_admin()
        return audit.list_entries(scope.session, payload)


def _dead_letter_tenant(caller, requested):
    """Operators see every tenant's parked events; a tenant admin only their own."""
    if caller.is_operator:
        return requested
    if caller.is_admin:
        return caller.tenant
    raise Forbidden("operators or tenant admins only", {})
