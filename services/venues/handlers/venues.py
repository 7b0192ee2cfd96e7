"""Venues: create, read, list, update, close/reopen, yearly star ratings and finances."""

import uuid

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import Range, insert

from services.venues import domain, schemas
from services.venues.handlers import access
from services.venues.handlers.common import as_uuid, keyset, load, now, paged, timezone_of, within
from services.venues.handlers.replica import node_for
from services.venues.models import (
    Activation,
    Agreement,
    EmergencyVenue,
    Finances,
    LentResource,
    Node,
    Room,
    StarRating,
    Unit,
    Venue,
)
from shared.errors import Conflict, NotFound, ValidationError

VENUE = schemas.Venue()
DETAIL = schemas.VenueDetail()
VENUE_EVENT = schemas.VenueEvent()
ROOM = schemas.Room()

ACQUISITION_FIELDS = ("acquired_from", "acquired_on", "lease_start", "lease_end", "lease_terms",
                      "rent_in_fen", "rent_out_fen")
PRIVATE_FIELDS = ("acquisition", "finances", "created_by")


def hour_rows(venue):
    """The venue's stored hours (JSON) as (weekday, open, close) rows."""
    return [(h["weekday"], domain.hhmm(h["open"]), domain.hhmm(h["close"])) for h in venue.opening_hours]


def _set_hours(venue, rows):
    venue.open_24h = domain.is_always_open(rows)
    venue.opening_hours = domain.hours_view(rows)
    venue.open_spans = [Range(a, b) for a, b in domain.week_spans(rows)]


def _set_acquisition(venue, acquisition):
    if acquisition is None:
        venue.acquisition_method = None
        for field in ACQUISITION_FIELDS:
            setattr(venue, field, None)
        return
    venue.acquisition_method = acquisition["method"]
    for field in ACQUISITION_FIELDS:
        setattr(venue, field, acquisition.get(field))


def _lending(session, data, node):
    """Check a lent space against the replica: a signed agreement of the lending unit with the
    venue's community, and (optionally) one of its space/parking resources."""
    agreement = session.get(Agreement, data["agreement_id"])
    if agreement is None:
        raise NotFound("no such co-building agreement (signed agreements reach venues through "
                       "organizations' events)", {"agreement_id": str(data["agreement_id"])})
    if agreement.status != "signed":
        raise Conflict(f"cannot lend space under an agreement that is {agreement.status}",
                       {"status": agreement.status})
    if data["lender_unit_id"] is not None and data["lender_unit_id"] != agreement.unit_id:
        raise ValidationError("invalid lender", {"lender_unit_id": ["is not the agreement's unit"]})
    if not (node.path == agreement.community_path or node.path.startswith(agreement.community_path + ".")):
        raise ValidationError("invalid node", {"node_id": ["lies outside the agreement's community"]})
    if data.get("resource_id") is not None:
        lent_resource(session, data["resource_id"], agreement.id)
    return agreement


def lent_resource(session, resource_id, agreement_id):
    resource = session.get(LentResource, resource_id)
    if resource is None or resource.agreement_id != agreement_id or resource.removed:
        raise ValidationError("invalid resource", {"resource_id": ["is not a resource of the venue's agreement"]})
    if resource.kind not in ("space", "parking"):
        raise ValidationError("invalid resource", {"resource_id": [f"a {resource.kind} is not a space to lend"]})
    return resource


def create_venue(scope, data, fetch_node=None):
    session = scope.session
    caller = scope.caller
    node = node_for(scope, data["node_id"], fetch_node)
    agreement = None
    if data["agreement_id"] is not None:
        agreement = _lending(session, data, node)
        data["lender_unit_id"] = agreement.unit_id
    access.require_place(caller, node.path, data["lender_unit_id"])
    stamp = now()
    venue = Venue(
        id=uuid.uuid4(), name=data["name"], kind=data["kind"], node_id=node.id, address=data["address"],
        lat=data["location"]["lat"], lng=data["location"]["lng"], area_m2=data["area_m2"],
        amenities=list(data["amenities"]), service_items=[dict(i) for i in data["service_items"]],
        phone=data["phone"], description=data["description"], lender_unit_id=data["lender_unit_id"],
        agreement_id=agreement.id if agreement else None, resource_id=data["resource_id"],
        status=domain.ACTIVE, created_by=caller.subject, created_at=stamp, updated_at=stamp,
    )
    _set_acquisition(venue, data["acquisition"])
    session.add(venue)
    session.flush()
    hours = data["opening_hours"]
    if hours is None and data["resource_id"] is not None:
        rows = domain.window_rows(session.get(LentResource, data["resource_id"]).windows)
    else:
        rows = domain.normalize_hours(hours or [], data["open_24h"])
    _set_hours(venue, rows)
    _join_active_emergencies(session, venue, node.path)
    session.flush()
    emit_venue(scope, "venue_created", venue, node.path)
    return venue_view(scope, venue)


def _join_active_emergencies(session, venue, path):
    """A venue placed inside a subtree on emergency duty is on duty from the start."""
    activations = session.execute(select(Activation).where(
        Activation.status == "active", Activation.scope == "subtree",
        Activation.path.op("@>")(path)).order_by(Activation.activated_at)).scalars().all()
    for activation in activations:
        session.add(EmergencyVenue(activation_id=activation.id, venue_id=venue.id, role=activation.default_role))
        venue.emergency_role, venue.emergency_since = activation.default_role, now()


def emit_venue(scope, event_type, venue, path):
    data = VENUE_EVENT.dump(venue)
    data["node_path"] = path
    scope.emit(event_type, data)


def venue_row(session, venue_id, lock=None):
    return load(session, Venue, venue_id, "venue", lock=lock)


def venue_view(scope, venue, node=None, unit_name=None, detail=False):
    session = scope.session
    node = node or session.get(Node, venue.node_id)
    if unit_name is None and venue.lender_unit_id is not None:
        unit = session.get(Unit, venue.lender_unit_id)
        unit_name = unit.name if unit else None
    data = {c: getattr(venue, c) for c in (
        "id", "name", "kind", "status", "node_id", "address", "lat", "lng", "area_m2", "open_24h",
        "opening_hours", "amenities", "service_items", "phone", "description", "lender_unit_id",
        "agreement_id", "resource_id", "acquisition_method", *ACQUISITION_FIELDS, "stars",
        "stars_year", "emergency_role", "emergency_since", "created_by", "created_at", "updated_at",
        "closed_at")}
    data.update(node_name=node.name if node else None, node_path=node.path if node else None,
                lender_unit_name=unit_name)
    manager = access.can_manage(scope.caller, venue, data["node_path"])
    if not detail:
        view = VENUE.dump(data)
        return view if manager else _public(view)
    rooms = session.execute(select(Room).where(Room.venue_id == venue.id, Room.status == domain.ACTIVE)
                            .order_by(Room.category != "basic", Room.name)).scalars().all()
    data.update(
        rooms=ROOM.dump(rooms, many=True),
        three_plus_n=three_plus_n(rooms),
        star_ratings=session.execute(select(StarRating).where(StarRating.venue_id == venue.id)
                                     .order_by(StarRating.year.desc())).scalars().all(),
        finances=session.execute(select(Finances).where(Finances.venue_id == venue.id)
                                 .order_by(Finances.year.desc())).scalars().all(),
        open_now=domain.is_open(hour_rows(venue), now(), timezone_of(scope)),
    )
    view = DETAIL.dump(data)
    return view if manager else _public(view)


def _public(view):
    """What residents and other non-managers see: no lease money, finances or author."""
    return {k: (None if k == "acquisition" else v) for k, v in view.items()
            if k not in PRIVATE_FIELDS or k == "acquisition"}


def three_plus_n(rooms):
    """"3+N": the three basic functions present, and the number of activity rooms."""
    basic = sorted({r.function for r in rooms if r.category == "basic"})
    activity = [r.function for r in rooms if r.category == "activity"]
    return {"basic": basic, "missing_basic": [f for f in domain.BASIC_FUNCTIONS if f not in basic],
            "activity": len(activity), "activity_functions": sorted(set(activity)),
            "complete": len(basic) == len(domain.BASIC_FUNCTIONS)}


def get_venue(scope, venue_id):
    return venue_view(scope, venue_row(scope.session, venue_id), detail=True)


def list_venues(scope, data):
    session = scope.session
    statement = (select(Venue, Node, Unit.name).join(Node, Node.id == Venue.node_id)
                 .outerjoin(Unit, Unit.id == Venue.lender_unit_id)
                 .where(Venue.status == data["status"]))
    if data["subtree"] is not None:
        root = session.get(Node, as_uuid(data["subtree"], "subtree"))
        if root is None:
            raise NotFound("no such node", {"subtree": str(data["subtree"])})
        statement = statement.where(within(Node.path, root.path))
    if data["kind"]:
        statement = statement.where(Venue.kind == data["kind"])
    if data["text"]:
        pattern = "%" + data["text"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Venue.name.ilike(pattern), Venue.address.ilike(pattern)))
    if data["lender_unit_id"]:
        statement = statement.where(Venue.lender_unit_id == data["lender_unit_id"])
    if data["on_emergency_duty"] is not None:
        duty = Venue.emergency_role.is_not(None)
        statement = statement.where(duty if data["on_emergency_duty"] else ~duty)
    rows = session.execute(keyset(statement, data, [Venue.name, Venue.id])).all()
    return paged(rows, data, lambda r: [r[0].name, str(r[0].id)],
                 lambda r: venue_view(scope, r[0], node=r[1], unit_name=r[2]))


def update_venue(scope, data):
    session = scope.session
    venue = venue_row(session, data["venue_id"], lock="update")
    domain.VENUE.next(venue.status, "update")
    path = access.node_path(session, venue.node_id)
    access.require_manage(scope.caller, venue, path)
    changed = False
    if "node_id" in data and data["node_id"] != venue.node_id:
        node = node_for(scope, data["node_id"])
        access.require_place(scope.caller, node.path, venue.lender_unit_id)
        venue.node_id, path, changed = node.id, node.path, True
    for field in ("name", "address", "area_m2", "phone", "description"):
        if field in data and getattr(venue, field) != data[field]:
            setattr(venue, field, data[field])
            changed = True
    if "amenities" in data and list(venue.amenities) != data["amenities"]:
        venue.amenities, changed = list(data["amenities"]), True
    if "service_items" in data:
        venue.service_items, changed = [dict(i) for i in data["service_items"]], True
    if "location" in data and (venue.lat, venue.lng) != (data["location"]["lat"], data["location"]["lng"]):
        venue.lat, venue.lng, changed = data["location"]["lat"], data["location"]["lng"], True
    if "acquisition" in data:
        _set_acquisition(venue, data["acquisition"])
        changed = True
    if "opening_hours" in data or "open_24h" in data:
        rows = domain.normalize_hours(data.get("opening_hours") or [], data.get("open_24h", False))
        _set_hours(venue, rows)
        changed = True
    if changed:
        venue.updated_at = now()
        session.flush()
        emit_venue(scope, "venue_updated", venue, path)
    return venue_view(scope, venue, detail=True)


def close_venue(scope, data):
    """Close a venue for good (moved out, lease ended): its open bookings are cancelled."""
    from services.venues.handlers.bookings import suspend_open_bookings

    session = scope.session
    venue = venue_row(session, data["venue_id"], lock="update")
    path = access.node_path(session, venue.node_id)
    access.require_manage(scope.caller, venue, path)
    venue.status = domain.VENUE.next(venue.status, "close")
    venue.closed_at = venue.updated_at = now()
    session.flush()
    cancelled = suspend_open_bookings(scope, [venue.id], "venue_closed: " + data["reason"])
    emit_venue(scope, "venue_closed", venue, path)
    return {**venue_view(scope, venue), "bookings_cancelled": cancelled}


def reopen_venue(scope, data):
    session = scope.session
    venue = venue_row(session, data["venue_id"], lock="update")
    path = access.node_path(session, venue.node_id)
    access.require_manage(scope.caller, venue, path)
    venue.status = domain.VENUE.next(venue.status, "reopen")
    venue.closed_at, venue.updated_at = None, now()
    session.flush()
    emit_venue(scope, "venue_reopened", venue, path)
    return venue_view(scope, venue)


def set_star_rating(scope, data):
    """The yearly star rating (星级评定); history is kept per year, the newest year is shown."""
    session = scope.session
    venue = venue_row(session, data["venue_id"], lock="update")
    path = access.node_path(session, venue.node_id)
    access.require_rater(scope.caller, path)
    if data["year"] > domain.current_year(now(), timezone_of(scope)):
        raise ValidationError("invalid year", {"year": ["cannot rate a year that has not begun"]})
    values = dict(venue_id=venue.id, year=data["year"], stars=data["stars"], note=data["note"],
                  rated_by=scope.caller.subject, rated_at=now())
    statement = insert(StarRating).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[StarRating.venue_id, StarRating.year],
        set_={k: statement.excluded[k] for k in ("stars", "note", "rated_by", "rated_at")}))
    if venue.stars_year is None or data["year"] >= venue.stars_year:
        venue.stars, venue.stars_year = data["stars"], data["year"]
    venue.updated_at = now()
    session.flush()
    scope.emit("venue_star_rated", schemas.VenueRated().dump(
        {"venue_id": venue.id, "year": data["year"], "stars": data["stars"], "node_path": path}))
    return venue_view(scope, venue, detail=True)


def record_finances(scope, data):
    """A year's money in and out of the venue (rent received, rent and running costs paid), fen."""
    session = scope.session
    venue = venue_row(session, data["venue_id"])
    access.require_manage(scope.caller, venue, access.node_path(session, venue.node_id))
    values = dict(venue_id=venue.id, year=data["year"], money_in_fen=data["money_in_fen"],
                  money_out_fen=data["money_out_fen"], note=data["note"],
                  recorded_by=scope.caller.subject, recorded_at=now())
    statement = insert(Finances).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[Finances.venue_id, Finances.year],
        set_={k: statement.excluded[k] for k in values if k not in ("venue_id", "year")}))
    rows = session.execute(select(Finances).where(Finances.venue_id == venue.id)
                           .order_by(Finances.year)).scalars().all()
    dumped = schemas.FinancesOut(many=True).dump(rows)
    return {"venue_id": str(venue.id), "years": dumped,
            "total_in_fen": sum(r.money_in_fen for r in rows),
            "total_out_fen": sum(r.money_out_fen for r in rows),
            "net_fen": sum(r.money_in_fen - r.money_out_fen for r in rows)}

