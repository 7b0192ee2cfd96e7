"""Payloads, results and event data of the venues service, and the organizations events it
replicates.

Inputs derive from ``shared.schemas.Input`` (unknown and server-owned fields are refused);
results and event data are dumped with ``Output`` schemas so every RPC answers JSON.
"""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.venues import domain
from shared.schemas import (
    Event,
    Id,
    Input,
    LatLng,
    LocationOut,
    Output,
    PageInput,
    Text,
    Time,
    aware_datetime,
    value,
)


def Fen(**kwargs):  # noqa: N802 - money is integer fen (分), never a float
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=10**13), **kwargs)


def HHMM(**kwargs):  # noqa: N802
    return fields.String(validate=validate.Regexp(domain.HHMM, error="HH:MM between 00:00 and 24:00"),
                         **kwargs)


def Minutes(low, high, **kwargs):  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(low, high), **kwargs)


def Choice(choices, **kwargs):  # noqa: N802
    return fields.String(validate=validate.OneOf(choices), **kwargs)


def Unique(choices, **kwargs):  # noqa: N802 - a list of distinct vocabulary words
    return fields.List(Choice(choices), validate=_distinct, **kwargs)


def _distinct(values):
    if len(set(values)) != len(values):
        raise ValidationError("lists a value twice")


# -- opening hours, acquisition, service items -------------------------------------------------


class HoursEntry(Input):
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(1, 7))  # ISO
    open = HHMM(required=True)
    close = HHMM(required=True)  # at or before `open`: past midnight; "24:00": end of day


def check_hours(data, partial=False):
    if partial and "opening_hours" not in data and "open_24h" not in data:
        return
    if data.get("open_24h") and data.get("opening_hours"):
        raise ValidationError("leave opening_hours empty for a venue open 24 hours", "opening_hours")
    problem = domain.hours_problem(data.get("opening_hours") or [])
    if problem:
        raise ValidationError(problem, "opening_hours")


class Acquisition(Input):
    """How the space was obtained, with its lease terms (amounts per year, in fen)."""

    method = Choice(domain.ACQUISITION_METHODS, required=True)
    acquired_from = Text(load_default=None, allow_none=True, max_length=200)  # owner / lessor / unit
    acquired_on = fields.Date(load_default=None, allow_none=True)
    lease_start = fields.Date(load_default=None, allow_none=True)
    lease_end = fields.Date(load_default=None, allow_none=True)
    lease_terms = Text(load_default=None, allow_none=True, max_length=1000)
    rent_in_fen = Fen(load_default=None, allow_none=True)    # rent received per year (以租养租)
    rent_out_fen = Fen(load_default=None, allow_none=True)   # rent paid per year

    @validates_schema
    def check(self, data, **kwargs):
        if data.get("lease_start") and data.get("lease_end") and data["lease_end"] < data["lease_start"]:
            raise ValidationError("must not be before lease_start", "lease_end")


class ServiceItem(Input):
    name = Text(required=True)                                         # e.g. 证照代办
    office = Text(load_default=None, allow_none=True)                  # the responsible office
    description = Text(load_default=None, allow_none=True, max_length=500)


# -- venues ---------------------------------------------------------------------------------------


class VenueFields(Input):
    address = Text(max_length=200)
    location = fields.Nested(LatLng)
    area_m2 = fields.Float(validate=validate.Range(min=1, max=1_000_000))
    open_24h = fields.Boolean()
    opening_hours = fields.List(fields.Nested(HoursEntry), validate=validate.Length(max=50))
    amenities = Unique(domain.AMENITIES)
    service_items = fields.List(fields.Nested(ServiceItem), validate=validate.Length(max=200))
    phone = Text(allow_none=True, max_length=30)
    description = Text(allow_none=True, max_length=2000)
    acquisition = fields.Nested(Acquisition, allow_none=True)


class CreateVenue(VenueFields):
    name = Text(required=True)
    kind = Choice(domain.VENUE_KINDS, required=True)
    node_id = Id(required=True)
    address = Text(required=True, max_length=200)
    location = fields.Nested(LatLng, required=True)
    area_m2 = fields.Float(required=True, validate=validate.Range(min=1, max=1_000_000))
    open_24h = fields.Boolean(load_default=False)
    opening_hours = fields.List(fields.Nested(HoursEntry), load_default=None, validate=validate.Length(max=50))
    amenities = Unique(domain.AMENITIES, load_default=list)
    service_items = fields.List(fields.Nested(ServiceItem), load_default=list, validate=validate.Length(max=200))
    phone = Text(load_default=None, allow_none=True, max_length=30)
    description = Text(load_default=None, allow_none=True, max_length=2000)
    acquisition = fields.Nested(Acquisition, load_default=None, allow_none=True)
    # A space lent by a resident unit under a co-building agreement (shared spaces and parking);
    # the lending unit is the agreement's (lender_unit_id, when given, must match it).
    lender_unit_id = Id(load_default=None, allow_none=True)
    agreement_id = Id(load_default=None, allow_none=True)
    resource_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def check(self, data, **kwargs):
        check_hours(data)
        if data["kind"] in domain.LENT_KINDS and data["agreement_id"] is None:
            raise ValidationError(f"a {data['kind']} names the co-building agreement that lends it",
                                  "agreement_id")
        if data["resource_id"] is not None and data["agreement_id"] is None:
            raise ValidationError("a lent resource belongs to an agreement", "agreement_id")


class UpdateVenue(VenueFields):
    """Absent fields stay; ``null`` clears phone/description/acquisition."""

    venue_id = Id(required=True)
    name = Text()
    node_id = Id()

    @validates_schema
    def check(self, data, **kwargs):
        check_hours(data, partial=True)
        if data.get("open_24h") is False and "opening_hours" not in data:
            raise ValidationError("give the opening hours that replace 24-hour opening", "opening_hours")


class VenueRef(Input):
    venue_id = Id(required=True)


class CloseVenue(VenueRef):
    reason = Text(required=True, max_length=500)


class SetStarRating(Input):
    venue_id = Id(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    stars = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    note = Text(load_default=None, allow_none=True, max_length=500)


class RecordFinances(Input):
    venue_id = Id(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    money_in_fen = Fen(required=True)
    money_out_fen = Fen(required=True)
    note = Text(load_default=None, allow_none=True, max_length=500)


class ListVenues(PageInput):
    subtree = Id(load_default=None, allow_none=True)   # a node id: venues serving it or below
    kind = Choice(domain.VENUE_KINDS, load_default=None, allow_none=True)
    text = Text(load_default=None, allow_none=True)
    lender_unit_id = Id(load_default=None, allow_none=True)
    status = Choice((domain.ACTIVE, domain.CLOSED), load_default=domain.ACTIVE)
    on_emergency_duty = fields.Boolean(load_default=None, allow_none=True)


class StarRatingOut(Output):
    year = fields.Integer()
    stars = fields.Integer()
    note = fields.String(allow_none=True)
    rated_by = fields.String()
    rated_at = Time()


class FinancesOut(Output):
    year = fields.Integer()
    money_in_fen = fields.Integer()
    money_out_fen = fields.Integer()
    net_fen = fields.Function(lambda obj: value(obj, "money_in_fen") - value(obj, "money_out_fen"))
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = Time()


class AcquisitionOut(Output):
    method = fields.String()
    acquired_from = fields.String(allow_none=True)
    acquired_on = fields.Date(allow_none=True)
    lease_start = fields.Date(allow_none=True)
    lease_end = fields.Date(allow_none=True)
    lease_terms = fields.String(allow_none=True)
    rent_in_fen = fields.Integer(allow_none=True)
    rent_out_fen = fields.Integer(allow_none=True)


def acquisition_of(venue):
    method = value(venue, "acquisition_method")
    if method is None:
        return None
    return AcquisitionOut().dump({"method": method, **{k: value(venue, k) for k in (
        "acquired_from", "acquired_on", "lease_start", "lease_end", "lease_terms", "rent_in_fen",
        "rent_out_fen")}})


class Venue(Output):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    status = fields.String()
    node_id = fields.String()
    node_name = fields.String(allow_none=True)
    node_path = fields.String(allow_none=True)
    address = fields.String()
    location = LocationOut()
    area_m2 = fields.Float()
    open_24h = fields.Boolean()
    opening_hours = fields.List(fields.Dict())
    amenities = fields.List(fields.String())
    service_items = fields.List(fields.Dict())
    phone = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    lender_unit_id = fields.String(allow_none=True)
    lender_unit_name = fields.String(allow_none=True)
    agreement_id = fields.String(allow_none=True)
    resource_id = fields.String(allow_none=True)
    acquisition = fields.Function(acquisition_of)
    stars = fields.Integer(allow_none=True)
    stars_year = fields.Integer(allow_none=True)
    emergency_role = fields.String(allow_none=True)
    emergency_since = Time(allow_none=True)
    created_by = fields.String()
    created_at = Time()
    updated_at = Time()
    closed_at = Time(allow_none=True)


class VenueDetail(Venue):
    rooms = fields.List(fields.Dict())
    three_plus_n = fields.Dict()
    star_ratings = fields.List(fields.Nested(StarRatingOut))
    finances = fields.List(fields.Nested(FinancesOut))
    open_now = fields.Boolean()


# -- rooms ----------------------------------------------------------------------------------------


class RulesInput(Input):
    """A room's booking rules; absent keys keep their current (or default) value."""

    min_minutes = Minutes(5, 1440)
    max_minutes = Minutes(5, 7 * 1440)
    slot_minutes = fields.Integer(strict=True, validate=validate.OneOf((5, 10, 15, 20, 30, 60)))
    horizon_days = Minutes(1, 366)
    series_horizon_days = Minutes(1, 366)
    lead_minutes = Minutes(0, 30 * 1440)
    buffer_minutes = Minutes(0, 240)
    approval_required = fields.Boolean()
    bookable_by = fields.List(Choice(domain.BOOKER_ROLES), validate=[validate.Length(min=1), _distinct])
    audience = Choice(domain.AUDIENCES)
    checkin_opens_minutes = Minutes(0, 240)
    checkin_grace_minutes = Minutes(0, 240)
    offer_minutes = Minutes(5, 7 * 1440)
    max_open_per_booker = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 1000))


class CreateRoom(Input):
    venue_id = Id(required=True)
    name = Text(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100000))
    category = Choice(domain.ROOM_CATEGORIES, load_default="activity")
    function = Text(load_default=None)  # basic rooms: one of BASIC_FUNCTIONS; activity: free text
    bookable = fields.Boolean(load_default=True)
    rules = fields.Nested(RulesInput, load_default=dict)
    resource_id = Id(load_default=None, allow_none=True)  # a space lent under an agreement
    description = Text(load_default=None, allow_none=True, max_length=1000)

    @validates_schema
    def check(self, data, **kwargs):
        check_function(data["category"], data["function"] or data["name"])


def check_function(category, function):
    problem = domain.function_problem(category, function)
    if problem:
        raise ValidationError(problem, "function")


class UpdateRoom(Input):
    room_id = Id(required=True)
    name = Text()
    capacity = fields.Integer(strict=True, validate=validate.Range(1, 100000))
    category = Choice(domain.ROOM_CATEGORIES)
    function = Text()
    bookable = fields.Boolean()
    rules = fields.Nested(RulesInput)
    description = Text(allow_none=True, max_length=1000)


class RoomRef(Input):
    room_id = Id(required=True)


class ListRooms(Input):
    venue_id = Id(required=True)
    include_archived = fields.Boolean(load_default=False)


class RoomSchedule(Input):
    room_id = Id(required=True)
    starts_at = aware_datetime(required=True)
    ends_at = aware_datetime(required=True)

    @validates_schema
    def check(self, data, **kwargs):
        span = (data["ends_at"] - data["starts_at"]).total_seconds()
        if span <= 0 or span > 31 * 86400:
            raise ValidationError("a schedule covers up to 31 days after starts_at", "ends_at")


class Room(Output):
    id = fields.String()
    venue_id = fields.String()
    name = fields.String()
    category = fields.String()
    function = fields.String()
    capacity = fields.Integer()
    bookable = fields.Boolean()
    rules = fields.Dict()
    resource_id = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    status = fields.String()
    created_at = Time()
    updated_at = Time()


# -- bookings -------------------------------------------------------------------------------------


class CreateBooking(Input):
    room_id = Id(required=True)
    starts_at = aware_datetime(required=True)
    ends_at = aware_datetime(required=True)
    purpose = Text(required=True, max_length=200)
    attendees = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1))
    unit_id = Id(load_default=None, allow_none=True)        # booking for a resident unit (its liaison)
    organiser = Text(load_default=None, allow_none=True)    # e.g. the party branch or social org
    waitlist = fields.Boolean(load_default=False)           # join the waitlist if the slot is taken


class BookingRef(Input):
    booking_id = Id(required=True)


class BookingDecision(BookingRef):
    note = Text(load_default=None, allow_none=True, max_length=500)


class CancelBooking(BookingRef):
    reason = Text(load_default=None, allow_none=True, max_length=500)


class CheckIn(BookingRef):
    attendance = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))


class CompleteBooking(BookingRef):
    attendance = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class RateBooking(BookingRef):
    stars = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = Text(load_default=None, allow_none=True, max_length=1000)


BOOKING_STATUSES = sorted(domain.BOOKING.states())


class ListBookings(PageInput):
    room_id = Id(load_default=None, allow_none=True)
    venue_id = Id(load_default=None, allow_none=True)
    series_id = Id(load_default=None, allow_none=True)
    mine = fields.Boolean(load_default=False)
    statuses = fields.List(Choice(BOOKING_STATUSES), load_default=None, allow_none=True)
    starts_from = aware_datetime(load_default=None, allow_none=True)
    starts_before = aware_datetime(load_default=None, allow_none=True)

    @validates_schema
    def check(self, data, **kwargs):
        if not (data["mine"] or data["room_id"] or data["venue_id"] or data["series_id"]):
            raise ValidationError("give room_id, venue_id, series_id or mine: true", "_schema")


class Booking(Output):
    id = fields.String()
    room_id = fields.String()
    room_name = fields.String()
    venue_id = fields.String()
    venue_name = fields.String()
    series_id = fields.String(allow_none=True)
    occurrence_date = fields.Date(allow_none=True)
    status = fields.String()
    purpose = fields.String()
    attendees = fields.Integer(allow_none=True)
    booker = fields.String()
    booker_role = fields.String()
    unit_id = fields.String(allow_none=True)
    organiser = fields.String(allow_none=True)
    starts_at = Time()
    ends_at = Time()
    blocked_until = Time()
    waitlist_position = fields.Integer(allow_none=True)
    offer_expires_at = Time(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = Time(allow_none=True)
    decision_note = fields.String(allow_none=True)
    cancelled_by = fields.String(allow_none=True)
    cancelled_at = Time(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    checked_in_by = fields.String(allow_none=True)
    checked_in_at = Time(allow_none=True)
    attendance = fields.Integer(allow_none=True)
    completed_at = Time(allow_none=True)
    no_show_at = Time(allow_none=True)
    rating = fields.Dict(allow_none=True)
    created_at = Time()
    updated_at = Time()


# -- weekly series --------------------------------------------------------------------------------


class SeriesException(Input):
    date = fields.Date(required=True)
    skip = fields.Boolean(load_default=False)
    start = HHMM(load_default=None, allow_none=True)
    end = HHMM(load_default=None, allow_none=True)

    @validates_schema
    def check(self, data, **kwargs):
        problem = domain.exception_problem(data)
        if problem:
            raise ValidationError(problem, "_schema")


class CreateSeries(Input):
    room_id = Id(required=True)
    purpose = Text(required=True, max_length=200)
    attendees = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1))
    unit_id = Id(load_default=None, allow_none=True)
    organiser = Text(load_default=None, allow_none=True)
    weekdays = fields.List(fields.Integer(strict=True, validate=validate.Range(1, 7)), required=True,
                           validate=[validate.Length(1, 7), _distinct])
    start = HHMM(required=True)
    end = HHMM(required=True)
    first_date = fields.Date(required=True)
    until_date = fields.Date(load_default=None, allow_none=True)
    count = fields.Integer(load_default=None, allow_none=True, strict=True,
                           validate=validate.Range(1, domain.MAX_OCCURRENCES))
    every_weeks = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 4))
    exceptions = fields.List(fields.Nested(SeriesException), load_default=list,
                             validate=validate.Length(max=domain.MAX_OCCURRENCES))
    on_conflict = Choice(("fail", "skip"), load_default="fail")

    @validates_schema
    def check(self, data, **kwargs):
        if (data["until_date"] is None) == (data["count"] is None):
            raise ValidationError("give exactly one of until_date and count", "until_date")


class SeriesRef(Input):
    series_id = Id(required=True)


class ChangeOccurrence(SeriesException):
    series_id = Id(required=True)


class CancelSeries(SeriesRef):
    from_date = fields.Date(load_default=None, allow_none=True)  # default: today
    reason = Text(load_default=None, allow_none=True, max_length=500)


class Series(Output):
    id = fields.String()
    room_id = fields.String()
    venue_id = fields.String()
    status = fields.String()
    purpose = fields.String()
    attendees = fields.Integer(allow_none=True)
    booker = fields.String()
    booker_role = fields.String()
    unit_id = fields.String(allow_none=True)
    organiser = fields.String(allow_none=True)
    weekdays = fields.List(fields.Integer())
    start = fields.String(attribute="start_time")
    end = fields.String(attribute="end_time")
    every_weeks = fields.Integer()
    first_date = fields.Date()
    until_date = fields.Date(allow_none=True)
    count = fields.Integer(allow_none=True)
    exceptions = fields.List(fields.Dict())
    created_at = Time()
    cancelled_at = Time(allow_none=True)
    occurrences = fields.List(fields.Dict())
    skipped = fields.List(fields.Dict())


# -- map, nearest, service circles ----------------------------------------------------------------


class BBox(Input):
    south = fields.Float(required=True, validate=validate.Range(-90, 90))
    west = fields.Float(required=True, validate=validate.Range(-180, 180))
    north = fields.Float(required=True, validate=validate.Range(-90, 90))
    east = fields.Float(required=True, validate=validate.Range(-180, 180))

    @validates_schema
    def check(self, data, **kwargs):
        if data["north"] < data["south"] or data["east"] < data["west"]:
            raise ValidationError("north ≥ south and east ≥ west", "_schema")


class MapFilters(Input):
    kinds = Unique(domain.VENUE_KINDS, load_default=None, allow_none=True)
    amenities = Unique(domain.AMENITIES, load_default=None, allow_none=True)  # all of them
    open_now = fields.Boolean(load_default=False)
    min_stars = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 5))
    on_emergency_duty = fields.Boolean(load_default=None, allow_none=True)


class VenueMap(MapFilters):
    subtree = Id(load_default=None, allow_none=True)
    bbox = fields.Nested(BBox, load_default=None, allow_none=True)
    limit = fields.Integer(load_default=5000, strict=True, validate=validate.Range(1, 20000))


class Walking(Input):
    speed_m_per_min = fields.Float(load_default=domain.DEFAULT_SPEED_M_PER_MIN, validate=validate.Range(20, 300))
    detour_factor = fields.Float(load_default=domain.DETOUR_FACTOR, validate=validate.Range(1.0, 3.0))


class Nearest(MapFilters, Walking):
    location = fields.Nested(LatLng, required=True)
    limit = fields.Integer(load_default=5, strict=True, validate=validate.Range(1, 50))
    max_minutes = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0.5, max=240))


class Coverage(Walking):
    node_id = Id(load_default=None, allow_none=True)  # street / community / grid; none: whole tenant
    minutes = fields.List(fields.Float(validate=validate.Range(1, 60)), load_default=lambda: list(domain.CIRCLE_MINUTES),
                          validate=[validate.Length(1, 6), _distinct])
    kinds = Unique(domain.VENUE_KINDS, load_default=None, allow_none=True)
    include_emergency = fields.Boolean(load_default=True)  # venues on emergency duty still count


class Uncovered(Walking, PageInput):
    node_id = Id(load_default=None, allow_none=True)
    minutes = fields.Float(load_default=8, validate=validate.Range(1, 60))
    kinds = Unique(domain.VENUE_KINDS, load_default=None, allow_none=True)
    include_emergency = fields.Boolean(load_default=True)


# -- utilisation and satisfaction -----------------------------------------------------------------


class VenueStats(Input):
    venue_id = Id(required=True)
    room_id = Id(load_default=None, allow_none=True)
    from_date = fields.Date(required=True)
    to_date = fields.Date(required=True)
    granularity = Choice(("total", "month"), load_default="total")

    @validates_schema
    def check(self, data, **kwargs):
        days = (data["to_date"] - data["from_date"]).days
        if days < 0 or days > 366:
            raise ValidationError("a period of 1 to 367 days ending on or after from_date", "to_date")


# -- emergency mode -------------------------------------------------------------------------------


class RoleAssignment(Input):
    venue_id = Id(required=True)
    role = Choice(domain.EMERGENCY_ROLES, required=True)


class ActivateEmergency(Input):
    venue_id = Id(load_default=None, allow_none=True)
    node_id = Id(load_default=None, allow_none=True)   # a community (or any node): its whole subtree
    reason = Text(required=True, max_length=500)
    role = Choice(domain.EMERGENCY_ROLES, load_default="assembly_point")
    roles = fields.List(fields.Nested(RoleAssignment), load_default=list, validate=validate.Length(max=1000))

    @validates_schema
    def check(self, data, **kwargs):
        if (data["venue_id"] is None) == (data["node_id"] is None):
            raise ValidationError("give exactly one of venue_id and node_id", "venue_id")


class ActivationRef(Input):
    activation_id = Id(required=True)
    note = Text(load_default=None, allow_none=True, max_length=500)


class SetEmergencyRole(RoleAssignment):
    activation_id = Id(required=True)


class ListEmergencies(PageInput):
    status = Choice(("active", "ended"), load_default=None, allow_none=True)


class Activation(Output):
    id = fields.String()
    scope = fields.String()
    venue_id = fields.String(allow_none=True)
    node_id = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    reason = fields.String()
    default_role = fields.String()
    status = fields.String()
    bookings_cancelled = fields.Integer()
    activated_by = fields.String()
    activated_at = Time()
    deactivated_by = fields.String(allow_none=True)
    deactivated_at = Time(allow_none=True)
    venues = fields.List(fields.Dict())


# -- events this service emits --------------------------------------------------------------------


class VenueEvent(Output):
    """venue_created / venue_updated / venue_closed / venue_reopened."""

    venue_id = fields.String(attribute="id")
    name = fields.String()
    kind = fields.String()
    status = fields.String()
    node_id = fields.String()
    node_path = fields.String(allow_none=True)
    location = LocationOut()
    lender_unit_id = fields.String(allow_none=True)
    stars = fields.Integer(allow_none=True)
    emergency_role = fields.String(allow_none=True)


class VenueRated(Output):
    """venue_star_rated."""

    venue_id = fields.String()
    year = fields.Integer()
    stars = fields.Integer()
    node_path = fields.String(allow_none=True)


class RoomEvent(Output):
    """room_created / room_updated / room_archived."""

    room_id = fields.String(attribute="id")
    venue_id = fields.String()
    name = fields.String()
    category = fields.String()
    function = fields.String()
    capacity = fields.Integer()
    bookable = fields.Boolean()
    status = fields.String()
    approval_required = fields.Function(lambda room: bool(value(room, "rules", {}).get("approval_required")))


class BookingEvent(Output):
    """booking_requested / _confirmed / _rejected / _cancelled / _checked_in / _no_show /
    _completed / _expired / _rated, waitlist_joined / _offered / _offer_declined / _offer_lapsed."""

    booking_id = fields.String(attribute="id")
    room_id = fields.String()
    room_name = fields.String()
    venue_id = fields.String()
    venue_name = fields.String()
    node_path = fields.String(allow_none=True)
    series_id = fields.String(allow_none=True)
    status = fields.String()
    purpose = fields.String()
    booker = fields.String()
    unit_id = fields.String(allow_none=True)
    starts_at = Time()
    ends_at = Time()
    attendees = fields.Integer(allow_none=True)
    attendance = fields.Integer(allow_none=True)
    offer_expires_at = Time(allow_none=True)
    reason = fields.String(allow_none=True)
    stars = fields.Integer(allow_none=True)


class SeriesEvent(Output):
    """series_created / series_cancelled."""

    series_id = fields.String(attribute="id")
    room_id = fields.String()
    venue_id = fields.String()
    booker = fields.String()
    status = fields.String()
    occurrences = fields.Integer()
    skipped_dates = fields.List(fields.Date())


class EmergencyEvent(Output):
    """emergency_activated / emergency_deactivated / emergency_role_changed."""

    activation_id = fields.String(attribute="id")
    scope = fields.String()
    venue_id = fields.String(allow_none=True)
    node_id = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    reason = fields.String()
    status = fields.String()
    venues = fields.List(fields.Dict())
    bookings_cancelled = fields.Integer()


# -- events of organizations this service replicates ----------------------------------------------


class EventLocation(LatLng):
    class Meta:
        unknown = "exclude"


class NodeChanged(Event):
    """organizations.node_created / node_updated."""

    node_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    code = fields.String(load_default=None, allow_none=True)
    parent_id = fields.UUID(load_default=None, allow_none=True)
    path = fields.String(required=True)
    location = fields.Nested(EventLocation, load_default=None, allow_none=True)
    population = fields.Integer(load_default=None, allow_none=True)
    households = fields.Integer(load_default=None, allow_none=True)


class NodeMoved(Event):
    node_id = fields.UUID(required=True)
    parent_id = fields.UUID(load_default=None, allow_none=True)
    old_path = fields.String(required=True)
    path = fields.String(required=True)


class NodeArchived(Event):
    node_id = fields.UUID(required=True)
    path = fields.String(load_default=None, allow_none=True)


class UnitChanged(Event):
    """organizations.unit_registered / unit_updated."""

    unit_id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    credit_code = fields.String(load_default=None, allow_none=True)


class UnitReport(UnitChanged):
    """organizations.unit_reported_in / unit_report_in_withdrawn."""

    community_id = fields.UUID(required=True)
    community_path = fields.String(required=True)


class WindowIn(Output):
    weekday = fields.Integer(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)

    class Meta:
        unknown = "exclude"


class ResourceIn(Output):
    resource_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(load_default=1)
    windows = fields.List(fields.Nested(WindowIn), load_default=list)


class AgreementChanged(Event):
    """organizations.agreement_signed / agreement_updated / agreement_terminated."""

    agreement_id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    community_id = fields.UUID(required=True)
    community_path = fields.String(required=True)
    status = fields.String(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)
    resources = fields.List(fields.Nested(ResourceIn), load_default=list)


class NodeOut(Output):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    path = fields.String()
    location = LocationOut()
    population = fields.Integer(allow_none=True)
    households = fields.Integer(allow_none=True)
    archived_at = Time(allow_none=True)
    source_at = Time(allow_none=True)
