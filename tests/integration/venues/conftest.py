import pytest

from services.organizations.service import OrganizationsService
from services.venues.service import VenuesService
from shared.testing.helpers import Outbox
from tests.integration.venues.support import VenueTenant


@pytest.fixture
def services(start_services):
    """tenants, organizations and venues running against real RabbitMQ and PostgreSQL; the
    sweeps run only when a test calls run_sweeps (with the frozen clock)."""
    return start_services(OrganizationsService, VenuesService, VENUES_TIMER_SWEEPS=False)


@pytest.fixture
def vt(services, onboard, rpc_client, tokens):
    """One fresh tenant in organizations and venues."""
    return VenueTenant(onboard()["slug"], rpc_client, tokens)


@pytest.fixture
def outbox(gj_config):
    reader = Outbox(gj_config, "venues")
    yield reader
    reader.close()
