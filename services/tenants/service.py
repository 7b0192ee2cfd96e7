"""The tenants service: tenant registry, onboarding saga, suspension, API clients and tokens."""

from nameko.dependency_providers import Config

from services.tenants import audit as audit_trail
from services.tenants import (
    contact_points,
    handlers,
    models,
    people,
    person_data,
    person_roles,
    person_tokens,
    schemas,
)
from services.tenants.keyring import PersonalDataKeys
from services.tenants.signer import TokenSigner
from shared.config import setting
from shared.endpoints import command, load, query
from shared.errors import NotFound
from shared.events import on_event
from shared.pagination import page
from shared.provisioning import PROVISIONED, PROVISIONING_FAILED, ProvisioningReport
from shared.rpc import ServiceRpc, ServiceRpcs, rpc
from shared.service import GongjianService
from shared.services import installed_services

# Schemas are built once: instantiating a marshmallow schema costs more than using it.
TENANT = schemas.Tenant()
API_CLIENT = schemas.ApiClient()
PERSON = schemas.Person()
GET_PERSON = schemas.GetPerson()
DATA_REQUEST = schemas.DataRequest()


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
    pii = PersonalDataKeys()
    organizations = ServiceRpc("organizations")
    services = ServiceRpcs()  # fan-out to every installed service (audit listing, personal data)
    personal_data = person_data.HOOKS
    config = Config()

    def lookup_node(self, node_id):
        """A territory node from organizations (None when it does not exist in this tenant)."""
        try:
            return self.organizations.get_node(node_id)
        except NotFound:
            return None

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

    # -- people ----------------------------------------------------------------------------

    @rpc
    @command(schemas.RegisterPerson())
    def register_person(self, scope, data):
        return PERSON.dump(people.register_person(scope, self.pii, data, self.lookup_node))

    @rpc
    @query()
    def get_person(self, scope, person_id, reveal=False):
        data = load(GET_PERSON, {"person_id": person_id, "reveal": reveal})
        return PERSON.dump(people.get_person(scope, self.pii, data))

    @rpc
    @query(schemas.FindPerson())
    def find_person(self, scope, data):
        return PERSON.dump(people.find_person(scope, self.pii, data))

    @rpc
    @query(schemas.ListPeople())
    def list_people(self, scope, payload=None):
        result = people.list_people(scope, self.pii, payload, self.lookup_node)
        return {**result, "items": PERSON.dump(result["items"], many=True)}

    @rpc
    @command(schemas.UpdatePerson())
    def update_person(self, scope, data):
        return PERSON.dump(people.update_person(scope, self.pii, data, self.lookup_node))

    @rpc
    @command(schemas.PersonRef())
    def deactivate_person(self, scope, data):
        return PERSON.dump(people.change_person_status(scope, self.pii, data["person_id"], "deactivate"))

    @rpc
    @command(schemas.PersonRef())
    def reactivate_person(self, scope, data):
        return PERSON.dump(people.change_person_status(scope, self.pii, data["person_id"], "reactivate"))

    @rpc
    @command(schemas.RoleGrant())
    def grant_role(self, scope, data):
        return PERSON.dump(person_roles.grant_role(scope, self.pii, data))

    @rpc
    @command(schemas.RoleGrant())
    def revoke_role(self, scope, data):
        return PERSON.dump(person_roles.revoke_role(scope, self.pii, data))

    @rpc
    @command(schemas.SetConsent())
    def set_consent(self, scope, data):
        return PERSON.dump(contact_points.set_consent(scope, self.pii, data))

    @rpc
    @command(schemas.VerifyContact())
    def verify_contact(self, scope, data):
        return PERSON.dump(contact_points.verify_contact(scope, self.pii, data))

    @rpc
    @query(schemas.ContactPointsQuery())
    def contact_points(self, scope, data):
        return contact_points.contact_points(scope, self.pii, data)

    @rpc
    @command(schemas.IssuePersonToken(), authenticated=False)
    def issue_person_token(self, scope, data):
        return person_tokens.issue_person_token(scope, self.pii, data, self.sign)

    @rpc
    @command(schemas.ResealContacts())
    def reseal_contact_points(self, scope, data):
        scope.caller.require_operator()
        return contact_points.reseal(scope, self.pii, data["batch"])

    @rpc
    @command(schemas.PersonRef())
    def export_person_data(self, scope, data):
        request, document = person_data.export_person_data(scope, data, self.services)
        return {**DATA_REQUEST.dump(request), "document": document}

    @rpc
    @command(schemas.PersonRef())
    def erase_person(self, scope, data):
        return DATA_REQUEST.dump(person_data.erase_person_everywhere(scope, data, self.services))

    @rpc
    @query()
    def get_data_request(self, scope, request_id):
        return DATA_REQUEST.dump(person_data.get_data_request(scope, request_id))

    @on_event("organizations", "node_moved", schema=schemas.NodeMoved())
    def on_node_moved(self, scope, event):
        people.follow_node_move(scope, event)

    @rpc
    @query(audit_trail.ListAudit())
    def list_audit(self, scope, payload=None):
        """The tenant's audit trail across every service, newest first (tenant admins)."""
        return audit_trail.list_audit(scope, payload, self.services)

    # One pair per service in shared.services.ALL_SERVICES (a unit test checks none is missing).
    on_tenants_provisioned, on_tenants_provisioning_failed = provisioning_reports("tenants")
    on_organizations_provisioned, on_organizations_provisioning_failed = provisioning_reports("organizations")
    on_venues_provisioned, on_venues_provisioning_failed = provisioning_reports("venues")
