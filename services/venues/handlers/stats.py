"""Utilisation and satisfaction of a venue and its rooms over a period (see
``domain.usage_figures`` for what each figure means)."""

from sqlalchemy import select

from services.venues import domain
from services.venues.handlers import access
from services.venues.handlers.common import load, timezone_of
from services.venues.handlers.venues import hour_rows, venue_row
from services.venues.models import Booking, Rating, Room
from shared.errors import Forbidden, ValidationError


def venue_stats(scope, data):
    session = scope.session
    venue = venue_row(session, data["venue_id"])
    path = access.node_path(session, venue.node_id)
    caller = scope.caller
    if not (access.can_operate(caller, venue, path) or caller.can(access.RATERS, path=path)):
        raise Forbidden("the venue's staff and the level above see its figures", {"venue_id": str(venue.id)})
    tz = timezone_of(scope)
    rooms = session.execute(select(Room).where(Room.venue_id == venue.id).order_by(Room.name)).scalars().all()
    if data["room_id"] is not None:
        rooms = [r for r in rooms if r.id == data["room_id"]]
        if not rooms:
            load(session, Room, data["room_id"], "room")
            raise ValidationError("invalid room", {"room_id": ["is not a room of this venue"]})
    start, end = domain.day_bounds(data["from_date"], data["to_date"], tz)
    rows = session.execute(
        select(Booking, Rating.stars).outerjoin(Rating, Rating.booking_id == Booking.id)
        .where(Booking.venue_id == venue.id, Booking.room_id.in_([r.id for r in rooms]),
               Booking.starts_at >= start, Booking.starts_at < end)).all()
    bookings = [{"room_id": b.room_id, "status": b.status, "starts_at": b.starts_at, "ends_at": b.ends_at,
                 "attendance": b.attendance, "attendees": b.attendees, "stars": stars} for b, stars in rows]
    hours = hour_rows(venue)
    bookable = [r for r in rooms if r.bookable and r.status == domain.ACTIVE] or rooms

    def figures(first, last, room_ids, room_count):
        a, b = domain.day_bounds(first, last, tz)
        open_minutes = domain.open_minutes(hours, a, b, tz) * room_count
        chosen = [x for x in bookings if x["room_id"] in room_ids and a <= x["starts_at"] < b]
        return domain.usage_figures(chosen, open_minutes, a, b)

    all_ids = {r.id for r in bookable} | {r.id for r in rooms}
    result = {
        "venue_id": str(venue.id), "venue_name": venue.name,
        "from_date": data["from_date"].isoformat(), "to_date": data["to_date"].isoformat(),
        "timezone": tz,
        "totals": figures(data["from_date"], data["to_date"], all_ids, len(bookable)),
        "rooms": [{"room_id": str(r.id), "name": r.name, "category": r.category,
                   **figures(data["from_date"], data["to_date"], {r.id}, 1)} for r in rooms],
    }
    if data["granularity"] == "month":
        result["periods"] = [{"from_date": a.isoformat(), "to_date": b.isoformat(),
                              **figures(a, b, all_ids, len(bookable))}
                             for a, b in domain.month_periods(data["from_date"], data["to_date"])]
    return result
