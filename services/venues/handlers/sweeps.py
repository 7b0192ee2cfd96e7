"""Periodic work of one tenant (run by the service's timer through
``shared.sweeps.for_each_tenant`` and by the ``run_sweeps`` RPC). Every step reads the platform
clock and never waits: a room whose lock another transaction holds (someone is booking or
checking in right now) is skipped and picked up by the next run, and rows are taken with
``FOR UPDATE SKIP LOCKED`` after re-checking their condition. Each step is idempotent: a second
run finds nothing new.

* no-shows: confirmed bookings nobody checked in by start + grace are released (booking_no_show)
  and the rest of the slot is offered to the waitlist;
* completion: checked-in activities past their end are completed;
* requests nobody approved before the start expire; so do waitlist entries whose start passed;
* waitlist offers nobody answered lapse and go to the next in line.
"""

from sqlalchemy import select

from services.venues import domain
from services.venues.handlers import waitlist
from services.venues.handlers.booking_views import Context, emit_booking
from services.venues.handlers.bookings import finish
from services.venues.handlers.common import now, try_lock_room
from services.venues.models import Booking

BATCH = 500


def _due(scope, statuses, condition):
    """Bookings in ``statuses`` meeting ``condition``, each with its room's lock and its row lock."""
    session = scope.session
    candidates = session.execute(
        select(Booking.id, Booking.room_id).where(Booking.status.in_(statuses), condition)
        .order_by(Booking.starts_at).limit(BATCH)).all()
    locked_rooms, busy_rooms = set(), set()
    for booking_id, room_id in candidates:
        if room_id in busy_rooms:
            continue
        if room_id not in locked_rooms:
            if not try_lock_room(session, room_id):
                busy_rooms.add(room_id)
                continue
            locked_rooms.add(room_id)
        booking = session.execute(
            select(Booking).where(Booking.id == booking_id, Booking.status.in_(statuses), condition)
            .with_for_update(skip_locked=True, key_share=True)).scalar_one_or_none()
        if booking is not None:
            yield booking


def _contexts(scope):
    cache = {}

    def get(booking):
        if booking.room_id not in cache:
            cache[booking.room_id] = Context.of(scope.session, booking)
        return cache[booking.room_id]

    return get


def release_no_shows(scope):
    current = now()
    context_of = _contexts(scope)
    released = 0
    for booking in _due(scope, (domain.CONFIRMED,), Booking.starts_at < current):
        context = context_of(booking)
        if current <= domain.no_show_at(context.rules, booking.starts_at):
            continue
        booking.status = domain.BOOKING.next(booking.status, "mark no-show")
        booking.no_show_at = booking.updated_at = current
        scope.session.flush()
        emit_booking(scope, "booking_no_show", booking, context)
        if current < booking.blocked_until:
            waitlist.promote(scope, context, current, booking.blocked_until)
        released += 1
    return released


def complete_finished(scope):
    context_of = _contexts(scope)
    completed = 0
    for booking in _due(scope, (domain.CHECKED_IN,), Booking.ends_at <= now()):
        booking.status = domain.BOOKING.next(booking.status, "complete")
        finish(scope, booking, context_of(booking))
        completed += 1
    return completed


def expire_unanswered(scope):
    """Requests nobody approved and waitlist entries nobody freed, once their start has come."""
    current = now()
    context_of = _contexts(scope)
    expired = 0
    for booking in _due(scope, (domain.REQUESTED, domain.WAITLISTED), Booking.starts_at <= current):
        booking.status = domain.BOOKING.next(booking.status, "expire")
        booking.updated_at = current
        scope.session.flush()
        emit_booking(scope, "booking_expired", booking, context_of(booking))
        expired += 1
    return expired


def lapse_offers(scope):
    context_of = _contexts(scope)
    lapsed = 0
    for booking in _due(scope, (domain.OFFERED,), Booking.offer_expires_at <= now()):
        waitlist.lapse(scope, booking, context_of(booking))
        lapsed += 1
    return lapsed


# name → fn(scope) -> number of bookings it changed.
STEPS = {
    "offers_lapsed": lapse_offers,
    "no_shows_released": release_no_shows,
    "completed": complete_finished,
    "expired": expire_unanswered,
}


def run(scope):
    return {name: step(scope) for name, step in STEPS.items()}
