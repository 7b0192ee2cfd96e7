"""Person tokens for apps (OAuth2 token exchange in spirit): an app signs its user in itself, then
exchanges its client credentials for a short-lived token *for that person*.

Rules: only clients created with the ``delegate`` permission may do it; the token's subject is
``person:<id>`` and its roles are the person's own active grants plus ``resident`` — never a role
the person was not granted, and never ``tenant_admin`` (``domain.NEVER_DELEGATED``), whatever the
client holds. A revoked client, a wrong secret, or a deactivated or erased person get no token.
"""

from datetime import datetime, timezone

from services.tenants import contacts, domain, models
from services.tenants.people import load_person, person_by_address
from services.tenants.person_roles import active_grants
from shared import audit
from shared.caller import DELEGATE, PERSON_PREFIX
from shared.errors import Forbidden, NotFound, Unauthenticated


def authenticate_client(scope, data):
    client = scope.session.get(models.ApiClient, data["client_id"])
    if client is None or client.revoked_at is not None or not domain.secret_matches(
        data["client_secret"], client.secret_hash
    ):
        raise Unauthenticated("invalid client credentials")
    client.last_used_at = datetime.now(timezone.utc)
    audit.note(scope, client.id, subject=f"client:{client.id}")
    return client


def issue_person_token(scope, ring, data, sign):
    client = authenticate_client(scope, data)
    if DELEGATE not in (client.permissions or ()):
        raise Forbidden("this API client may not act for people (it lacks the delegate permission)",
                        {"client_id": str(client.id)})
    person = _person(scope, ring, data)
    if person.status != domain.PERSON_ACTIVE:
        raise Forbidden(f"the person is {person.status}", {"person_id": str(person.id), "status": person.status})
    grants = domain.person_grants(active_grants(scope.session, person.id), delegated=True)
    audit.note(scope, person.id)
    token, expires_at = sign(f"{PERSON_PREFIX}{person.id}", scope.tenant_slug, grants, data["ttl"])
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": data["ttl"],
        "expires_at": expires_at.isoformat(),
        "person_id": str(person.id),
        "roles": [grant.as_claim() for grant in grants],
    }


def _person(scope, ring, data):
    if data["person_id"] is not None:
        return load_person(scope, data["person_id"])
    field = "phone" if data["phone"] is not None else "wechat_openid"
    person = person_by_address(scope, ring, contacts.CHANNEL_OF_FIELD[field], data[field])
    if person is None:
        raise NotFound("no such person", {"field": field})
    return person
