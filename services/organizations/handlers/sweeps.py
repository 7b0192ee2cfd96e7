"""Periodic work of one tenant (run by the service's timer through
``shared.sweeps.for_each_tenant`` and by the ``run_sweeps`` RPC): missed whistle deadlines,
overdue cases and overdue agreement commitments. Each step is idempotent: a second run finds
nothing new."""

from services.organizations.handlers import agreements, cases, whistles

# name → fn(scope) -> number of items it changed.
STEPS = {
    "whistles_escalated": whistles.escalate_missed_deadlines,
    "cases_escalated": cases.escalate_overdue_cases,
    "commitments_overdue": agreements.mark_overdue_commitments,
}


def run(scope):
    return {name: step(scope) for name, step in STEPS.items()}
