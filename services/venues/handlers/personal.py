"""Personal data of one person in venues (PIPL; the contract is in shared/personal_data.py).

A person appears here by their subject ``person:<uuid>``:

- ``bookings``: bookings they made (``booker``), with the room and venue names, the organiser
  name and purpose they gave, attendance, check-in and cancellation.
- ``waitlist``: their waitlist entries — bookings still (or last) in a waitlist state
  (waitlisted, offered, declined, lapsed); an accepted offer is a booking.
- ``series``: weekly series they set up.
- ``booking_ratings``: their ratings of activities (stars and comment).
- ``references``: other records naming them as the one who acted (venues created, star ratings
  and finances recorded, bookings decided, cancelled or checked in, series cancelled, emergency
  mode switched on or off).

Erasure puts one pseudonym in every one of those subject columns; the organiser name of their
bookings and series becomes ERASED_NAME; their own words — rating comments, the reason they gave
when they cancelled their own booking — become NULL. Rooms, times, statuses, attendees,
attendance, stars and the purpose stay: utilisation, satisfaction and the exclusion constraint
(which never looks at the booker) are unchanged.
"""

from sqlalchemy import case, null, select

from services.venues import domain
from services.venues.models import (
    Activation,
    Booking,
    Finances,
    Rating,
    Room,
    Series,
    StarRating,
    Venue,
)
from shared.personal_data import (
    ERASED_NAME,
    Reference,
    erase_references,
    export_references,
    pseudonym,
    row_dict,
    update_rows,
)

SECTIONS = ("bookings", "waitlist", "series", "booking_ratings", "references")
WAITLIST_STATES = (domain.WAITLISTED, domain.OFFERED, domain.DECLINED, domain.LAPSED)

REFERENCES = (
    Reference(Venue, "created_by", "created_at"),
    Reference(StarRating, "rated_by", "rated_at"),
    Reference(Finances, "recorded_by", "recorded_at"),
    Reference(Series, "cancelled_by", "cancelled_at"),
    Reference(Booking, "decided_by", "decided_at"),
    Reference(Booking, "cancelled_by", "cancelled_at"),
    Reference(Booking, "checked_in_by", "checked_in_at"),
    Reference(Activation, "activated_by", "activated_at"),
    Reference(Activation, "deactivated_by", "deactivated_at"),
)


def _booking_rows(session, condition):
    rows = session.execute(
        select(Booking, Room.name, Venue.name).join(Room, Room.id == Booking.room_id)
        .join(Venue, Venue.id == Booking.venue_id).where(condition)
        .order_by(Booking.starts_at, Booking.id)).all()
    return [{**row_dict(b, exclude=("seq",)), "room_name": room, "venue_name": venue} for b, room, venue in rows]


def export_person(scope, subject):
    session = scope.session
    mine = Booking.booker == subject
    series = session.execute(select(Series).where(Series.booker == subject)
                             .order_by(Series.created_at, Series.id)).scalars().all()
    ratings = session.execute(select(Rating).where(Rating.rated_by == subject)
                              .order_by(Rating.rated_at, Rating.booking_id)).scalars().all()
    return {
        "bookings": _booking_rows(session, mine & Booking.status.not_in(WAITLIST_STATES)),
        "waitlist": _booking_rows(session, mine & Booking.status.in_(WAITLIST_STATES)),
        "series": [row_dict(s) for s in series],
        "booking_ratings": [row_dict(r) for r in ratings],
        "references": export_references(session, REFERENCES, subject),
    }


def _erase_bookings(session, condition, subject, alias):
    return update_rows(session, Booking, condition, {
        "booker": alias,
        "organiser": case((Booking.organiser.is_(None), null()), else_=ERASED_NAME),
        # their own reason for cancelling their own booking; a reason staff gave stays
        "cancel_reason": case((Booking.cancelled_by == subject, null()), else_=Booking.cancel_reason),
    })


def erase_person(scope, subject):
    session = scope.session
    alias = pseudonym()
    mine = Booking.booker == subject
    bookings = _erase_bookings(session, mine & Booking.status.not_in(WAITLIST_STATES), subject, alias)
    waitlist = _erase_bookings(session, mine & Booking.status.in_(WAITLIST_STATES), subject, alias)
    series = update_rows(session, Series, Series.booker == subject, {
        "booker": alias,
        "organiser": case((Series.organiser.is_(None), null()), else_=ERASED_NAME),
    })
    ratings = update_rows(session, Rating, Rating.rated_by == subject, {"rated_by": alias, "comment": None})
    return {
        "bookings": bookings,
        "waitlist": waitlist,
        "series": series,
        "booking_ratings": ratings,
        "references": erase_references(session, REFERENCES, subject, alias),
    }
