"""Recurring weekly bookings: a series expands into one booking per occurrence (each checked
against the room's rules and held by the same exclusion constraint), with exceptions that skip or
move single occurrences, and cancellation of the rest of a series."""

import uuid

from sqlalchemy import select

from services.venues import domain, schemas
from services.venues.handlers import access, waitlist
from services.venues.handlers.booking_views import Context, emit_booking
from services.venues.handlers.bookings import (
    OVERLAP,
    check_slot,
    ensure_bookable,
    holding_status,
    insert_holding,
    new_booking,
    taken,
)
from services.venues.handlers.common import load, lock_rooms, now, timezone_of, utc_iso
from services.venues.handlers.rooms import room_and_venue
from services.venues.models import Booking, Series
from shared.errors import Conflict, Forbidden, ValidationError

SERIES = schemas.Series()
SERIES_EVENT = schemas.SeriesEvent()


def _expand(scope, series_like, exceptions):
    try:
        return domain.expand_weekly(
            first_date=series_like["first_date"], until_date=series_like["until_date"],
            count=series_like["count"], weekdays=list(series_like["weekdays"]),
            start=series_like["start"], end=series_like["end"], every_weeks=series_like["every_weeks"],
            tz=timezone_of(scope), exceptions=exceptions)
    except ValueError as exc:
        raise ValidationError("invalid series", {"_schema": [str(exc)]}) from None


def _exception_json(exception, reason=None):
    item = {"date": exception["date"].isoformat()}
    if exception.get("skip"):
        item["skip"] = True
    else:
        item.update(start=exception["start"], end=exception["end"])
    if reason:
        item["reason"] = reason
    return item


def _exceptions_from_json(items):
    from datetime import date

    return [{**item, "date": date.fromisoformat(item["date"])} for item in items]


def create_series(scope, data):
    session = scope.session
    caller = scope.caller
    room, venue = room_and_venue(session, data["room_id"])
    context = Context(session, room, venue, access.node_path(session, venue.node_id))
    rules = context.rules
    ensure_bookable(room, venue)
    role = access.booking_role(session, caller, rules, context.path, data["unit_id"])
    occurrences = _expand(scope, data, data["exceptions"])
    if not occurrences:
        raise ValidationError("invalid series", {"_schema": ["every occurrence is skipped"]})
    problems = {}
    for occurrence in occurrences:
        try:
            check_slot(scope, context, rules, occurrence["starts_at"], occurrence["ends_at"],
                       data["attendees"], series=True)
        except ValidationError as exc:
            problems[occurrence["date"].isoformat()] = exc.details
    if problems:
        raise ValidationError("some occurrences break the room's rules", {"occurrences": problems})
    series = Series(id=uuid.uuid4(), room_id=room.id, venue_id=venue.id, status=domain.ACTIVE,
                    purpose=data["purpose"], attendees=data["attendees"], booker=caller.subject,
                    booker_role=role, unit_id=data["unit_id"], organiser=data["organiser"],
                    weekdays=list(data["weekdays"]), start_time=data["start"], end_time=data["end"],
                    every_weeks=data["every_weeks"], first_date=data["first_date"],
                    until_date=data["until_date"], count=data["count"],
                    exceptions=[_exception_json(e) for e in data["exceptions"]], created_at=now())
    session.add(series)
    session.flush()
    status = holding_status(rules, access.can_manage(caller, venue, context.path))
    lock_rooms(session, [room.id])
    created, clashes = [], []
    for occurrence in occurrences:
        booking = new_booking(context, data, caller, role, status, occurrence["starts_at"],
                              occurrence["ends_at"], rules, series=series, day=occurrence["date"])
        (created if insert_holding(session, booking) else clashes).append((occurrence, booking))
    if clashes and (data["on_conflict"] == "fail" or not created):
        raise Conflict("some occurrences clash with existing bookings", {
            "constraint": OVERLAP, "dates": [o["date"].isoformat() for o, _ in clashes]})
    series.exceptions = series.exceptions + [
        _exception_json({"date": o["date"], "skip": True}, "clash") for o, _ in clashes]
    session.flush()
    scope.emit("series_created", SERIES_EVENT.dump({
        "id": series.id, "room_id": room.id, "venue_id": venue.id, "booker": caller.subject,
        "status": series.status, "occurrences": len(created),
        "skipped_dates": [o["date"] for o, _ in clashes]}))
    for _, booking in created:
        emit_booking(scope, f"booking_{status}", booking, context)
    return series_view(session, series)


def series_view(session, series):
    bookings = session.execute(select(Booking).where(Booking.series_id == series.id)
                               .order_by(Booking.starts_at)).scalars().all()
    data = {c.key: getattr(series, c.key) for c in Series.__table__.columns}
    data["occurrences"] = [{"booking_id": str(b.id), "date": b.occurrence_date.isoformat(),
                            "starts_at": utc_iso(b.starts_at), "ends_at": utc_iso(b.ends_at),
                            "status": b.status} for b in bookings]
    data["skipped"] = [e for e in series.exceptions if e.get("skip")]
    return SERIES.dump(data)


def _locked_series(scope, series_id):
    session = scope.session
    series = load(session, Series, series_id, "series", lock="update")
    room, venue = room_and_venue(session, series.room_id)
    context = Context(session, room, venue, access.node_path(session, venue.node_id))
    caller = scope.caller
    if caller.subject != series.booker and not access.acts_for_unit(caller, series.unit_id) and \
            not access.can_manage(caller, venue, context.path):
        raise Forbidden("only the booker and the venue's managers may change a series",
                        {"series_id": str(series.id)})
    lock_rooms(session, [room.id])
    return series, context


def get_series(scope, series_id):
    session = scope.session
    series = load(session, Series, series_id, "series")
    room, venue = room_and_venue(session, series.room_id)
    caller = scope.caller
    if caller.subject != series.booker and not access.acts_for_unit(caller, series.unit_id) and \
            not access.can_operate(caller, venue, access.node_path(session, venue.node_id)):
        raise Forbidden("only the booker and the venue's staff may see a series", {"series_id": str(series.id)})
    return series_view(session, series)


def _series_fields(series):
    return {"first_date": series.first_date, "until_date": series.until_date, "count": series.count,
            "weekdays": series.weekdays, "start": series.start_time, "end": series.end_time,
            "every_weeks": series.every_weeks}


def _cancel_occurrence(scope, booking, context, reason):
    held = booking.status in domain.HOLDING
    booking.status = domain.BOOKING.next(booking.status, "cancel")
    booking.cancelled_by, booking.cancelled_at = scope.caller.subject, now()
    booking.cancel_reason, booking.updated_at = reason, booking.cancelled_at
    scope.session.flush()
    emit_booking(scope, "booking_cancelled", booking, context, reason=reason)
    if held:
        waitlist.promote(scope, context, booking.starts_at, booking.blocked_until)


def change_occurrence(scope, data):
    """Skip one occurrence (its booking is cancelled) or move it to other hours that day."""
    session = scope.session
    series, context = _locked_series(scope, data["series_id"])
    domain.SERIES.next(series.status, "change")
    dates = [o["date"] for o in _expand(scope, _series_fields(series), [])]
    if data["date"] not in dates:
        raise ValidationError("invalid date", {"date": ["is not an occurrence of the series"]})
    current = session.execute(select(Booking).where(
        Booking.series_id == series.id, Booking.occurrence_date == data["date"],
        Booking.status.in_(domain.OPEN_STATES)).with_for_update(key_share=True)).scalars().first()
    if current is not None:
        if current.starts_at <= now():
            raise Conflict("this occurrence has started", {"status": current.status})
        _cancel_occurrence(scope, current, context, "series_exception")
    exceptions = [e for e in series.exceptions if e["date"] != data["date"].isoformat()]
    exceptions.append(_exception_json(data))
    if not data["skip"]:
        (moved,) = [o for o in _expand(scope, _series_fields(series), _exceptions_from_json([
            e for e in exceptions if e["date"] == data["date"].isoformat()])) if o["date"] == data["date"]]
        rules = context.rules
        ensure_bookable(context.room, context.venue)
        check_slot(scope, context, rules, moved["starts_at"], moved["ends_at"], series.attendees, series=True)
        template = {"purpose": series.purpose, "attendees": series.attendees, "unit_id": series.unit_id,
                    "organiser": series.organiser}
        status = holding_status(rules, access.can_manage(scope.caller, context.venue, context.path))
        booking = new_booking(context, template, scope.caller, series.booker_role, status,
                              moved["starts_at"], moved["ends_at"], rules, series=series, day=data["date"])
        booking.booker = series.booker
        if not insert_holding(session, booking):
            raise taken(booking)
        emit_booking(scope, f"booking_{status}", booking, context)
    series.exceptions = exceptions
    session.flush()
    return series_view(session, series)


def cancel_series(scope, data):
    """End a series: occurrences from ``from_date`` (default today) that have not started are
    cancelled; earlier ones stay."""
    session = scope.session
    series, context = _locked_series(scope, data["series_id"])
    series.status = domain.SERIES.next(series.status, "cancel")
    series.cancelled_at, series.cancelled_by = now(), scope.caller.subject
    first = data["from_date"] or domain.local_date(now(), timezone_of(scope))
    bookings = session.execute(select(Booking).where(
        Booking.series_id == series.id, Booking.occurrence_date >= first,
        Booking.status.in_(domain.OPEN_STATES), Booking.starts_at > now())
        .order_by(Booking.starts_at).with_for_update(key_share=True)).scalars().all()
    for booking in bookings:
        _cancel_occurrence(scope, booking, context, data["reason"] or "series_cancelled")
    session.flush()
    scope.emit("series_cancelled", SERIES_EVENT.dump({
        "id": series.id, "room_id": series.room_id, "venue_id": series.venue_id, "booker": series.booker,
        "status": series.status, "occurrences": len(bookings), "skipped_dates": []}))
    return series_view(session, series)
