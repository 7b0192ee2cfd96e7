import pytest

from services.organizations.service import OrganizationsService
from tests.integration.organizations.support import OrgTenant, Outbox


@pytest.fixture
def org(start_services, onboard, rpc_client, tokens):
    """The organizations service (with tenants) running, and one fresh tenant in it."""
    start_services(OrganizationsService)
    return OrgTenant(onboard()["slug"], rpc_client, tokens)


@pytest.fixture
def outbox(gj_config):
    reader = Outbox(gj_config)
    yield reader
    reader.close()
