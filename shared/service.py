"""The base every Gongjian service class inherits (the one line to adopt the platform):

    class VenuesService(GongjianService):
        name = "venues"

It brings the call context (``self.ctx``: caller, tenant, session, outbox), the tenant
provisioning handlers, and the operator endpoints (health, metrics, tenant status, dead letters).
"""

from shared.context import CallContext
from shared.operations import Operations
from shared.provisioning import TenantLifecycle


class GongjianService(TenantLifecycle, Operations):
    ctx = CallContext()
    # SQLAlchemy MetaData objects with extra platform-schema tables this service owns.
    platform_metadata = ()
    # Where the tenant migrations live when not in services/<name>/migrations.
    migrations_path = None
