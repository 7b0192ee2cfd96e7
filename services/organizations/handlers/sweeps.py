"""Periodic work of one tenant (run by the service's timer through
``shared.sweeps.for_each_tenant`` and by the ``run_sweeps`` RPC): missed whistle deadlines,
overdue cases and overdue agreement commitments. Each step is idempotent: a second run finds
nothing new."""

from services.organizations.handlers import agreements, cases, whistles
from shared.errors import Forbidden

# name → fn(scope) -> number of items it changed.
STEPS = {
    "whistles_escalated": whistles.escalate_missed_deadlines,
    "cases_escalated": cases.escalate_overdue_cases,
    "commitments_overdue": agreements.mark_overdue_commitments,
}


def run(scope):
    return {name: step(scope) for name, step in STEPS.items()}


def tenants_to_sweep(scope):
    """Who ``run_sweeps`` sweeps: a tenant admin their own (context) tenant; a platform operator
    the context tenant, or every active tenant (None) when the call names none."""
    caller = scope.caller
    if caller.is_operator and not scope.data.get("tenant"):
        return None
    if not caller.is_admin:
        raise Forbidden("tenant administrators and operators only", {"roles": sorted(caller.roles)})
    return [scope.enter_tenant().slug]


def report(results):
    return {slug: ({"error": repr(result)} if isinstance(result, Exception) else result)
            for slug, result in results.items()}
