"""The tenants service: tenant registry, onboarding saga, suspension, API clients and tokens."""

from nameko.dependency_providers import Config

from services.tenants import handlers, models, schemas
from services.tenants.signer import TokenSigner
from shared.config import setting
from shared.endpoints import command, query
from shared.events import on_event
from shared.pagination import page
from shared.provisioning import PROVISIONED, PROVISIONING_FAILED, ProvisioningReport
from shared.rpc import rpc
from shared.service import GongjianService
from shared.services import installed_services

# Schemas are built once: instantiating a marshmallow schema costs more than using it.
TENANT = schemas.Tenant()
API_CLIENT = schemas.ApiClient()


def expected_services(config):
    """Services a tenant must be provisioned in before it becomes active."""
    return tuple(setting(config, "PROVISIONED_SERVICES") or installed_services())


def provisioning_reports(source_service):
    """Two handlers per service of the saga: it provisioned a tenant, or gave up."""

    def provisioned(self, scope, event):
        handlers.record_provisioning(scope, event, True, expected_services(self.config))

    def failed(self, scope, event):
        handlers.record_provisioning(scope, event, False, expected_services(self.config))

    provisioned.__name__ = provisioned.__qualname__ = f"on_{source_service}_provisioned"
    failed.__name__ = failed.__qualname__ = f"on_{source_service}_provisioning_failed"
    return (
        on_event(source_service, PROVISIONED, schema=ProvisioningReport(), tenant_scoped=False)(provisioned),
        on_event(source_service, PROVISIONING_FAILED, schema=ProvisioningReport(), tenant_scoped=False)(failed),
    )


class TenantsService(GongjianService):
    name = "tenants"
    platform_metadata = (models.platform_metadata,)
    sign = TokenSigner()
    config = Config()

    @rpc
    @command(schemas.CreateTenant(), tenant=False)
    def create_tenant(self, scope, data):
        return TENANT.dump(handlers.create_tenant(scope, data, expected_services(self.config)))

    @rpc
    @query(tenant=False)
    def get_tenant(self, scope, slug):
        return TENANT.dump(handlers.get_tenant(scope, slug))

    @rpc
    @query(schemas.ListTenants(), tenant=False)
    def list_tenants(self, scope, payload=None):
        result = handlers.list_tenants(scope, payload)
        return {**result, "items": TENANT.dump(result["items"], many=True)}

    @rpc
    @command(schemas.SuspendTenant(), tenant=False)
    def suspend_tenant(self, scope, data):
        return TENANT.dump(handlers.change_status(scope, data["slug"], "suspend"))

    @rpc
    @command(schemas.TenantRef(), tenant=False)
    def resume_tenant(self, scope, data):
        return TENANT.dump(handlers.change_status(scope, data["slug"], "resume"))

    @rpc
    @command(schemas.TenantRef(), tenant=False)
    def reprovision_tenant(self, scope, data):
        tenant = handlers.reprovision_tenant(scope, data["slug"], expected_services(self.config))
        return TENANT.dump(tenant)

    @rpc
    @command(schemas.CreateApiClient())
    def create_api_client(self, scope, data):
        client, secret = handlers.create_api_client(scope, data)
        return {**API_CLIENT.dump(client), "client_secret": secret}  # shown only once

    @rpc
    @query(schemas.ListApiClients())
    def list_api_clients(self, scope, payload=None):
        clients = handlers.list_api_clients(scope, payload)
        return page(clients, payload["limit"], lambda c: [str(c.id)], API_CLIENT.dump)

    @rpc
    @query()
    def get_api_client(self, scope, client_id):
        return API_CLIENT.dump(handlers.get_api_client(scope, client_id))

    @rpc
    @command(schemas.ApiClientRef())
    def revoke_api_client(self, scope, data):
        return API_CLIENT.dump(handlers.revoke_api_client(scope, data["client_id"]))

    @rpc
    @command(schemas.IssueToken(), authenticated=False)
    def issue_token(self, scope, data):
        return handlers.issue_token(scope, data, self.sign)

    # One pair per service in shared.services.ALL_SERVICES (a unit test checks none is missing).
    on_tenants_provisioned, on_tenants_provisioning_failed = provisioning_reports("tenants")
    on_organizations_provisioned, on_organizations_provisioning_failed = provisioning_reports("organizations")
    on_venues_provisioned, on_venues_provisioning_failed = provisioning_reports("venues")
