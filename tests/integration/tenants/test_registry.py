"""The tenant registry and onboarding saga, through real RPC on RabbitMQ and PostgreSQL."""

import pytest

from services.tenants.service import TenantsService
from shared.errors import Conflict, Forbidden, NotFound, TenantUnavailable, ValidationError
from shared.migrations import head_revision
from shared.testing.helpers import wait_for


@pytest.fixture
def tenants_service(start_services):
    return start_services(TenantsService)


def test_onboarding_activates_the_tenant_in_every_service(tenants_service, onboard, operator):
    tenant = onboard("tongling", name="铜陵市", division_code="340700")
    assert tenant["status"] == "active"
    assert tenant["name"] == "铜陵市"
    assert [(p["service"], p["status"]) for p in tenant["provisioning"]] == [("tenants", "provisioned")]
    assert tenant["provisioning"][0]["schema_revision"] == head_revision("tenants")
    status = operator.tenants.tenant_status("tongling")
    assert status["status"] == "active" and status["schema_revision"] == status["head_revision"]


def test_create_validates_every_field(tenants_service, operator):
    with pytest.raises(ValidationError) as error:
        operator.tenants.create_tenant({"slug": "Bad Slug", "name": "", "division_code": "99",
                                        "timezone": "Mars/Base", "locale": "fr"})
    assert set(error.value.fields) == {"slug", "name", "division_code", "timezone", "locale"}


def test_create_refuses_unknown_and_server_owned_fields(tenants_service, operator):
    with pytest.raises(ValidationError) as error:
        operator.tenants.create_tenant({"slug": "abc", "name": "x", "division_code": "340700",
                                        "status": "active", "colour": "red"})
    assert error.value.fields["status"] == ["is set by the server"]
    assert "colour" in error.value.fields
    with pytest.raises(NotFound):
        operator.tenants.get_tenant("abc")  # nothing half-written


def test_duplicate_slug_is_a_conflict(tenants_service, onboard, operator):
    onboard("huayin")
    with pytest.raises(Conflict):
        operator.tenants.create_tenant({"slug": "huayin", "name": "华阴", "division_code": "610582"})


def test_only_operators_create_list_and_suspend(tenants_service, onboard, rpc_client, tokens):
    onboard("tongling")
    admin = rpc_client("tongling", tokens.admin("tongling"))
    with pytest.raises(Forbidden):
        admin.tenants.create_tenant({"slug": "evil", "name": "x", "division_code": "340700"})
    with pytest.raises(Forbidden):
        admin.tenants.list_tenants({})
    with pytest.raises(Forbidden):
        admin.tenants.suspend_tenant({"slug": "tongling"})
    assert admin.tenants.get_tenant("tongling")["slug"] == "tongling"


def test_a_tenant_cannot_look_at_another_tenant(tenants_service, onboard, rpc_client, tokens):
    onboard("tongling")
    onboard("huayin")
    admin = rpc_client("tongling", tokens.admin("tongling"))
    with pytest.raises(NotFound):
        admin.tenants.get_tenant("huayin")


def test_list_pages_with_a_cursor(tenants_service, onboard, operator):
    for slug in ("list-a", "list-b", "list-c"):
        onboard(slug)
    first = operator.tenants.list_tenants({"limit": 2})
    assert [t["slug"] for t in first["items"]] == ["list-a", "list-b"]
    second = operator.tenants.list_tenants({"limit": 2, "cursor": first["next_cursor"]})
    assert [t["slug"] for t in second["items"]] == ["list-c"]
    assert second["next_cursor"] is None
    assert operator.tenants.list_tenants({"status": "suspended"})["items"] == []


def test_suspend_refuses_calls_and_resume_restores_them(tenants_service, onboard, operator, rpc_client, tokens):
    onboard("tongling")
    admin = rpc_client("tongling", tokens.admin("tongling"))
    client = admin.tenants.create_api_client({"name": "hotline", "roles": [{"role": "resident"}]})

    suspended = operator.tenants.suspend_tenant({"slug": "tongling", "reason": "unpaid"})
    assert suspended["status"] == "suspended"
    with pytest.raises(TenantUnavailable):
        admin.tenants.get_api_client(client["client_id"])
    with pytest.raises(Conflict) as error:
        operator.tenants.suspend_tenant({"slug": "tongling"})
    assert error.value.details == {"status": "suspended"}

    assert operator.tenants.resume_tenant({"slug": "tongling"})["status"] == "active"
    assert admin.tenants.get_api_client(client["client_id"])["name"] == "hotline"
    with pytest.raises(NotFound):
        operator.tenants.resume_tenant({"slug": "nowhere"})


def test_unknown_tenant_is_unavailable(tenants_service, rpc_client, tokens):
    admin = rpc_client("nowhere", tokens.admin("nowhere"))
    with pytest.raises(TenantUnavailable):
        admin.tenants.list_api_clients({})


def test_reprovisioning_an_active_tenant_changes_nothing(tenants_service, onboard, operator):
    before = onboard("tongling")
    operator.tenants.reprovision_tenant({"slug": "tongling"})
    after = wait_for(lambda: operator.tenants.get_tenant("tongling"), message="tenant")
    assert after["status"] == "active" and after["revision"] == before["revision"]
