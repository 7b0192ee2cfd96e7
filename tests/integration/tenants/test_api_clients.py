"""API clients: client-credential tokens for integrators."""

import pytest
from eventlet.greenpool import GreenPool

from services.tenants.service import TenantsService
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError


@pytest.fixture
def tongling(start_services, onboard, rpc_client, tokens):
    start_services(TenantsService)
    onboard("tongling")
    onboard("huayin")
    return rpc_client("tongling", tokens.admin("tongling"))


def test_secret_is_shown_once_and_exchanged_for_a_working_token(tongling, rpc_client):
    client = tongling.tenants.create_api_client({"name": "12345 hotline", "roles": [{"role": "tenant_admin"}]})
    assert client["client_secret"].startswith("gjs_")
    listed = tongling.tenants.list_api_clients({})["items"]
    assert [c["client_id"] for c in listed] == [client["client_id"]]
    assert "client_secret" not in listed[0]

    anonymous = rpc_client("tongling")
    issued = anonymous.tenants.issue_token({"client_id": client["client_id"],
                                            "client_secret": client["client_secret"], "ttl": 300})
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 300
    integrator = rpc_client("tongling", issued["access_token"])
    assert integrator.tenants.get_api_client(client["client_id"])["last_used_at"] is not None


def test_tokens_carry_only_the_clients_roles(tongling, rpc_client):
    client = tongling.tenants.create_api_client(
        {"name": "grid app", "roles": [{"role": "community_secretary", "scope": "aa.bb"}]})
    token = rpc_client("tongling").tenants.issue_token(
        {"client_id": client["client_id"], "client_secret": client["client_secret"]})["access_token"]
    secretary = rpc_client("tongling", token)
    with pytest.raises(Forbidden):
        secretary.tenants.create_api_client({"name": "escalate", "roles": [{"role": "tenant_admin"}]})


def test_wrong_or_revoked_credentials_are_refused(tongling, rpc_client):
    client = tongling.tenants.create_api_client({"name": "a", "roles": [{"role": "resident"}]})
    anonymous = rpc_client("tongling")
    with pytest.raises(Unauthenticated):
        anonymous.tenants.issue_token({"client_id": client["client_id"], "client_secret": "gjs_wrong"})
    tongling.tenants.revoke_api_client({"client_id": client["client_id"]})
    with pytest.raises(Unauthenticated):
        anonymous.tenants.issue_token({"client_id": client["client_id"],
                                       "client_secret": client["client_secret"]})


def test_a_client_of_one_tenant_cannot_get_tokens_for_another(tongling, rpc_client):
    client = tongling.tenants.create_api_client({"name": "a", "roles": [{"role": "resident"}]})
    with pytest.raises(Unauthenticated):
        rpc_client("huayin").tenants.issue_token(
            {"client_id": client["client_id"], "client_secret": client["client_secret"]})


def test_operators_and_system_roles_cannot_be_delegated(tongling):
    for role in ("platform_operator", "system", "emperor"):
        with pytest.raises(ValidationError):
            tongling.tenants.create_api_client({"name": "x", "roles": [{"role": role}]})


def test_unknown_client_id(tongling):
    with pytest.raises(NotFound):
        tongling.tenants.get_api_client("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValidationError):
        tongling.tenants.get_api_client("not-a-uuid")


def test_names_are_unique_among_active_clients(tongling):
    tongling.tenants.create_api_client({"name": "dup", "roles": [{"role": "resident"}]})
    with pytest.raises(Conflict):
        tongling.tenants.create_api_client({"name": "dup", "roles": [{"role": "resident"}]})


def test_idempotency_key_returns_the_first_result(tongling, rpc_client, tokens):
    retrying = rpc_client("tongling", tokens.admin("tongling"), idempotency_key="req-1")
    first = retrying.tenants.create_api_client({"name": "once", "roles": [{"role": "resident"}]})
    again = retrying.tenants.create_api_client({"name": "once", "roles": [{"role": "resident"}]})
    assert again == first
    assert len(tongling.tenants.list_api_clients({})["items"]) == 1
    with pytest.raises(Conflict, match="different payload"):
        retrying.tenants.create_api_client({"name": "other", "roles": [{"role": "resident"}]})


def test_concurrent_retries_with_one_key_create_one_client(tongling, rpc_client, tokens):
    clients = [rpc_client("tongling", tokens.admin("tongling"), idempotency_key="race-1") for _ in range(6)]
    payload = {"name": "raced", "roles": [{"role": "resident"}]}
    results = list(GreenPool(6).imap(lambda c: c.tenants.create_api_client(payload), clients))
    assert len({r["client_id"] for r in results}) == 1
    assert len(tongling.tenants.list_api_clients({})["items"]) == 1
