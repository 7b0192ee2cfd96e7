"""Bookings: create (confirmed, requested for approval, or waitlisted), approve, reject, cancel,
check in, complete, rate; suspension by emergency duty, closures and withdrawn lending.

Overlaps are refused by PostgreSQL (exclusion constraint ``bookings_no_overlap``): the insert runs
in a savepoint, and a violation either becomes a Conflict or, when the caller asked for it, a
waitlist entry — so the guarantee holds for any number of concurrent callers and replicas.
"""

import uuid

from psycopg import errors as pg_errors
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from services.venues import domain
from services.venues.handlers import access, waitlist
from services.venues.handlers.booking_views import Context, booking_view, emit_booking
from services.venues.handlers.common import (
    as_uuid,
    keyset,
    load,
    lock_rooms,
    now,
    paged,
    timezone_of,
    utc_iso,
)
from services.venues.handlers.rooms import lending_windows
from services.venues.handlers.venues import hour_rows, venue_row
from services.venues.models import Booking, Rating, Room, Series, Venue
from shared.errors import Conflict, Forbidden, ValidationError

OVERLAP = "bookings_no_overlap"


def ensure_bookable(room, venue):
    domain.VENUE.next(venue.status, "book")
    domain.ROOM.next(room.status, "book")
    if not room.bookable:
        raise Conflict("this room is not open for booking", {"status": room.status, "bookable": False})
    if venue.emergency_role is not None:
        raise Conflict("the venue is on emergency duty; booking resumes when it is switched back",
                       {"status": "emergency", "emergency_role": venue.emergency_role})


def check_slot(scope, context, rules, starts_at, ends_at, attendees=None, series=False, current=None):
    """Every rule a slot must meet before it is offered to PostgreSQL: the room's rules, the
    venue's opening hours and, for a lent space, the agreement's validity and windows."""
    tz = timezone_of(scope)
    problems = domain.booking_problems(rules, starts_at, ends_at, current or now(), tz, series=series)
    if attendees is not None and attendees > context.room.capacity:
        problems.setdefault("attendees", []).append(f"the room holds {context.room.capacity}")
    if "ends_at" not in problems and not domain.covers(hour_rows(context.venue), starts_at, ends_at, tz):
        problems.setdefault("starts_at", []).append("outside the venue's opening hours")
    if problems:
        raise ValidationError("the booking breaks the room's rules", problems)
    check_lending(scope, context.room, starts_at, ends_at)


def check_lending(scope, room, starts_at, ends_at):
    """A room lent by a unit is bookable only while its agreement is signed and valid, and only
    inside the windows the agreement allows."""
    if room.resource_id is None:
        return
    agreement, resource = lending_windows(scope.session, room)
    if agreement is None or resource is None or resource.removed:
        raise Conflict("the unit no longer lends this space", {"status": "withdrawn"})
    if agreement.status != "signed":
        raise Conflict(f"the lending agreement is {agreement.status}", {"status": agreement.status})
    tz = timezone_of(scope)
    if not domain.within_validity(starts_at, ends_at, agreement.valid_from, agreement.valid_until, tz):
        until = agreement.valid_until.isoformat() if agreement.valid_until else "open-ended"
        raise ValidationError("outside the lending agreement", {"starts_at": [
            f"the agreement lends the space from {agreement.valid_from.isoformat()} until {until}"]})
    if not domain.covers(domain.window_rows(resource.windows), starts_at, ends_at, tz):
        raise ValidationError("outside the lending windows", {"starts_at": [
            "outside the windows the unit lends this space"]})


def _open_limit(session, rules, room, booker):
    limit = rules["max_open_per_booker"]
    if limit is None:
        return
    count = session.execute(select(func.count()).select_from(Booking).where(
        Booking.room_id == room.id, Booking.booker == booker,
        Booking.status.in_(domain.OPEN_STATES), Booking.ends_at > now())).scalar()
    if count >= limit:
        raise Conflict(f"at most {limit} open bookings of this room per person", {"limit": limit})


def new_booking(context, data, caller, role, status, starts_at, ends_at, rules, series=None, day=None):
    stamp = now()
    return Booking(
        id=uuid.uuid4(), room_id=context.room.id, venue_id=context.venue.id,
        series_id=series.id if series else None, occurrence_date=day, status=status,
        purpose=data["purpose"], attendees=data["attendees"], booker=caller.subject, booker_role=role,
        unit_id=data["unit_id"], organiser=data["organiser"], starts_at=starts_at, ends_at=ends_at,
        blocked_until=domain.blocked_until(ends_at, rules), created_at=stamp, updated_at=stamp,
    )


def insert_holding(session, booking, savepoint=True):
    """Insert a booking that holds the room; False when the exclusion constraint refuses it.
    Without ``savepoint`` (the caller will not go on after a refusal) the transaction is left
    failed and only good for rolling back — two round trips fewer on the common path."""
    try:
        if savepoint:
            with session.begin_nested():
                session.add(booking)
                session.flush()
        else:
            session.add(booking)
            session.flush()
        return True
    except IntegrityError as exc:
        if isinstance(exc.orig, pg_errors.ExclusionViolation):
            return False
        raise


def taken(booking):
    return Conflict("the room is already booked at this time", {
        "constraint": OVERLAP, "room_id": str(booking.room_id),
        "starts_at": utc_iso(booking.starts_at), "ends_at": utc_iso(booking.ends_at)})


def holding_status(rules, manager):
    return domain.REQUESTED if rules["approval_required"] and not manager else domain.CONFIRMED


def create_booking(scope, data):
    session = scope.session
    caller = scope.caller
    context = Context.of_room(session, data["room_id"])
    room, venue, rules = context.room, context.venue, context.rules
    ensure_bookable(room, venue)
    role = access.booking_role(session, caller, rules, context.path, data["unit_id"])
    check_slot(scope, context, rules, data["starts_at"], data["ends_at"], data["attendees"])
    _open_limit(session, rules, room, caller.subject)
    status = holding_status(rules, access.can_manage(caller, venue, context.path))
    booking = new_booking(context, data, caller, role, status, data["starts_at"], data["ends_at"], rules)
    lock_rooms(session, [room.id])
    if insert_holding(session, booking, savepoint=data["waitlist"]):
        emit_booking(scope, f"booking_{status}", booking, context)
        return booking_view(session, booking, room.name, venue.name, fresh=True)
    if not data["waitlist"]:
        raise taken(booking)
    entry = waitlist.join(scope, context, data, caller, role, rules)
    return booking_view(session, entry, room.name, venue.name, fresh=True)


def _locked(scope, booking_id):
    session = scope.session
    booking = waitlist.locked_booking(session, booking_id)
    return booking, Context.of(session, booking)


def _require_party_or(scope, booking, context, operate=False):
    caller = scope.caller
    if access.is_party(caller, booking):
        return False
    allowed = (access.can_operate if operate else access.can_manage)(caller, context.venue, context.path)
    if not allowed:
        raise Forbidden("only the booker and the venue's staff may do this", {"booking_id": str(booking.id)})
    return True


def get_booking(scope, booking_id):
    session = scope.session
    booking = load(session, Booking, booking_id, "booking")
    context = Context.of(session, booking)
    _require_party_or(scope, booking, context, operate=True)
    return booking_view(session, booking, context.room.name, context.venue.name)


def approve_booking(scope, data):
    booking, context = _locked(scope, data["booking_id"])
    access.require_manage(scope.caller, context.venue, context.path)
    booking.status = domain.BOOKING.next(booking.status, "approve")
    _decide(scope, booking, data)
    emit_booking(scope, "booking_confirmed", booking, context, reason=data["note"])
    return booking_view(scope.session, booking, context.room.name, context.venue.name)


def reject_booking(scope, data):
    booking, context = _locked(scope, data["booking_id"])
    access.require_manage(scope.caller, context.venue, context.path)
    booking.status = domain.BOOKING.next(booking.status, "reject")
    _decide(scope, booking, data)
    emit_booking(scope, "booking_rejected", booking, context, reason=data["note"])
    waitlist.promote(scope, context, booking.starts_at, booking.blocked_until)
    return booking_view(scope.session, booking, context.room.name, context.venue.name)


def _decide(scope, booking, data):
    booking.decided_by, booking.decided_at = scope.caller.subject, now()
    booking.decision_note, booking.updated_at = data["note"], booking.decided_at
    scope.session.flush()


def cancel_booking(scope, data):
    booking, context = _locked(scope, data["booking_id"])
    manager = _require_party_or(scope, booking, context)
    held = booking.status in domain.HOLDING
    status = domain.BOOKING.next(booking.status, "cancel")
    problem = domain.cancel_problem(booking.starts_at, booking.ends_at, now(), manager)
    if problem and booking.status not in (domain.WAITLISTED, domain.OFFERED):
        raise Conflict(problem, {"status": booking.status})
    booking.status = status
    booking.cancelled_by, booking.cancelled_at = scope.caller.subject, now()
    booking.cancel_reason, booking.updated_at = data["reason"], booking.cancelled_at
    scope.session.flush()
    emit_booking(scope, "booking_cancelled", booking, context, reason=data["reason"])
    if held:
        waitlist.promote(scope, context, booking.starts_at, booking.blocked_until)
    return booking_view(scope.session, booking, context.room.name, context.venue.name)


def check_in(scope, data):
    booking, context = _locked(scope, data["booking_id"])
    _require_party_or(scope, booking, context, operate=True)
    status = domain.BOOKING.next(booking.status, "check in")
    problem = domain.checkin_problem(context.rules, booking.starts_at, now())
    if problem:
        raise Conflict(problem, {"status": booking.status})
    booking.status = status
    booking.checked_in_by, booking.checked_in_at = scope.caller.subject, now()
    booking.attendance = data["attendance"] if data["attendance"] is not None else booking.attendees
    booking.updated_at = booking.checked_in_at
    scope.session.flush()
    emit_booking(scope, "booking_checked_in", booking, context)
    return booking_view(scope.session, booking, context.room.name, context.venue.name)


def complete_booking(scope, data):
    """The activity is over (staff or the booker record how many took part). Time left in the slot
    goes to the waitlist."""
    booking, context = _locked(scope, data["booking_id"])
    _require_party_or(scope, booking, context, operate=True)
    booking.status = domain.BOOKING.next(booking.status, "complete")
    finish(scope, booking, context, data["attendance"])
    if now() < booking.blocked_until:
        waitlist.promote(scope, context, now(), booking.blocked_until)
    return booking_view(scope.session, booking, context.room.name, context.venue.name)


def finish(scope, booking, context, attendance=None):
    booking.completed_at = booking.updated_at = now()
    if attendance is not None:
        booking.attendance = attendance
    scope.session.flush()
    emit_booking(scope, "booking_completed", booking, context)


def rate_booking(scope, data):
    """The booker rates the activity after it ended (1–5 stars; 4 and 5 count as satisfied)."""
    session = scope.session
    booking, context = _locked(scope, data["booking_id"])
    if not access.is_party(scope.caller, booking):
        raise Forbidden("only the booker rates an activity", {"booking_id": str(booking.id)})
    problem = domain.rating_problem(booking.status, booking.ends_at, now())
    if problem:
        raise Conflict(problem, {"status": booking.status})
    if session.get(Rating, booking.id) is not None:
        raise Conflict("this activity has been rated already", {"status": booking.status})
    session.add(Rating(booking_id=booking.id, stars=data["stars"], comment=data["comment"],
                       rated_by=scope.caller.subject, rated_at=now()))
    session.flush()
    emit_booking(scope, "booking_rated", booking, context, stars=data["stars"])
    return booking_view(session, booking, context.room.name, context.venue.name)


def list_bookings(scope, data):
    session = scope.session
    caller = scope.caller
    statement = (select(Booking, Room.name, Venue.name).join(Room, Room.id == Booking.room_id)
                 .join(Venue, Venue.id == Booking.venue_id))
    venue = None
    if data["room_id"]:
        room = load(session, Room, data["room_id"], "room")
        venue = venue_row(session, room.venue_id)
        statement = statement.where(Booking.room_id == room.id)
    if data["venue_id"]:
        venue = venue_row(session, data["venue_id"])
        statement = statement.where(Booking.venue_id == venue.id)
    if data["series_id"]:
        series = load(session, Series, data["series_id"], "series")
        venue = venue_row(session, series.venue_id)
        statement = statement.where(Booking.series_id == series.id)
    staff = venue is not None and access.can_operate(caller, venue, access.node_path(session, venue.node_id))
    if data["mine"] or not staff:
        units = [as_uuid(g.unit_id) for g in caller.grants if g.role == access.UNIT_LIAISON and g.unit_id]
        mine = Booking.booker == caller.subject
        statement = statement.where(or_(mine, Booking.unit_id.in_(units)) if units else mine)
    if data["statuses"]:
        statement = statement.where(Booking.status.in_(data["statuses"]))
    if data["starts_from"]:
        statement = statement.where(Booking.starts_at >= data["starts_from"])
    if data["starts_before"]:
        statement = statement.where(Booking.starts_at < data["starts_before"])
    rows = session.execute(keyset(statement, data, [Booking.starts_at, Booking.id])).all()
    return paged(rows, data, lambda r: [r[0].starts_at.isoformat(), str(r[0].id)],
                 lambda r: booking_view(session, r[0], r[1], r[2]))


def suspend_open_bookings(scope, venue_ids, reason, room_ids=None, keep=None):
    """Cancel every booking of these venues (rooms) that is not over yet, telling each booker
    (booking_cancelled with the reason). ``keep(booking, context)`` may spare some. Returns the
    number cancelled."""
    session = scope.session
    statement = select(Booking).where(Booking.venue_id.in_(list(venue_ids)),
                                      Booking.status.in_(domain.OPEN_STATES), Booking.ends_at > now())
    if room_ids is not None:
        statement = statement.where(Booking.room_id.in_(list(room_ids)))
    rooms = session.execute(statement.with_only_columns(Booking.room_id).distinct()).scalars().all()
    lock_rooms(session, rooms)
    statement = statement.order_by(Booking.starts_at).with_for_update(key_share=True)
    contexts = {}
    count = 0
    for booking in session.execute(statement).scalars().all():
        context = contexts.get(booking.room_id)
        if context is None:
            context = contexts[booking.room_id] = Context.of(session, booking)
        if keep is not None and keep(booking, context):
            continue
        booking.status = domain.BOOKING.next(booking.status, "suspend")
        booking.cancelled_by, booking.cancelled_at = scope.caller.subject, now()
        booking.cancel_reason, booking.updated_at = reason, booking.cancelled_at
        session.flush()
        emit_booking(scope, "booking_cancelled", booking, context, reason=reason)
        count += 1
    return count


def revalidate_lending(scope, resource_ids):
    """After an agreement changed: cancel bookings of lent rooms the new terms no longer allow."""
    session = scope.session
    rooms = session.execute(select(Room).where(Room.resource_id.in_(list(resource_ids)))).scalars().all()
    total = 0
    for room in rooms:
        def allowed(booking, context, room=room):
            try:
                check_lending(scope, room, booking.starts_at, booking.ends_at)
                return True
            except (Conflict, ValidationError):
                return False

        total += suspend_open_bookings(scope, [room.venue_id], "lending_withdrawn", room_ids=[room.id],
                                       keep=allowed)
    return total

