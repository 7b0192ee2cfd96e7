"""Data-subject rights (PIPL arts. 45 and 47) across services: export one person's data into one
JSON document, or erase the person everywhere.

The tenants service orchestrates: it calls ``export_personal_data`` / ``erase_personal_data``
(shared.personal_data) on every installed service with the tenant admin's context, answers its
own part locally, and records each service's answer in a ``data_requests`` row. Erasure is
re-runnable: a later ``erase_person`` resumes the open request and calls only the services that
have not confirmed; every service's erasure is idempotent. The tenants part runs first, so an
erased person can no longer sign in even while another service is still unreachable.

What tenants itself holds (the hooks below): the person's record, sealed contact points,
consent, role grants and the requests about them. Erasure keeps the row and its id (other
services' counts and ledgers refer to it), replaces the name with ``ERASED_NAME``, deletes every
contact point and consent, clears the home, revokes every role and marks the person ``erased``.
"""

from nameko.exceptions import RemoteError, UnknownService
from sqlalchemy import select

from services.tenants import contacts, domain, models
from services.tenants.keyring import ring_of
from services.tenants.people import load_person
from shared import clock, personal_data
from shared.caller import PERSON_PREFIX
from shared.errors import Forbidden, GongjianError, NotFound
from shared.personal_data import (
    ERASED_NAME,
    Reference,
    erase_references,
    export_references,
    pseudonym,
    row_dict,
)
from shared.pii import associated_data
from shared.services import installed_services
from shared.sql import as_uuid

Person, ContactPoint, PersonRole, DataRequest = (models.Person, models.ContactPoint, models.PersonRole,
                                                 models.DataRequest)

RUNNING, COMPLETE = "running", "complete"
DONE, FAILED = "done", "failed"

REFERENCES = (
    Reference(Person, "created_by", "created_at"),
    Reference(PersonRole, "granted_by", "granted_at"),
    Reference(PersonRole, "revoked_by", "revoked_at"),
    Reference(models.ApiClient, "created_by", "created_at"),
    Reference(DataRequest, "requested_by", "created_at"),
)


def _person_id(subject):
    return subject[len(PERSON_PREFIX):]


# -- the tenants service's own hooks ---------------------------------------------------------


def export_person(scope, subject):
    session, ring = scope.session, ring_of(scope)
    person = session.get(Person, _person_id(subject))
    if person is None:
        return {"person": [], "contact_points": [], "roles": [], "references": []}
    points = session.execute(select(ContactPoint).where(ContactPoint.person_id == person.id)).scalars().all()
    inbox = session.get(models.InboxConsent, person.id)
    roles = session.execute(select(PersonRole).where(PersonRole.person_id == person.id)
                            .order_by(PersonRole.granted_at)).scalars().all()
    contact_rows = [{
        "channel": p.channel,
        "address": ring.open(p.key_id, p.address_sealed, associated_data(scope.tenant_slug, person.id, p.channel)),
        "verified_at": p.verified_at, "consent": p.consent, "consent_at": p.consent_at,
        "consent_source": p.consent_source} for p in points]
    if inbox is not None:
        contact_rows.append({"channel": contacts.INBOX, "address": None, "verified_at": None,
                             "consent": inbox.consent, "consent_at": inbox.consent_at,
                             "consent_source": inbox.consent_source})
    return {
        "person": [row_dict(person)],
        "contact_points": contact_rows,
        "roles": [row_dict(r) for r in roles],
        "references": export_references(session, REFERENCES, subject),
    }


def erase_person(scope, subject):
    session = scope.session
    person = session.get(Person, _person_id(subject), with_for_update=True)
    if person is None:
        return {"person": 0, "contact_points": 0, "roles": 0, "references": 0}
    erased = {"contact_points": 0, "roles": 0}
    for point in session.execute(select(ContactPoint).where(ContactPoint.person_id == person.id)).scalars():
        session.delete(point)
        erased["contact_points"] += 1
    inbox = session.get(models.InboxConsent, person.id)
    if inbox is not None:
        session.delete(inbox)
        erased["contact_points"] += 1
    now = clock.now()
    for grant in session.execute(select(PersonRole).where(
            PersonRole.person_id == person.id, PersonRole.revoked_at.is_(None))).scalars():
        grant.revoked_at, grant.revoked_by = now, "erasure"
        erased["roles"] += 1
    changed = person.status != domain.PERSON_ERASED or person.name != ERASED_NAME
    person.status = domain.next_person_status(person.status, "erase")
    person.name, person.home_node_id, person.home_path = ERASED_NAME, None, None
    if changed:
        person.erased_at = person.updated_at = now
    session.flush()
    erased["person"] = int(changed)
    erased["references"] = erase_references(session, REFERENCES, subject, pseudonym())
    return erased


HOOKS = personal_data.PersonalDataHooks(export=export_person, erase=erase_person)


# -- the requests ------------------------------------------------------------------------------


def _require_tenant_admin(caller):
    if not caller.is_admin:
        raise Forbidden("exports and erasures are for tenant administrators", {"roles": sorted(caller.roles)})


def _ask(scope, services, name, method, person_id):
    """One service's answer, or the reason it has none yet (never raises for a service's fault)."""
    try:
        if name == scope.service:
            return personal_data.run_locally(scope, HOOKS, method, person_id), None
        return getattr(services[name], method)({"person_id": str(person_id)}), None
    except GongjianError as exc:
        return None, {"code": exc.code, "message": exc.message}
    except UnknownService:
        return None, {"code": "service_unavailable", "message": f"{name} is not running"}
    except RemoteError as exc:  # a bug over there: recorded, and a re-run asks again
        return None, {"code": "error", "message": f"{exc.exc_type}: {exc.value}"[:500]}


def export_person_data(scope, data, services):
    caller = scope.caller
    _require_tenant_admin(caller)
    person = load_person(scope, data["person_id"])
    request = DataRequest(kind="export", person_id=person.id, status=RUNNING, requested_by=caller.subject,
                          services={}, created_at=clock.now())
    scope.session.add(request)
    document = {"person_id": str(person.id), "tenant": scope.tenant_slug,
                "generated_at": clock.now().isoformat(), "services": {}}
    progress = {}
    for name in installed_services():
        answer, problem = _ask(scope, services, name, "export_personal_data", person.id)
        if problem is None:
            document["services"][name] = answer["sections"]
            progress[name] = {"status": DONE, "at": clock.now().isoformat(),
                              "rows": {k: len(v) for k, v in answer["sections"].items()}}
        else:
            progress[name] = {"status": FAILED, "at": clock.now().isoformat(), **problem}
    _finish(request, progress)
    scope.session.flush()
    return _view(request), document


def erase_person_everywhere(scope, data, services):
    caller = scope.caller
    _require_tenant_admin(caller)
    person = load_person(scope, data["person_id"], lock=True)
    request = scope.session.execute(
        select(DataRequest).where(DataRequest.person_id == person.id, DataRequest.kind == "erasure")
        .order_by(DataRequest.created_at.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()
    if request is None or (request.status == COMPLETE and person.status != domain.PERSON_ERASED):
        request = DataRequest(kind="erasure", person_id=person.id, status=RUNNING, requested_by=caller.subject,
                              services={}, created_at=clock.now())
        scope.session.add(request)
    progress = dict(request.services or {})
    order = [scope.service] + [s for s in installed_services() if s != scope.service]
    for name in order:
        if progress.get(name, {}).get("status") == DONE:
            continue
        answer, problem = _ask(scope, services, name, "erase_personal_data", person.id)
        progress[name] = ({"status": DONE, "at": clock.now().isoformat(), "erased": answer["erased"]}
                          if problem is None else {"status": FAILED, "at": clock.now().isoformat(), **problem})
    was_complete = request.status == COMPLETE
    _finish(request, progress)
    scope.session.flush()
    if request.status == COMPLETE and not was_complete:
        scope.emit("person_erased", {"person_id": str(person.id)})
    return _view(request)


def get_data_request(scope, request_id):
    _require_tenant_admin(scope.caller)
    request = scope.session.get(DataRequest, as_uuid(request_id, "request_id"))
    if request is None:
        raise NotFound("no such data request", {"request_id": str(request_id)})
    return _view(request)


def _finish(request, progress):
    now = clock.now()
    request.services = progress
    request.updated_at = now
    if all(progress.get(name, {}).get("status") == DONE for name in installed_services()):
        if request.status != COMPLETE:
            request.status, request.completed_at = COMPLETE, now


def _view(request):
    return {"id": str(request.id), "kind": request.kind, "person_id": str(request.person_id),
            "status": request.status, "services": request.services, "requested_by": request.requested_by,
            "created_at": request.created_at, "updated_at": request.updated_at,
            "completed_at": request.completed_at}
