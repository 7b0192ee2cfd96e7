"""Tenant isolation as an attacker would probe it, with every service running.

Tenant A creates data; tenant A's token used from tenant B's context, tenant B's token used from
tenant A's context, and tenant B's token with tenant A's ids must all fail, and so must forged,
expired, unsigned and algorithm-confused tokens."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import Forbidden, NotFound, TenantUnavailable, Unauthenticated


@pytest.fixture
def two_tenants(platform, onboard, rpc_client, tokens):
    onboard("tenant-a")
    onboard("tenant-b")
    a_admin = rpc_client("tenant-a", tokens.admin("tenant-a"))
    secret_client = a_admin.tenants.create_api_client({"name": "a-only", "roles": [{"role": "resident"}]})
    return secret_client


def test_a_token_from_b_context_is_forbidden(two_tenants, rpc_client, tokens):
    intruder = rpc_client("tenant-b", tokens.admin("tenant-a"))
    with pytest.raises(Forbidden):
        intruder.tenants.get_api_client(two_tenants["client_id"])
    with pytest.raises(Forbidden):
        intruder.tenants.list_api_clients({})


def test_b_token_from_a_context_is_forbidden(two_tenants, rpc_client, tokens):
    intruder = rpc_client("tenant-a", tokens.admin("tenant-b"))
    with pytest.raises(Forbidden):
        intruder.tenants.get_api_client(two_tenants["client_id"])


def test_b_cannot_reach_a_ids_from_its_own_context(two_tenants, rpc_client, tokens):
    b_admin = rpc_client("tenant-b", tokens.admin("tenant-b"))
    with pytest.raises(NotFound):
        b_admin.tenants.get_api_client(two_tenants["client_id"])
    with pytest.raises(NotFound):
        b_admin.tenants.revoke_api_client({"client_id": two_tenants["client_id"]})
    assert b_admin.tenants.list_api_clients({})["items"] == []


def test_forged_token_is_refused(two_tenants, rpc_client, tokens):
    forged = tokens.make("tenant-a", private_key=Ed25519PrivateKey.generate())
    with pytest.raises(Unauthenticated):
        rpc_client("tenant-a", forged).tenants.get_api_client(two_tenants["client_id"])


def test_expired_token_is_refused(two_tenants, rpc_client, tokens):
    expired = tokens.make("tenant-a", ttl=60, now=time.time() - 7200)
    with pytest.raises(Unauthenticated, match="expired"):
        rpc_client("tenant-a", expired).tenants.get_api_client(two_tenants["client_id"])


def _b64(data):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims():
    now = int(time.time())
    return {"sub": "attacker", "tenant": "tenant-a", "aud": "gongjian", "iss": "gongjian-tenants",
            "iat": now, "exp": now + 600, "roles": [{"role": "tenant_admin"}]}


def test_unsigned_alg_none_token_is_refused(two_tenants, rpc_client):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."
    with pytest.raises(Unauthenticated):
        rpc_client("tenant-a", token).tenants.get_api_client(two_tenants["client_id"])


def test_hs256_signed_with_the_public_key_is_refused(two_tenants, rpc_client, gj_keys):
    head = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(_claims())}"
    signature = hmac.new(gj_keys["public"].read_bytes(), head.encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthenticated):
        rpc_client("tenant-a", f"{head}.{_b64(signature)}").tenants.get_api_client(two_tenants["client_id"])


def test_missing_token_and_missing_or_unknown_tenant(two_tenants, rpc_client, tokens):
    with pytest.raises(Unauthenticated):
        rpc_client("tenant-a").tenants.get_api_client(two_tenants["client_id"])
    with pytest.raises(TenantUnavailable):
        rpc_client(None, tokens.admin("tenant-a")).tenants.get_api_client(two_tenants["client_id"])
    with pytest.raises(TenantUnavailable):
        rpc_client("tenant-zz", tokens.admin("tenant-zz")).tenants.list_api_clients({})


def test_operator_tokens_reach_any_tenant_but_tenant_tokens_do_not(two_tenants, rpc_client, tokens):
    operator_in_a = rpc_client("tenant-a", tokens.operator())
    assert operator_in_a.tenants.get_api_client(two_tenants["client_id"])["name"] == "a-only"
