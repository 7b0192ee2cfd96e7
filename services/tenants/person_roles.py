"""Roles granted to people, scoped to a territory subtree or a unit exactly like API client grants.

Who may grant is a plain rule (``domain.grant_problem``); that a role is held at most once per
scope/unit at a time is PostgreSQL's (partial unique index ``person_roles_active``), so two
concurrent grants of the same role cannot both succeed. Revoked grants stay as history.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.tenants import domain, models
from services.tenants.people import load_person, view
from shared import audit, clock
from shared.errors import Conflict, Forbidden, NotFound

PersonRole = models.PersonRole


def _grant_key(data):
    return {"role": data["role"], "scope": data["scope"],
            "unit_id": str(data["unit_id"]) if data["unit_id"] else None}


def _require_grantor(caller, data):
    problem = domain.grant_problem(caller, data["role"], data["scope"], data["unit_id"])
    if problem:
        raise Forbidden(f"cannot grant this role: {problem}", {"role": data["role"], "scope": data["scope"]})


def grant_role(scope, ring, data):
    caller = scope.caller
    _require_grantor(caller, data)
    person = load_person(scope, data["person_id"], lock=True, visible_to=caller)
    if person.status != domain.PERSON_ACTIVE:
        raise Conflict(f"cannot grant a role to a person who is {person.status}", {"status": person.status})
    grant = PersonRole(person_id=person.id, role=data["role"], scope=data["scope"], unit_id=data["unit_id"],
                       granted_by=caller.subject)
    try:
        with scope.session.begin_nested():
            scope.session.add(grant)
            scope.session.flush()
    except IntegrityError:
        raise Conflict("the person already holds this role here", _grant_key(data)) from None
    audit.note(scope, grant.id, detail=_grant_key(data))
    scope.emit("person_role_granted", {"person_id": str(person.id), **_grant_key(data)})
    return view(scope, ring, person)


def revoke_role(scope, ring, data):
    caller = scope.caller
    _require_grantor(caller, data)
    person = load_person(scope, data["person_id"], lock=True, visible_to=caller)
    statement = select(PersonRole).where(
        PersonRole.person_id == person.id, PersonRole.role == data["role"],
        PersonRole.revoked_at.is_(None),
        PersonRole.scope.is_(None) if data["scope"] is None else PersonRole.scope == data["scope"],
        PersonRole.unit_id.is_(None) if data["unit_id"] is None else PersonRole.unit_id == data["unit_id"],
    ).with_for_update()
    grant = scope.session.execute(statement).scalar_one_or_none()
    if grant is None:
        raise NotFound("the person does not hold this role here", _grant_key(data))
    grant.revoked_at, grant.revoked_by = clock.now(), caller.subject
    audit.note(scope, grant.id, detail=_grant_key(data))
    scope.emit("person_role_revoked", {"person_id": str(person.id), **_grant_key(data)})
    scope.session.flush()
    return view(scope, ring, person)


def active_grants(session, person_id):
    return session.execute(
        select(PersonRole).where(PersonRole.person_id == person_id, PersonRole.revoked_at.is_(None))
    ).scalars().all()
