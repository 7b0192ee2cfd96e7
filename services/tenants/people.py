"""People of a tenant: registration, lookup, updates, deactivation and what staff may see.

Guarantees kept by PostgreSQL, not Python: one phone / openid / email per tenant (unique index on
the keyed hash ``contact_points(channel, address_hash)``: of two concurrent registrations with
the same phone exactly one commits, the other gets ``Conflict``), a person's status is one of
three (CHECK), and a person's fields and addresses change in one transaction with its event and
audit row. Addresses never leave this module in clear except through ``reveal`` (tenant admins,
audited) and the system-only ``contact_points`` read (see services.tenants.contact_points).
"""

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from services.tenants import contacts, domain, models
from shared import audit, clock
from shared.caller import TENANT_ADMIN
from shared.errors import Conflict, Forbidden, NotFound, ValidationError
from shared.pagination import keyset, paged
from shared.pii import associated_data
from shared.sql import as_uuid, rebased, within, within_any

Person, ContactPoint, PersonRole = models.Person, models.ContactPoint, models.PersonRole


# -- who may do what -------------------------------------------------------------------------


def is_self(caller, person_id):
    return caller.person_id is not None and caller.person_id == str(person_id)


def may_see(caller, person):
    """Admins; the person themself; staff whose subtree holds the person's home; apps that act
    for people (they look their users up at sign-in)."""
    return (caller.is_admin or is_self(caller, person.id) or caller.can_delegate
            or caller.can(domain.STAFF, path=person.home_path))


def may_manage(caller, person):
    """Change or deactivate someone else: admins and staff over the person's home."""
    return caller.is_admin or caller.can(domain.STAFF, path=person.home_path)


def may_reveal(caller):
    return caller.is_operator or TENANT_ADMIN in caller.roles


def require_register(caller, home_path):
    if caller.is_admin or caller.can_delegate:
        return
    if home_path is not None and caller.can(domain.STAFF, path=home_path):
        return
    raise Forbidden("registering people needs a tenant admin, staff over the home node, or an app "
                    "client with the delegate permission", {"roles": sorted(caller.roles)})


# -- loading ---------------------------------------------------------------------------------


def load_person(scope, person_id, lock=False, visible_to=None):
    """The person, or NotFound — also when ``visible_to`` may not see them (no probing)."""
    statement = select(Person).where(Person.id == as_uuid(person_id, "person_id"))
    if lock:
        statement = statement.with_for_update(key_share=True)
    person = scope.session.execute(statement).scalar_one_or_none()
    if person is None or (visible_to is not None and not may_see(visible_to, person)):
        raise NotFound("no such person", {"person_id": str(person_id)})
    return person


def person_by_address(scope, ring, channel, address):
    digest = ring.lookup_hash(scope.tenant_slug, channel, address)
    return scope.session.execute(
        select(Person).join(ContactPoint, ContactPoint.person_id == Person.id)
        .where(ContactPoint.channel == channel, ContactPoint.address_hash == digest)
    ).scalar_one_or_none()


def home_path_of(lookup_node, node_id):
    """The territory path of a home node (organizations owns nodes), or a ValidationError."""
    if node_id is None:
        return None
    node = lookup_node(str(node_id))
    if node is None:
        raise ValidationError("invalid home node", {"home_node_id": ["no such node in this tenant"]})
    if node.get("archived"):
        raise ValidationError("invalid home node", {"home_node_id": ["the node is archived"]})
    return node["path"]


# -- contact addresses -----------------------------------------------------------------------


def set_address(scope, ring, person, channel, address):
    """Seal and store one address (or drop it when ``address`` is None). An unchanged address
    keeps its verification and consent; a new one starts unverified."""
    session = scope.session
    current = session.get(ContactPoint, (person.id, channel), with_for_update=True)
    if address is None:
        if current is not None:
            session.delete(current)
        return
    digest = ring.lookup_hash(scope.tenant_slug, channel, address)
    if current is not None and current.address_hash == digest:
        return
    key_id, sealed = ring.seal(address, associated_data(scope.tenant_slug, person.id, channel))
    values = dict(address_sealed=sealed, key_id=key_id, address_hash=digest,
                  address_hint=contacts.mask(channel, address), verified_at=None, updated_at=clock.now())
    field = contacts.FIELD_OF_CHANNEL[channel]
    try:
        with session.begin_nested():
            if current is None:
                session.add(ContactPoint(person_id=person.id, channel=channel, **values))
            else:
                for key, value in values.items():
                    setattr(current, key, value)
            session.flush()
    except IntegrityError:
        # The unique index decided: another person of this tenant has this address.
        raise Conflict(f"this {field.replace('_', ' ')} belongs to another person", {"field": field}) from None


def set_addresses(scope, ring, person, data):
    for field, channel in contacts.CHANNEL_OF_FIELD.items():
        if field in data:
            set_address(scope, ring, person, channel, data[field])


# -- views -----------------------------------------------------------------------------------


def views(scope, ring, people, reveal=False):
    """JSON-ready people with their contact points (masked unless ``reveal``) and active grants."""
    if not people:
        return []
    ids = [p.id for p in people]
    points, grants = {}, {}
    for point in scope.session.execute(
            select(ContactPoint).where(ContactPoint.person_id.in_(ids))).scalars():
        points.setdefault(point.person_id, []).append(point)
    for grant in scope.session.execute(
            select(PersonRole).where(PersonRole.person_id.in_(ids), PersonRole.revoked_at.is_(None))
            .order_by(PersonRole.granted_at)).scalars():
        grants.setdefault(grant.person_id, []).append(grant)
    inbox = {row.person_id: row for row in scope.session.execute(
        select(models.InboxConsent).where(models.InboxConsent.person_id.in_(ids))).scalars()}
    return [_view(scope, ring, p, points.get(p.id, []), grants.get(p.id, []), inbox.get(p.id), reveal)
            for p in people]


def view(scope, ring, person, reveal=False):
    return views(scope, ring, [person], reveal)[0]


def _view(scope, ring, person, points, grants, inbox, reveal):
    result = {column: getattr(person, column) for column in (
        "id", "name", "home_node_id", "home_path", "status", "created_by", "created_at",
        "updated_at", "deactivated_at", "erased_at")}
    result["contacts"] = [_inbox_view(inbox)]
    for point in sorted(points, key=lambda p: contacts.CHANNELS.index(p.channel)):
        address = (ring.open(point.key_id, point.address_sealed,
                             associated_data(scope.tenant_slug, person.id, point.channel))
                   if reveal else point.address_hint)
        result[contacts.FIELD_OF_CHANNEL[point.channel]] = address
        result["contacts"].append({
            "channel": point.channel, "address": address, "verified": point.verified_at is not None,
            "verified_at": point.verified_at, "consent": point.consent, "consent_at": point.consent_at,
            "consent_source": point.consent_source})
    for field in contacts.CHANNEL_OF_FIELD:
        result.setdefault(field, None)
    result["roles"] = [{"id": g.id, "role": g.role, "scope": g.scope,
                        "unit_id": str(g.unit_id) if g.unit_id else None,
                        "granted_by": g.granted_by, "granted_at": g.granted_at} for g in grants]
    return result


def _inbox_view(row):
    """The in-app inbox needs no address; consent defaults to given (a person can withdraw it)."""
    return {"channel": contacts.INBOX, "address": None, "verified": True, "verified_at": None,
            "consent": row.consent if row else "given", "consent_at": row.consent_at if row else None,
            "consent_source": row.consent_source if row else None}


def event_data(person):
    """What a person event carries: ids and places, never names or addresses."""
    return {"person_id": str(person.id), "home_node_id": str(person.home_node_id) if person.home_node_id else None,
            "home_path": person.home_path, "status": person.status}


# -- use cases -------------------------------------------------------------------------------


def register_person(scope, ring, data, lookup_node):
    caller = scope.caller
    home_path = home_path_of(lookup_node, data["home_node_id"])
    require_register(caller, home_path)
    person = Person(name=data["name"], home_node_id=data["home_node_id"], home_path=home_path,
                    status=domain.PERSON_ACTIVE, created_by=caller.subject)
    scope.session.add(person)
    scope.session.flush()
    set_addresses(scope, ring, person, data)
    scope.session.refresh(person)
    audit.note(scope, person.id)
    scope.emit("person_registered", event_data(person))
    return view(scope, ring, person)


def get_person(scope, ring, data):
    caller = scope.caller
    person = load_person(scope, data["person_id"], visible_to=caller)
    return _maybe_revealed(scope, ring, person, data["reveal"], "get_person")


def find_person(scope, ring, data):
    caller = scope.caller
    field = next(f for f in contacts.CHANNEL_OF_FIELD if data.get(f) is not None)
    person = person_by_address(scope, ring, contacts.CHANNEL_OF_FIELD[field], data[field])
    if person is None or not may_see(caller, person):
        raise NotFound("no such person", {"field": field})
    return _maybe_revealed(scope, ring, person, data["reveal"], "find_person")


def _maybe_revealed(scope, ring, person, reveal, method):
    if not reveal:
        return view(scope, ring, person)
    if not may_reveal(scope.caller):
        raise Forbidden("only tenant administrators may reveal contact addresses",
                        {"roles": sorted(scope.caller.roles)})
    result = view(scope, ring, person, reveal=True)
    revealed = [f for f in contacts.CHANNEL_OF_FIELD if result[f] is not None]
    # Recorded (and committed) before the addresses leave the service: no audit row, no reveal.
    audit.record_access(scope, method, person.id, detail={"revealed": revealed})
    return result


def list_people(scope, ring, data, lookup_node):
    caller = scope.caller
    # Apps acting for people (delegate) find their users one by one; they never list everyone.
    if not (caller.is_admin or caller.roles & set(domain.STAFF)):
        raise Forbidden("listing people needs a tenant admin or staff role", {"roles": sorted(caller.roles)})
    statement = select(Person)
    if not caller.is_admin:
        restriction = within_any(Person.home_path, caller.scopes(domain.STAFF))
        if restriction is not None:
            statement = statement.where(restriction)
    if data["node_id"] is not None:
        statement = statement.where(within(Person.home_path, home_path_of(lookup_node, data["node_id"])))
    if data["status"] != "any":
        statement = statement.where(Person.status == data["status"])
    if data["role"] is not None:
        statement = statement.where(exists().where(
            PersonRole.person_id == Person.id, PersonRole.role == data["role"],
            PersonRole.revoked_at.is_(None)))
    rows = scope.session.execute(keyset(statement, data, [Person.created_at, Person.id])).scalars().all()
    result = paged(rows, data, lambda p: [p.created_at.isoformat(), str(p.id)], lambda p: p)
    result["items"] = views(scope, ring, result["items"])
    return result


def load_for_change(scope, person_id, action):
    """The person, locked, when the caller is that person or staff over them; an erased person
    changes no more."""
    caller = scope.caller
    person = load_person(scope, person_id, lock=True, visible_to=caller)
    if not (is_self(caller, person.id) or may_manage(caller, person)):
        raise Forbidden(f"only the person themself or staff over them may {action}",
                        {"roles": sorted(caller.roles)})
    if person.status == domain.PERSON_ERASED:
        raise Conflict(f"cannot {action} for a person who is erased", {"status": person.status})
    return person


def update_person(scope, ring, data, lookup_node):
    caller = scope.caller
    person = load_for_change(scope, data["person_id"], "change the record")
    if "home_node_id" in data and data["home_node_id"] != person.home_node_id:
        home_path = home_path_of(lookup_node, data["home_node_id"])
        if not (is_self(caller, person.id) or caller.is_admin
                or home_path is not None and caller.can(domain.STAFF, path=home_path)):
            raise Forbidden("the new home node is outside your subtree", {"home_node_id": str(data["home_node_id"])})
        person.home_node_id, person.home_path = data["home_node_id"], home_path
    if "name" in data:
        person.name = data["name"]
    set_addresses(scope, ring, person, data)
    person.updated_at = clock.now()
    scope.session.flush()
    scope.emit("person_updated", {**event_data(person), "changed": sorted(k for k in data if k != "person_id")})
    return view(scope, ring, person)


def change_person_status(scope, ring, person_id, action):
    caller = scope.caller
    person = load_person(scope, person_id, lock=True, visible_to=caller)
    if not (caller.is_admin or caller.can(domain.GRANTORS, path=person.home_path)):
        raise Forbidden("deactivating people needs a tenant admin or a secretary over them",
                        {"roles": sorted(caller.roles)})
    person.status = domain.next_person_status(person.status, action)
    now = clock.now()
    person.deactivated_at = now if action == "deactivate" else None
    person.updated_at = now
    scope.session.flush()
    scope.emit(f"person_{action}d", event_data(person))
    return view(scope, ring, person)


def follow_node_move(scope, event):
    """organizations moved a node: homes and role scopes at or below its old path move with it
    (``shared.sql.rebased``). Paths already elsewhere are left alone, so a
    redelivered move changes nothing."""
    old, new = event["old_path"], event["path"]
    for table, column in ((Person.__table__, "home_path"), (PersonRole.__table__, "scope")):
        path = table.c[column]
        scope.session.execute(table.update().where(within(path, old)).values({column: rebased(path, old, new)}))
