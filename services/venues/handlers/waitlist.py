"""The waitlist: people who asked for a taken slot wait in order of arrival; when time is freed
(a cancellation, rejection, no-show, early end, declined or lapsed offer) the first entries that
now fit are *offered* the slot. An offer holds the room (it is covered by the exclusion
constraint) for ``offer_minutes`` or until the start; the person accepts (→ confirmed, or
requested when the room needs approval) or declines, and an unanswered offer lapses in the
sweep — each time the next in line is offered."""

import uuid

from psycopg import errors as pg_errors
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.venues import domain
from services.venues.handlers import access
from services.venues.handlers.booking_views import Context, booking_view, emit_booking
from services.venues.handlers.common import load, lock_rooms, now
from services.venues.models import Booking
from shared.errors import Conflict, Forbidden


def join(scope, context, data, caller, role, rules):
    """Put the caller on the waitlist for a taken slot (once per person and slot)."""
    session = scope.session
    twice = session.execute(select(Booking.id).where(
        Booking.room_id == context.room.id, Booking.booker == caller.subject,
        Booking.status.in_((domain.WAITLISTED, domain.OFFERED)),
        Booking.starts_at == data["starts_at"], Booking.ends_at == data["ends_at"])).first()
    if twice:
        raise Conflict("you are already on the waitlist for this slot", {"status": domain.WAITLISTED})
    stamp = now()
    entry = Booking(
        id=uuid.uuid4(), room_id=context.room.id, venue_id=context.venue.id, status=domain.WAITLISTED,
        purpose=data["purpose"], attendees=data["attendees"], booker=caller.subject, booker_role=role,
        unit_id=data["unit_id"], organiser=data["organiser"], starts_at=data["starts_at"],
        ends_at=data["ends_at"], blocked_until=domain.blocked_until(data["ends_at"], rules),
        created_at=stamp, updated_at=stamp)
    session.add(entry)
    session.flush()
    emit_booking(scope, "waitlist_joined", entry, context)
    return entry


def promote(scope, context, freed_from, freed_until):
    """Offer time freed in [freed_from, freed_until) to the waitlist, first come first served;
    every entry that now fits gets an offer. Returns the offered entries."""
    session = scope.session
    current = now()
    rules = context.rules
    candidates = session.execute(
        select(Booking).where(
            Booking.room_id == context.room.id, Booking.status == domain.WAITLISTED,
            Booking.starts_at < freed_until, Booking.blocked_until > freed_from,
            Booking.starts_at > current)
        .order_by(Booking.seq).with_for_update(skip_locked=True, key_share=True)).scalars().all()
    offered = []
    for entry in candidates:
        try:
            with session.begin_nested():
                entry.status = domain.BOOKING.next(entry.status, "offer")
                entry.offer_expires_at = domain.offer_expires_at(rules, current, entry.starts_at)
                entry.updated_at = current
                session.flush()
        except IntegrityError as exc:
            if not isinstance(exc.orig, pg_errors.ExclusionViolation):
                raise
            continue  # still overlaps another booking: the next one may fit
        emit_booking(scope, "waitlist_offered", entry, context)
        offered.append(entry)
    return offered


def locked_booking(session, booking_id):
    """The booking, its room's lock taken first and then the booking's row lock."""
    booking = load(session, Booking, booking_id, "booking")
    lock_rooms(session, [booking.room_id])
    session.refresh(booking, with_for_update={"key_share": True})
    return booking


def _offer(scope, booking_id):
    session = scope.session
    entry = locked_booking(session, booking_id)
    context = Context.of(session, entry)
    if not access.is_party(scope.caller, entry):
        raise Forbidden("only the person offered the slot may answer", {"booking_id": str(entry.id)})
    return entry, context


def accept_offer(scope, data):
    entry, context = _offer(scope, data["booking_id"])
    status = domain.BOOKING.next(entry.status, "accept")
    if entry.offer_expires_at is not None and now() >= entry.offer_expires_at:
        raise Conflict(f"the offer lapsed at {entry.offer_expires_at.isoformat()}", {"status": entry.status})
    manager = access.can_manage(scope.caller, context.venue, context.path)
    if context.rules["approval_required"] and not manager:
        status = domain.REQUESTED
    entry.status, entry.offer_expires_at, entry.updated_at = status, None, now()
    scope.session.flush()
    emit_booking(scope, f"booking_{status}", entry, context)
    return booking_view(scope.session, entry, context.room.name, context.venue.name)


def decline_offer(scope, data):
    entry, context = _offer(scope, data["booking_id"])
    entry.status = domain.BOOKING.next(entry.status, "decline")
    entry.updated_at = now()
    scope.session.flush()
    emit_booking(scope, "waitlist_offer_declined", entry, context)
    promote(scope, context, entry.starts_at, entry.blocked_until)
    return booking_view(scope.session, entry, context.room.name, context.venue.name)


def lapse(scope, entry, context):
    """Sweep: an offer nobody answered in time goes to the next in line."""
    entry.status = domain.BOOKING.next(entry.status, "lapse")
    entry.updated_at = now()
    scope.session.flush()
    emit_booking(scope, "waitlist_offer_lapsed", entry, context)
    promote(scope, context, entry.starts_at, entry.blocked_until)
