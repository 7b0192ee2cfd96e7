"""Periodic work of one tenant (run by the service's timer through
``shared.sweeps.for_each_tenant`` and by the ``run_sweeps`` RPC): missed whistle deadlines,
overdue cases and overdue agreement commitments. Each step is idempotent: a second run finds
nothing new."""

from services.organizations.handlers import agreements

# name → fn(scope) -> number of items it changed; later modules append their steps.
STEPS = {"commitments_overdue": agreements.mark_overdue_commitments}


def run(scope):
    return {name: step(scope) for name, step in STEPS.items()}
