"""What a booking looks like to callers and in events, shared by the booking, waitlist, series,
sweep and emergency handlers."""

from sqlalchemy import func, select

from services.venues import domain, schemas
from services.venues.handlers import access
from services.venues.handlers.common import as_uuid, utc_iso
from services.venues.models import Booking, Node, Rating, Room, Venue
from shared.errors import NotFound

BOOKING = schemas.Booking()
BOOKING_EVENT = schemas.BookingEvent()


class Context:
    """A booking's room, venue and the venue's territory path, loaded once per call."""

    def __init__(self, session, room=None, venue=None, path=None):
        self.session = session
        self.room = room
        self.venue = venue
        self.path = path

    @classmethod
    def of_room(cls, session, room_id):
        """Room, venue and path in one query (NotFound for an unknown room)."""
        row = session.execute(
            select(Room, Venue, Node.path).join(Venue, Venue.id == Room.venue_id)
            .outerjoin(Node, Node.id == Venue.node_id).where(Room.id == as_uuid(room_id, "room_id"))).first()
        if row is None:
            raise NotFound("no such room", {"room_id": str(room_id)})
        return cls(session, *row)

    @classmethod
    def of(cls, session, booking):
        room = session.get(Room, booking.room_id)
        venue = session.get(Venue, booking.venue_id)
        return cls(session, room, venue, access.node_path(session, venue.node_id))

    @property
    def rules(self):
        return domain.rules_with_defaults(self.room.rules)


def waitlist_position(session, booking):
    """1 for the next in line among waitlisted entries overlapping this one."""
    if booking.status != domain.WAITLISTED:
        return None
    ahead = session.execute(select(func.count()).select_from(Booking).where(
        Booking.room_id == booking.room_id, Booking.status == domain.WAITLISTED,
        Booking.seq < booking.seq, Booking.starts_at < booking.blocked_until,
        Booking.blocked_until > booking.starts_at)).scalar()
    return ahead + 1


def booking_view(session, booking, room_name=None, venue_name=None, fresh=False):
    """``fresh``: made in this call — no rating to look up yet."""
    if room_name is None or venue_name is None:
        room_name = session.execute(select(Room.name).where(Room.id == booking.room_id)).scalar()
        venue_name = session.execute(select(Venue.name).where(Venue.id == booking.venue_id)).scalar()
    rating = None if fresh else session.get(Rating, booking.id)
    data = {c.key: getattr(booking, c.key) for c in Booking.__table__.columns if c.key != "seq"}
    data.update(room_name=room_name, venue_name=venue_name,
                waitlist_position=waitlist_position(session, booking),
                rating=None if rating is None else {
                    "stars": rating.stars, "comment": rating.comment, "rated_at": utc_iso(rating.rated_at)})
    return BOOKING.dump(data)


def emit_booking(scope, event_type, booking, context, reason=None, stars=None):
    data = {c.key: getattr(booking, c.key) for c in Booking.__table__.columns if c.key != "seq"}
    data.update(room_name=context.room.name, venue_name=context.venue.name, node_path=context.path,
                reason=reason, stars=stars)
    return scope.emit(event_type, BOOKING_EVENT.dump(data))
