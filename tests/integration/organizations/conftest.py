import pytest

from services.organizations.service import OrganizationsService
from shared.testing.helpers import Outbox
from tests.integration.organizations.support import OrgTenant


@pytest.fixture
def org(start_services, onboard, rpc_client, tokens):
    """The organizations service (with tenants) running, and one fresh tenant in it."""
    start_services(OrganizationsService)
    return OrgTenant(onboard()["slug"], rpc_client, tokens)


@pytest.fixture
def outbox(gj_config):
    reader = Outbox(gj_config, "organizations")
    yield reader
    reader.close()
