"""Rooms ("3+N"): create, update, archive, list, and a room's schedule (busy times without
personal data, opening hours and lending windows)."""

import uuid

from sqlalchemy import select

from services.venues import domain, schemas
from services.venues.handlers import access
from services.venues.handlers.common import as_uuid, load, now, utc_iso
from services.venues.handlers.venues import hour_rows, lent_resource, venue_row
from services.venues.models import Agreement, Booking, LentResource, Room
from shared.errors import ValidationError

ROOM = schemas.Room()
ROOM_EVENT = schemas.RoomEvent()


def complete_rules(current, changes):
    rules = domain.rules_with_defaults({**(current or {}), **(changes or {})})
    problem = domain.rules_problem(rules)
    if problem:
        raise ValidationError("inconsistent booking rules", {"rules": {problem[0]: [problem[1]]}})
    return rules


def create_room(scope, data):
    session = scope.session
    venue = venue_row(session, data["venue_id"], lock="share")
    domain.VENUE.next(venue.status, "add rooms to")
    access.require_manage(scope.caller, venue, access.node_path(session, venue.node_id))
    if data["resource_id"] is not None:
        if venue.agreement_id is None:
            raise ValidationError("invalid resource", {"resource_id": ["the venue is not lent under an agreement"]})
        lent_resource(session, data["resource_id"], venue.agreement_id)
    stamp = now()
    room = Room(id=uuid.uuid4(), venue_id=venue.id, name=data["name"], category=data["category"],
                function=data["function"] or data["name"], capacity=data["capacity"],
                bookable=data["bookable"], rules=complete_rules({}, data["rules"]),
                resource_id=data["resource_id"], description=data["description"],
                status=domain.ACTIVE, created_at=stamp, updated_at=stamp)
    session.add(room)
    session.flush()
    scope.emit("room_created", ROOM_EVENT.dump(room))
    return ROOM.dump(room)


def room_and_venue(session, room_id, lock=None):
    room = load(session, Room, room_id, "room", lock=lock)
    return room, venue_row(session, room.venue_id)


def update_room(scope, data):
    session = scope.session
    room, venue = room_and_venue(session, data["room_id"], lock="update")
    domain.ROOM.next(room.status, "update")
    access.require_manage(scope.caller, venue, access.node_path(session, venue.node_id))
    category = data.get("category", room.category)
    function = data.get("function", room.function)
    problem = domain.function_problem(category, function)
    if problem:
        raise ValidationError("invalid function", {"function": [problem]})
    for field in ("name", "capacity", "bookable", "description"):
        if field in data:
            setattr(room, field, data[field])
    room.category, room.function = category, function
    if "rules" in data:
        room.rules = complete_rules(room.rules, data["rules"])
    room.updated_at = now()
    session.flush()
    scope.emit("room_updated", ROOM_EVENT.dump(room))
    return ROOM.dump(room)


def archive_room(scope, data):
    from services.venues.handlers.bookings import suspend_open_bookings

    session = scope.session
    room, venue = room_and_venue(session, data["room_id"], lock="update")
    access.require_manage(scope.caller, venue, access.node_path(session, venue.node_id))
    room.status = domain.ROOM.next(room.status, "archive")
    room.updated_at = now()
    session.flush()
    cancelled = suspend_open_bookings(scope, [venue.id], "room_archived", room_ids=[room.id])
    scope.emit("room_archived", ROOM_EVENT.dump(room))
    return {**ROOM.dump(room), "bookings_cancelled": cancelled}


def get_room(scope, room_id):
    return ROOM.dump(load(scope.session, Room, room_id, "room"))


def list_rooms(scope, data):
    session = scope.session
    venue_row(session, data["venue_id"])
    statement = select(Room).where(Room.venue_id == as_uuid(data["venue_id"], "venue_id"))
    if not data["include_archived"]:
        statement = statement.where(Room.status == domain.ACTIVE)
    rooms = session.execute(statement.order_by(Room.category != "basic", Room.name, Room.id)).scalars().all()
    return {"items": ROOM.dump(rooms, many=True), "next_cursor": None}


def lending_windows(session, room):
    """The lending terms of a room lent under an agreement: (agreement, resource) or (None, None)."""
    if room.resource_id is None:
        return None, None
    resource = session.get(LentResource, room.resource_id)
    agreement = session.get(Agreement, resource.agreement_id) if resource else None
    return agreement, resource


def room_schedule(scope, data):
    """When a room is taken (no names: anyone may look before booking), and when it may be booked."""
    session = scope.session
    room, venue = room_and_venue(session, data["room_id"])
    busy = session.execute(
        select(Booking.starts_at, Booking.ends_at, Booking.blocked_until, Booking.status)
        .where(Booking.room_id == room.id, Booking.status.in_(domain.HOLDING),
               Booking.starts_at < data["ends_at"], Booking.blocked_until > data["starts_at"])
        .order_by(Booking.starts_at)).all()
    waiting = session.execute(
        select(Booking.starts_at, Booking.ends_at)
        .where(Booking.room_id == room.id, Booking.status == domain.WAITLISTED,
               Booking.starts_at < data["ends_at"], Booking.ends_at > data["starts_at"])).all()
    agreement, resource = lending_windows(session, room)
    return {
        "room": ROOM.dump(room),
        "venue_id": str(venue.id),
        "bookable_now": venue.status == domain.ACTIVE and room.status == domain.ACTIVE and room.bookable
        and venue.emergency_role is None,
        "emergency_role": venue.emergency_role,
        "opening_hours": domain.hours_view(hour_rows(venue)),
        "lending": None if resource is None else {
            "agreement_id": str(agreement.id) if agreement else None,
            "status": agreement.status if agreement else None,
            "valid_from": agreement.valid_from.isoformat() if agreement else None,
            "valid_until": agreement.valid_until.isoformat() if agreement and agreement.valid_until else None,
            "windows": resource.windows, "removed": resource.removed},
        "busy": [{"starts_at": utc_iso(b.starts_at), "ends_at": utc_iso(b.ends_at),
                  "blocked_until": utc_iso(b.blocked_until), "status": b.status} for b in busy],
        "waitlisted": len(waiting),
    }
