"""The base every Gongjian service class inherits (the one line to adopt the platform):

    class VenuesService(GongjianService):
        name = "venues"

It brings the call context (``self.ctx``: caller, tenant, session, outbox), the tenant
provisioning handlers, the operator endpoints (health, metrics, tenant status, dead letters) and
the personal-data endpoints (export_personal_data / erase_personal_data, see
``shared.personal_data``; a service declares what it holds with ``personal_data = PersonalDataHooks(…)``).
"""

from shared.context import CallContext
from shared.operations import Operations
from shared.personal_data import PersonalData
from shared.provisioning import TenantLifecycle


class GongjianService(TenantLifecycle, Operations, PersonalData):
    ctx = CallContext()
    # SQLAlchemy MetaData objects with extra platform-schema tables this service owns.
    platform_metadata = ()
    # Where the tenant migrations live when not in services/<name>/migrations.
    migrations_path = None
