"""The PII key ring as a dependency: only the tenants service loads it (see shared.pii)."""

import os

from nameko.extensions import DependencyProvider

from shared.config import resolve_path, setting
from shared.pii import load_ring


class PersonalDataKeys(DependencyProvider):
    def setup(self):
        config = self.container.config
        path = setting(config, "PII_KEYS_FILE")
        self.ring = load_ring(os.environ.get("PII_KEYS") or config.get("PII_KEYS"),
                              resolve_path(path) if path else None)

    def get_dependency(self, worker_ctx):
        return self.ring


def ring_of(scope):
    """The key ring of the running tenants service, for code that gets only the call scope
    (the personal-data hooks)."""
    for provider in scope.context.container.dependencies:
        if isinstance(provider, PersonalDataKeys):
            return provider.ring
    raise RuntimeError("the personal-data key ring is only loaded in the tenants service")
