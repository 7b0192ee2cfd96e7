"""Emergency mode (平战转换): a venue, or every venue of a territory subtree, switches to
emergency duty. Open bookings are cancelled (booking_cancelled with reason "emergency: …" so
people are told), each venue becomes a staging point with a role (assembly point, testing site,
supply depot, rest area, command post), and new bookings are refused. Switching back ends the
activation; a venue is bookable again once no active activation lists it (bookings cancelled by
the emergency stay cancelled). Venues placed in a subtree while it is on duty join it."""

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from services.venues import domain, schemas
from services.venues.handlers import access
from services.venues.handlers.bookings import suspend_open_bookings
from services.venues.handlers.common import as_uuid, keyset, load, now, paged, within, within_any
from services.venues.handlers.venues import venue_row
from services.venues.models import Activation, EmergencyVenue, Node, Venue
from shared.errors import Forbidden, NotFound, ValidationError

ACTIVATION = schemas.Activation()
EMERGENCY_EVENT = schemas.EmergencyEvent()


def _target_path(session, activation):
    if activation.path is not None:
        return activation.path
    return access.node_path(session, session.get(Venue, activation.venue_id).node_id)


def activate_emergency(scope, data):
    session = scope.session
    caller = scope.caller
    if data["venue_id"] is not None:
        venue = venue_row(session, data["venue_id"], lock="update")
        access.require_emergency(caller, access.node_path(session, venue.node_id))
        domain.VENUE.next(venue.status, "update")
        venues, node, path = [venue], None, None
    else:
        node = session.get(Node, as_uuid(data["node_id"], "node_id"))
        if node is None:
            raise NotFound("no such node", {"node_id": str(data["node_id"])})
        access.require_emergency(caller, node.path)
        venues = session.execute(
            select(Venue).join(Node, Node.id == Venue.node_id)
            .where(within(Node.path, node.path), Venue.status == domain.ACTIVE)
            .order_by(Venue.id).with_for_update(of=Venue, key_share=True)).scalars().all()
        path = node.path
    roles = {item["venue_id"]: item["role"] for item in data["roles"]}
    stray = set(roles) - {v.id for v in venues}
    if stray:
        raise ValidationError("invalid roles", {"roles": [f"venue {v} is not affected" for v in sorted(map(str, stray))]})
    stamp = now()
    activation = Activation(
        id=uuid.uuid4(), scope="venue" if node is None else "subtree",
        venue_id=venues[0].id if node is None else None, node_id=node.id if node else None, path=path,
        reason=data["reason"], default_role=data["role"], status=domain.ACTIVE, activated_by=caller.subject,
        activated_at=stamp)
    session.add(activation)
    session.flush()
    for venue in venues:
        role = roles.get(venue.id, data["role"])
        session.add(EmergencyVenue(activation_id=activation.id, venue_id=venue.id, role=role))
        venue.emergency_role = role
        venue.emergency_since = venue.emergency_since or stamp
        venue.updated_at = stamp
    session.flush()
    activation.bookings_cancelled = suspend_open_bookings(
        scope, [v.id for v in venues], f"emergency: {data['reason']}") if venues else 0
    session.flush()
    view = activation_view(session, activation)
    scope.emit("emergency_activated", EMERGENCY_EVENT.dump(view))
    return view


def _restore(session, venue_ids, stamp):
    """Each venue's duty after an activation ended: the newest remaining activation's role, or
    back to normal (bookable) when none is left."""
    restored = []
    for venue in session.execute(select(Venue).where(Venue.id.in_(list(venue_ids)))
                                 .order_by(Venue.id).with_for_update(key_share=True)).scalars():
        remaining = session.execute(
            select(EmergencyVenue.role).join(Activation, Activation.id == EmergencyVenue.activation_id)
            .where(EmergencyVenue.venue_id == venue.id, Activation.status == domain.ACTIVE)
            .order_by(Activation.activated_at.desc(), Activation.id)).scalars().first()
        venue.emergency_role = remaining
        if remaining is None:
            venue.emergency_since = None
            restored.append(venue.id)
        venue.updated_at = stamp
    return restored


def deactivate_emergency(scope, data):
    session = scope.session
    activation = load(session, Activation, data["activation_id"], "activation", lock="update")
    access.require_emergency(scope.caller, _target_path(session, activation))
    activation.status = domain.EMERGENCY.next(activation.status, "deactivate")
    activation.deactivated_by, activation.deactivated_at = scope.caller.subject, now()
    session.flush()
    venue_ids = session.execute(select(EmergencyVenue.venue_id).where(
        EmergencyVenue.activation_id == activation.id)).scalars().all()
    restored = _restore(session, venue_ids, activation.deactivated_at)
    session.flush()
    view = activation_view(session, activation)
    view["venues_restored"] = [str(v) for v in restored]
    scope.emit("emergency_deactivated", EMERGENCY_EVENT.dump(view))
    return view


def set_emergency_role(scope, data):
    session = scope.session
    activation = load(session, Activation, data["activation_id"], "activation", lock="update")
    access.require_emergency(scope.caller, _target_path(session, activation))
    domain.EMERGENCY.next(activation.status, "change")
    link = session.get(EmergencyVenue, (activation.id, data["venue_id"]))
    if link is None:
        raise NotFound("the venue is not on duty under this activation", {"venue_id": str(data["venue_id"])})
    link.role = data["role"]
    session.flush()
    _restore(session, [link.venue_id], now())
    session.flush()
    view = activation_view(session, activation)
    scope.emit("emergency_role_changed", EMERGENCY_EVENT.dump(view))
    return view


def activation_view(session, activation):
    venues = session.execute(
        select(EmergencyVenue.venue_id, EmergencyVenue.role, Venue.name, Venue.kind, Venue.lat, Venue.lng)
        .join(Venue, Venue.id == EmergencyVenue.venue_id)
        .where(EmergencyVenue.activation_id == activation.id).order_by(Venue.name)).all()
    data = {c.key: getattr(activation, c.key) for c in Activation.__table__.columns}
    data["venues"] = [{"venue_id": str(v.venue_id), "name": v.name, "kind": v.kind, "role": v.role,
                       "location": {"lat": v.lat, "lng": v.lng}} for v in venues]
    return ACTIVATION.dump(data)


def get_emergency(scope, activation_id):
    session = scope.session
    activation = load(session, Activation, activation_id, "activation")
    if not scope.caller.can(access.OPERATORS, path=_target_path(session, activation)):
        raise Forbidden("the territory's staff only", {"activation_id": str(activation.id)})
    return activation_view(session, activation)


def list_emergencies(scope, data):
    session = scope.session
    caller = scope.caller
    venue_node = aliased(Node)
    statement = (select(Activation).outerjoin(Venue, Venue.id == Activation.venue_id)
                 .outerjoin(venue_node, venue_node.id == Venue.node_id))
    paths = caller.scopes(access.OPERATORS)
    if paths is not None:
        if not paths:
            raise Forbidden("the territory's staff only", {"roles": sorted(caller.roles)})
        statement = statement.where(or_(within_any(Activation.path, paths), within_any(venue_node.path, paths)))
    if data["status"]:
        statement = statement.where(Activation.status == data["status"])
    rows = session.execute(keyset(statement, data, [Activation.activated_at, Activation.id])).scalars().all()
    return paged(rows, data, lambda a: [a.activated_at.isoformat(), str(a.id)],
                 lambda a: activation_view(session, a))
