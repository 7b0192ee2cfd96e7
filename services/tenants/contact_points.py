"""Contact points and consent: per person and channel (inbox, sms, wechat, email) the address,
whether it is verified, and consent given/withdrawn with time and source.

Raw addresses leave the service only through ``contact_points`` — for the platform's system
identity (the notifications service), every read audited — and through an admin's audited reveal.
"""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from services.tenants import contacts, domain, models
from services.tenants.people import load_for_change, load_person, may_manage, view
from shared import audit, clock
from shared.caller import SYSTEM
from shared.errors import Forbidden, NotFound
from shared.pii import associated_data

ContactPoint, InboxConsent = models.ContactPoint, models.InboxConsent


def set_consent(scope, ring, data):
    """The person themself, or staff over them recording a consent given on paper or by phone."""
    person = load_for_change(scope, data["person_id"], "record consent")
    now, channel = clock.now(), data["channel"]
    values = {"consent": data["consent"], "consent_at": now, "consent_source": data["source"]}
    if channel == contacts.INBOX:
        statement = insert(InboxConsent).values(person_id=person.id, **values)
        scope.session.execute(statement.on_conflict_do_update(index_elements=["person_id"], set_=values))
    else:
        point = scope.session.get(ContactPoint, (person.id, channel), with_for_update=True)
        if point is None:
            raise NotFound(f"the person has no {channel} address", {"channel": channel})
        for key, value in values.items():
            setattr(point, key, value)
        point.updated_at = now
    scope.session.flush()
    scope.emit("consent_changed", {"person_id": str(person.id), "channel": channel,
                                   "consent": data["consent"]})
    return view(scope, ring, person)


def verify_contact(scope, ring, data):
    """An app that checked a code sent to the address (delegate client), or staff over the person."""
    caller = scope.caller
    person = load_person(scope, data["person_id"], lock=True, visible_to=caller)
    if not (caller.can_delegate or may_manage(caller, person)):
        raise Forbidden("addresses are verified by the app that checked them or by staff",
                        {"roles": sorted(caller.roles)})
    point = scope.session.get(ContactPoint, (person.id, data["channel"]), with_for_update=True)
    if point is None:
        raise NotFound(f"the person has no {data['channel']} address", {"channel": data["channel"]})
    if point.verified_at is None:
        point.verified_at = point.updated_at = clock.now()
        scope.emit("contact_verified", {"person_id": str(person.id), "channel": data["channel"]})
    scope.session.flush()
    return view(scope, ring, person)


def contact_points(scope, ring, data):
    """Raw addresses for delivering messages: the system identity only. Deactivated and erased
    people get nothing; ``consented_only`` drops withdrawn channels (the inbox is on by default)."""
    caller = scope.caller
    if SYSTEM not in caller.roles:
        raise Forbidden("contact addresses are for the platform's system identity only",
                        {"roles": sorted(caller.roles)})
    ids = list(dict.fromkeys(data["person_ids"]))
    active = set(scope.session.execute(
        select(models.Person.id).where(models.Person.id.in_(ids),
                                       models.Person.status == domain.PERSON_ACTIVE)).scalars())
    items = []
    channels = [data["channel"]] if data["channel"] else list(contacts.CHANNELS)
    if contacts.INBOX in channels:
        withdrawn = {row.person_id: row for row in scope.session.execute(
            select(InboxConsent).where(InboxConsent.person_id.in_(active))).scalars()}
        for person_id in ids:
            row = withdrawn.get(person_id)
            consent = row.consent if row else "given"
            if person_id in active and (consent == "given" or not data["consented_only"]):
                items.append({"person_id": str(person_id), "channel": contacts.INBOX, "address": str(person_id),
                              "verified": True, "consent": consent})
    addressed = [c for c in channels if c != contacts.INBOX]
    if addressed and active:
        statement = select(ContactPoint).where(ContactPoint.person_id.in_(active),
                                               ContactPoint.channel.in_(addressed))
        if data["consented_only"]:
            statement = statement.where(ContactPoint.consent == "given")
        for point in scope.session.execute(statement).scalars():
            items.append({
                "person_id": str(point.person_id), "channel": point.channel,
                "address": ring.open(point.key_id, point.address_sealed,
                                     associated_data(scope.tenant_slug, point.person_id, point.channel)),
                "verified": point.verified_at is not None, "consent": point.consent})
    audit.record_access(scope, "contact_points", *sorted({i["person_id"] for i in items}),
                        detail={"channels": channels, "count": len(items)})
    return {"items": items}


def reseal(scope, ring, batch):
    """Re-encrypt up to ``batch`` contact points still sealed with an older key; returns how many
    were resealed and how many remain (run until 0: ``gongjian people reseal``)."""
    session = scope.session
    rows = session.execute(
        select(ContactPoint).where(ContactPoint.key_id != ring.current).limit(batch).with_for_update(skip_locked=True)
    ).scalars().all()
    for point in rows:
        associated = associated_data(scope.tenant_slug, point.person_id, point.channel)
        point.key_id, point.address_sealed = ring.seal(ring.open(point.key_id, point.address_sealed, associated),
                                                       associated)
    session.flush()
    remaining = session.execute(
        select(func.count()).select_from(ContactPoint).where(ContactPoint.key_id != ring.current)
    ).scalar()
    return {"tenant": scope.tenant_slug, "resealed": len(rows), "remaining": remaining,
            "current_key": ring.current}
