"""Export and erasure requests survive a service that is down: the request records which services
confirmed, and running it again later finishes the rest. Logs never carry addresses."""

import logging

import pytest

from services.organizations.service import OrganizationsService
from services.venues.service import VenuesService
from shared.errors import Conflict, ValidationError
from shared.testing.helpers import wait_for


@pytest.fixture
def tenant(start_services, onboard, rpc_client, tokens):
    start_services(OrganizationsService)  # venues is installed but not running yet
    onboard("tongling")
    return rpc_client("tongling", tokens.admin("tongling")).tenants


def test_erasure_resumes_once_a_missing_service_is_back(tenant, container_factory, gj_config, operator):
    person = tenant.register_person({"name": "林", "phone": "17100002222"})
    first = tenant.erase_person({"person_id": person["id"]})
    assert first["status"] == "running"
    steps = first["services"]
    assert steps["tenants"]["status"] == steps["organizations"]["status"] == "done"
    assert steps["venues"]["status"] == "failed" and steps["venues"]["code"] == "service_unavailable"
    # the person is already erased where it matters most: no sign-in, no addresses
    assert tenant.get_person(person["id"])["status"] == "erased"
    assert tenant.get_data_request(first["request_id"])["status"] == "running"

    container_factory(VenuesService, gj_config).start()
    operator.tenants.reprovision_tenant({"slug": "tongling"})
    wait_for(lambda: operator.venues.tenant_status("tongling")["status"] == "active",
             message="venues to provision the tenant")
    second = tenant.erase_person({"person_id": person["id"]})
    assert second["request_id"] == first["request_id"] and second["status"] == "complete"
    assert second["services"]["organizations"] == steps["organizations"]  # not asked twice
    assert second["services"]["venues"]["status"] == "done"


def test_export_reports_what_it_could_not_reach(tenant):
    person = tenant.register_person({"name": "郭", "email": "guo@example.com"})
    result = tenant.export_person_data({"person_id": person["id"]})
    assert result["status"] == "running"
    assert set(result["document"]["services"]) == {"tenants", "organizations"}
    assert result["services"]["venues"]["status"] == "failed"


def test_logs_never_carry_phones_or_emails(tenant, caplog, rpc_client, tokens):
    # the levels deploy/config.yaml sets: our loggers at INFO, the libraries' at WARNING
    caplog.set_level(logging.INFO)
    for library in ("nameko", "kombu", "amqp"):
        caplog.set_level(logging.WARNING, logger=library)
    person = tenant.register_person({"name": "日志", "phone": "17100003333", "email": "logs@example.com"})
    tenant.find_person({"phone": "17100003333"})
    tenant.get_person(person["id"], reveal=True)
    with pytest.raises(Conflict):
        tenant.register_person({"name": "重复", "phone": "17100003333"})
    with pytest.raises(ValidationError):
        tenant.register_person({"name": "坏", "phone": "1710000333x"})
    text = "\n".join(record.getMessage() + " " + str(record.__dict__) for record in caplog.records)
    assert caplog.records
    for secret in ("17100003333", "1710000333", "logs@example.com"):
        assert secret not in text
