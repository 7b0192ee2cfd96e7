"""Signed EdDSA JWTs: minted by `tenants` (and the operator CLI), verified by every service."""

import time
import uuid

import jwt

from shared.caller import ALL_TENANTS, Caller, Grant
from shared.errors import Unauthenticated

ALGORITHM = "EdDSA"
LEEWAY_SECONDS = 10


def issue_token(private_key, *, subject, tenant, grants, ttl, audience, issuer, now=None,
                permissions=()):
    now = int(now if now is not None else time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "tenant": tenant,
        "roles": [grant.as_claim() for grant in grants],
        "iat": now,
        "exp": now + int(ttl),
        "jti": uuid.uuid4().hex,
    }
    if permissions:
        claims["perms"] = sorted(permissions)
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


def bearer_token(authorization):
    """The raw token from an ``authorization`` context value (``Bearer <jwt>``)."""
    if not authorization or not isinstance(authorization, str):
        raise Unauthenticated("missing token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("authorization must be 'Bearer <token>'")
    return token.strip()


class VerifiedTokens:
    """Remembers tokens whose signature was already checked (an integrator reuses one token for
    many calls); expiry is still checked on every call. Bounded, oldest entries dropped first."""

    def __init__(self, public_key, *, audience, issuer, size=20000):
        self.public_key = public_key
        self.audience = audience
        self.issuer = issuer
        self.size = size
        self._known = {}

    def verify(self, token, now=None):
        now = time.time() if now is None else now
        hit = self._known.get(token)
        if hit is not None:
            caller, expires = hit
            if now <= expires + LEEWAY_SECONDS:
                return caller
            del self._known[token]
            raise Unauthenticated("token expired")
        caller, expires = verify_token(
            token, self.public_key, audience=self.audience, issuer=self.issuer, now=now,
            with_expiry=True,
        )
        if len(self._known) >= self.size:
            for stale in list(self._known)[: self.size // 10]:
                del self._known[stale]
        self._known[token] = (caller, expires)
        return caller


def verify_token(token, public_key, *, audience, issuer, now=None, with_expiry=False):
    """Return the Caller a token proves, or raise Unauthenticated."""
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],  # a fixed list: "none" and HS* tokens are refused
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "tenant"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"invalid token: {exc}") from None
    if now is not None and claims["exp"] + LEEWAY_SECONDS < now:
        raise Unauthenticated("token expired")
    try:
        grants = tuple(Grant.from_claim(claim) for claim in claims.get("roles", []))
        permissions = frozenset(str(p) for p in claims.get("perms", ()))
    except (KeyError, TypeError, AttributeError):
        raise Unauthenticated("invalid token: malformed roles") from None
    caller = Caller(
        subject=claims["sub"], tenant=claims["tenant"], grants=grants, token_id=claims.get("jti"),
        permissions=permissions,
    )
    if caller.tenant == ALL_TENANTS and not caller.is_operator:
        raise Unauthenticated("invalid token: only operators may span tenants")
    return (caller, claims["exp"]) if with_expiry else caller
