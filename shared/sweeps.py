"""Periodic work across tenants (deadline checks, no-show release, …).

    @timer(interval=30)
    def check_deadlines(self):
        for_each_tenant(self, handlers.escalate_overdue)

Each tenant runs in its own transaction as that tenant's system caller, so one tenant's failure
neither blocks nor rolls back another's.
"""

import logging

from sqlalchemy import select

from shared import platform_tables
from shared.tenancy import ACTIVE

log = logging.getLogger(__name__)


def active_tenants(context):
    table = platform_tables.tenants
    with context.database.engine.connect() as conn:
        return conn.execute(
            select(table.c.slug).where(table.c.status == ACTIVE).order_by(table.c.slug)
        ).scalars().all()


def for_each_tenant(service, fn, tenants=None):
    """Call ``fn(scope)`` once per active tenant; returns {slug: result or the exception}."""
    scope = service.ctx
    results = {}
    for slug in tenants or active_tenants(scope.context):
        try:
            scope.act_as_system(slug)
            results[slug] = fn(scope)
            scope.commit()
        except Exception as exc:  # noqa: BLE001 - isolate tenants from each other
            scope.reset()
            results[slug] = exc
            log.exception("sweep %s failed for tenant %s", getattr(fn, "__name__", fn), slug)
    return results
