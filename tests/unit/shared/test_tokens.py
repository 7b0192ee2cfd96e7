import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.caller import ALL_TENANTS, Grant
from shared.errors import Unauthenticated
from shared.tokens import VerifiedTokens, bearer_token, issue_token, verify_token

AUD, ISS = "gongjian", "gongjian-tenants"


@pytest.fixture(scope="module")
def keys():
    private = Ed25519PrivateKey.generate()
    return private, private.public_key()


def mint(private, **overrides):
    options = dict(subject="user:1", tenant="tongling", grants=[Grant("tenant_admin")], ttl=60,
                   audience=AUD, issuer=ISS)
    options.update(overrides)
    return issue_token(private, **options)


def verify(token, public):
    return verify_token(token, public, audience=AUD, issuer=ISS)


def test_round_trip(keys):
    private, public = keys
    caller = verify(mint(private, grants=[Grant("community_secretary", "aa.bb")]), public)
    assert caller.tenant == "tongling"
    assert caller.grants == (Grant("community_secretary", "aa.bb"),)
    assert caller.token_id


def test_expired_token_is_refused(keys):
    private, public = keys
    token = mint(private, ttl=5, now=time.time() - 3600)
    with pytest.raises(Unauthenticated, match="expired"):
        verify(token, public)


def test_token_signed_by_another_key_is_refused(keys):
    _, public = keys
    forged = mint(Ed25519PrivateKey.generate())
    with pytest.raises(Unauthenticated):
        verify(forged, public)


def _b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(keys):
    _, public = keys
    claims = {"sub": "x", "tenant": "tongling", "aud": AUD, "iss": ISS, "iat": int(time.time()),
              "exp": int(time.time()) + 60, "roles": [{"role": "platform_operator"}]}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    with pytest.raises(Unauthenticated):
        verify(unsigned, public)


def test_hmac_with_public_key_as_secret_is_refused(keys):
    """The classic algorithm-confusion attack: HS256 signed with the public key's bytes."""
    _, public = keys
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = {"sub": "x", "tenant": "tongling", "aud": AUD, "iss": ISS, "iat": int(time.time()),
              "exp": int(time.time()) + 60, "roles": [{"role": "tenant_admin"}]}
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    signature = base64.urlsafe_b64encode(
        hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    token = f"{signing_input}.{signature}"
    with pytest.raises(Unauthenticated):
        verify(token, public)


@pytest.mark.parametrize("field,value", [("audience", "someone-else"), ("issuer", "evil")])
def test_wrong_audience_or_issuer_is_refused(keys, field, value):
    private, public = keys
    with pytest.raises(Unauthenticated):
        verify(mint(private, **{field: value}), public)


def test_only_operators_may_hold_all_tenants_tokens(keys):
    private, public = keys
    with pytest.raises(Unauthenticated, match="operators"):
        verify(mint(private, tenant=ALL_TENANTS, grants=[Grant("tenant_admin")]), public)
    assert verify(mint(private, tenant=ALL_TENANTS, grants=[Grant("platform_operator")]), public).is_operator


def test_malformed_roles_are_refused(keys):
    private, public = keys
    now = int(time.time())
    token = jwt.encode({"sub": "x", "tenant": "t", "aud": AUD, "iss": ISS, "iat": now, "exp": now + 60,
                        "roles": ["tenant_admin"]}, private, algorithm="EdDSA")
    with pytest.raises(Unauthenticated, match="roles"):
        verify(token, public)


@pytest.mark.parametrize("value", [None, "", "Token abc", "Bearer ", 42])
def test_bearer_header_must_be_well_formed(value):
    with pytest.raises(Unauthenticated):
        bearer_token(value)


def test_verified_token_cache_still_checks_expiry(keys):
    private, public = keys
    cache = VerifiedTokens(public, audience=AUD, issuer=ISS)
    now = time.time()
    token = mint(private, ttl=30, now=now)
    assert cache.verify(token, now=now).tenant == "tongling"
    assert cache.verify(token, now=now + 5).tenant == "tongling"  # served from the cache
    with pytest.raises(Unauthenticated, match="expired"):
        cache.verify(token, now=now + 3600)


def test_verified_token_cache_never_caches_failures(keys):
    private, public = keys
    cache = VerifiedTokens(public, audience=AUD, issuer=ISS)
    forged = mint(Ed25519PrivateKey.generate())
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            cache.verify(forged)
