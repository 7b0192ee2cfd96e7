import pytest

from shared.services import installed_services, service_class


@pytest.fixture
def platform(start_services):
    """Every installed service, running against real RabbitMQ and PostgreSQL."""
    return start_services(*[service_class(name) for name in installed_services()])
