"""Rules of the venues service as plain functions and tables (no nameko, no session).

* Opening hours and lending windows: weekly intervals in the tenant's local time, 24h days and
  overnight hours included; "is it open now", "does this booking fit", "how many open hours in
  this period".
* Booking rules of a room: duration, slot grid, horizon, lead time, buffer, approval, who may
  book; check-in window and no-show release; waitlist offers.
* Weekly recurrence with exceptions (skipped or moved occurrences).
* Walking: straight-line distance × ``DETOUR_FACTOR`` / speed (default 80 m/min).
* State machines as explicit transition tables; a refused transition raises a Conflict naming
  the current state.
"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.state_machine import StateMachine

# -- vocabularies ---------------------------------------------------------------------------

VENUE_KINDS = (
    "party_mass_centre",     # 党群服务中心
    "neighbourhood_centre",  # 邻里中心
    "service_station",       # 党群服务站 / 便民服务站
    "red_station",           # 红色驿站: 24h stations for delivery riders and couriers
    "party_station",         # 党建驿站 (e.g. for tourists)
    "study_room",            # 城市书房
    "elder_canteen",         # 老年食堂 / 助餐点
    "shared_space",          # 共享空间 lent by a resident unit
    "shared_parking",        # 共享停车场 lent by a resident unit
)
LENT_KINDS = ("shared_space", "shared_parking")
CENTRE_KINDS = ("party_mass_centre", "neighbourhood_centre")

AMENITIES = (
    "charging", "drinking_water", "hot_water", "first_aid", "umbrellas", "wifi", "parcel_lockers",
    "toilets", "air_conditioning", "microwave", "rest_seats", "books", "accessible", "parking",
    "ev_charging", "tourist_maps",
)

# How the space was obtained (the six methods of Wuxing's venue upgrade).
ACQUISITION_METHODS = (
    "revitalised_idle_asset",  # 资产盘活法
    "co_location",             # 共驻共建法
    "swap",                    # 异地置换法
    "rent_to_rent",            # 以租养租法
    "rebuild",                 # 破旧立新法
    "pilot_programme",         # 借势借力法
)

ROOM_CATEGORIES = ("basic", "activity")  # "3+N": three basic functions + N activity functions
BASIC_FUNCTIONS = ("learning_education", "public_service", "culture_sports")


def function_problem(category, function):
    """A basic room serves one of the three basic functions; activity rooms are free text."""
    if category == "basic" and function not in BASIC_FUNCTIONS:
        return f"a basic room serves one of {', '.join(BASIC_FUNCTIONS)}"
    return None


EMERGENCY_ROLES = ("assembly_point", "testing_site", "supply_depot", "rest_area", "command_post")

# Roles that may book rooms (a room's rules narrow this list).
BOOKER_ROLES = (
    "resident", "party_member", "volunteer", "social_org", "unit_liaison", "grid_worker",
    "community_secretary", "street_secretary",
)
AUDIENCES = ("tenant", "community")  # anyone in the tenant / people of the venue's community

# -- state machines ---------------------------------------------------------------------------


REQUESTED, CONFIRMED, CHECKED_IN, COMPLETED = "requested", "confirmed", "checked_in", "completed"
NO_SHOW, CANCELLED, REJECTED, EXPIRED = "no_show", "cancelled", "rejected", "expired"
WAITLISTED, OFFERED, DECLINED, LAPSED = "waitlisted", "offered", "declined", "lapsed"

BOOKING = StateMachine("booking", {
    "approve": ({REQUESTED}, CONFIRMED),
    "reject": ({REQUESTED}, REJECTED),
    "cancel": ({REQUESTED, CONFIRMED, WAITLISTED, OFFERED}, CANCELLED),
    # emergency duty, a closed venue or a withdrawn lending agreement: even an activity under way
    "suspend": ({REQUESTED, CONFIRMED, CHECKED_IN, WAITLISTED, OFFERED}, CANCELLED),
    "check in": ({CONFIRMED}, CHECKED_IN),
    "mark no-show": ({CONFIRMED}, NO_SHOW),
    "complete": ({CHECKED_IN}, COMPLETED),
    "expire": ({REQUESTED, WAITLISTED}, EXPIRED),
    "offer": ({WAITLISTED}, OFFERED),
    "accept": ({OFFERED}, CONFIRMED),
    "decline": ({OFFERED}, DECLINED),
    "lapse": ({OFFERED}, LAPSED),
    "rate": ({CHECKED_IN, COMPLETED}, None),
})
# Statuses that hold the room: the exclusion constraint covers exactly these.
HOLDING = (REQUESTED, CONFIRMED, CHECKED_IN, OFFERED)
# Statuses counted as "the room was booked" in utilisation.
BOOKED = (CONFIRMED, CHECKED_IN, COMPLETED, NO_SHOW)
HELD = (CHECKED_IN, COMPLETED)  # the activity took place
OPEN_STATES = (REQUESTED, CONFIRMED, CHECKED_IN, WAITLISTED, OFFERED)  # not finished yet

ACTIVE, CLOSED = "active", "closed"
VENUE = StateMachine("venue", {
    "update": ({ACTIVE}, None),
    "add rooms to": ({ACTIVE}, None),
    "book": ({ACTIVE}, None),
    "close": ({ACTIVE}, CLOSED),
    "reopen": ({CLOSED}, ACTIVE),
})
ARCHIVED = "archived"
ROOM = StateMachine("room", {
    "update": ({ACTIVE}, None),
    "book": ({ACTIVE}, None),
    "archive": ({ACTIVE}, ARCHIVED),
})
SERIES = StateMachine("series", {
    "change": ({ACTIVE}, None),
    "cancel": ({ACTIVE}, CANCELLED),
})
EMERGENCY = StateMachine("emergency", {
    "deactivate": ({ACTIVE}, "ended"),
    "change": ({ACTIVE}, None),
})

# -- time of day and weekly intervals -------------------------------------------------------

DAY = 24 * 60
WEEK = 7 * DAY
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def hhmm(text):
    """'HH:MM' → minutes after midnight (0–1440; '24:00' is the end of the day)."""
    if not isinstance(text, str) or not HHMM.match(text):
        raise ValueError(f"{text!r} is not HH:MM (00:00–24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def fmt_hhmm(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_problem(entries):
    """Why a list of opening-hour entries {weekday, open, close} is invalid, or None. ``close``
    at or before ``open`` runs past midnight into the next day; '00:00'–'24:00' is a 24h day."""
    try:
        rows = split_hours(entries)
    except ValueError as exc:
        return str(exc)
    for before, after in zip(rows, rows[1:], strict=False):
        if before[0] == after[0] and after[1] < before[2]:
            return f"opening hours overlap on weekday {before[0]}"
    return None


def split_hours(entries):
    """Entries → sorted (weekday, open_min, close_min) rows within one day each (overnight
    entries are split at midnight into the next weekday)."""
    rows = []
    for entry in entries:
        weekday = entry["weekday"]
        if not isinstance(weekday, int) or not 1 <= weekday <= 7:
            raise ValueError("weekday is 1 (Monday) to 7 (Sunday)")
        opens, closes = hhmm(entry["open"]), hhmm(entry["close"])
        if opens == DAY:
            raise ValueError("a day cannot open at 24:00")
        if closes > opens:
            rows.append((weekday, opens, closes))
        elif closes == 0:
            rows.append((weekday, opens, DAY))
        else:  # overnight: open until `closes` on the next day
            rows.append((weekday, opens, DAY))
            rows.append((weekday % 7 + 1, 0, closes))
    return sorted(rows)


def normalize_hours(entries, open_24h=False):
    """The rows stored for a venue (or a lending window list): always-open venues get seven
    00:00–24:00 rows; touching rows on one day are merged."""
    if open_24h:
        return [(weekday, 0, DAY) for weekday in range(1, 8)]
    merged = []
    for row in split_hours(entries):
        if merged and merged[-1][0] == row[0] and row[1] <= merged[-1][2]:
            merged[-1] = (row[0], merged[-1][1], max(merged[-1][2], row[2]))
        else:
            merged.append(row)
    return merged


def window_rows(windows):
    """A lending agreement's windows {weekday, start, end} as hour rows."""
    return normalize_hours([{"weekday": w["weekday"], "open": w["start"], "close": w["end"]}
                            for w in windows])


def week_spans(rows):
    """Rows → merged spans in minutes of the week [0, 10080); a span touching the end of Sunday
    and one starting Monday 00:00 are continuous (see ``covers``)."""
    spans = sorted(((w - 1) * DAY + a, (w - 1) * DAY + b) for w, a, b in rows)
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def is_always_open(rows):
    return week_spans(rows) == [(0, WEEK)]


def local(moment, tz):
    return moment.astimezone(ZoneInfo(tz))


def week_minute(local_moment):
    return (local_moment.isoweekday() - 1) * DAY + local_moment.hour * 60 + local_moment.minute


def is_open(rows, moment, tz):
    """Is a venue with these hour rows open at ``moment`` (aware)?"""
    at = local(moment, tz)
    minute = at.hour * 60 + at.minute
    weekday = at.isoweekday()
    return any(w == weekday and a <= minute < b for w, a, b in rows)


def covers(rows, starts_at, ends_at, tz):
    """Does one continuous open span contain [starts_at, ends_at)? (24h venues: always.)"""
    spans = week_spans(rows)
    if not spans:
        return False
    if spans == [(0, WEEK)]:
        return True
    length = (ends_at - starts_at).total_seconds() / 60
    at = local(starts_at, tz)
    start = week_minute(at) + at.second / 60
    # Twice round the week so spans that wrap from Sunday night into Monday join up.
    doubled = []
    for span in spans + [(a + WEEK, b + WEEK) for a, b in spans]:
        if doubled and span[0] <= doubled[-1][1]:
            doubled[-1] = (doubled[-1][0], max(doubled[-1][1], span[1]))
        else:
            doubled.append(span)
    return any(a <= start < b and start + length <= b for a, b in doubled)


def open_minutes(rows, starts_at, ends_at, tz):
    """Minutes the venue is open within [starts_at, ends_at)."""
    zone = ZoneInfo(tz)
    day = starts_at.astimezone(zone).date() - timedelta(days=1)
    last = ends_at.astimezone(zone).date()
    by_weekday = {}
    for w, a, b in rows:
        by_weekday.setdefault(w, []).append((a, b))
    total = 0.0
    while day <= last:
        midnight = datetime.combine(day, time(0))
        for a, b in by_weekday.get(day.isoweekday(), ()):
            opens = (midnight + timedelta(minutes=a)).replace(tzinfo=zone)
            closes = (midnight + timedelta(minutes=b)).replace(tzinfo=zone)
            overlap = (min(closes, ends_at) - max(opens, starts_at)).total_seconds()
            if overlap > 0:
                total += overlap / 60
        day += timedelta(days=1)
    return total


def hours_view(rows):
    """Stored rows → the API's list of {weekday, open, close}."""
    return [{"weekday": w, "open": fmt_hhmm(a), "close": fmt_hhmm(b)} for w, a, b in rows]


# -- booking rules ----------------------------------------------------------------------------

DEFAULT_RULES = {
    "min_minutes": 30,
    "max_minutes": 240,
    "slot_minutes": 15,            # starts and ends on this grid (local time)
    "horizon_days": 30,            # how far ahead a single booking may start
    "series_horizon_days": 182,    # how far ahead a weekly series may run
    "lead_minutes": 60,            # book at least this long before the start
    "buffer_minutes": 0,           # kept free after each booking (cleaning, setting up)
    "approval_required": False,
    "bookable_by": list(BOOKER_ROLES),
    "audience": "tenant",
    "checkin_opens_minutes": 30,   # check-in opens this long before the start …
    "checkin_grace_minutes": 15,   # … and closes this long after it: then it is a no-show
    "offer_minutes": 120,          # how long a waitlist offer is held
    "max_open_per_booker": None,   # open bookings of one person in this room (None: no limit)
}


def rules_with_defaults(rules):
    merged = dict(DEFAULT_RULES)
    merged.update({k: v for k, v in (rules or {}).items() if k in DEFAULT_RULES})
    return merged


def rules_problem(rules):
    """Why a complete rules dict is inconsistent, or None."""
    if rules["min_minutes"] > rules["max_minutes"]:
        return "min_minutes", "must not exceed max_minutes"
    for key in ("min_minutes", "max_minutes"):
        if rules[key] % rules["slot_minutes"]:
            return key, f"must be a multiple of slot_minutes ({rules['slot_minutes']})"
    if rules["series_horizon_days"] < rules["horizon_days"]:
        return "series_horizon_days", "must not be shorter than horizon_days"
    unknown = set(rules["bookable_by"]) - set(BOOKER_ROLES)
    if unknown:
        return "bookable_by", f"unknown roles {sorted(unknown)}"
    return None


def booking_problems(rules, starts_at, ends_at, now, tz, series=False):
    """Field → messages for a booking [starts_at, ends_at) under a room's rules, at ``now``."""
    problems = {}

    def add(field, message):
        problems.setdefault(field, []).append(message)

    if ends_at <= starts_at:
        add("ends_at", "must be after starts_at")
        return problems
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes < rules["min_minutes"]:
        add("ends_at", f"a booking lasts at least {rules['min_minutes']} minutes")
    if minutes > rules["max_minutes"]:
        add("ends_at", f"a booking lasts at most {rules['max_minutes']} minutes")
    slot = rules["slot_minutes"]
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        at = local(moment, tz)
        if at.second or at.microsecond or (at.hour * 60 + at.minute) % slot:
            add(field, f"must fall on the {slot}-minute grid")
    if starts_at < now + timedelta(minutes=rules["lead_minutes"]):
        add("starts_at", f"must be at least {rules['lead_minutes']} minutes from now")
    horizon = rules["series_horizon_days"] if series else rules["horizon_days"]
    if starts_at > now + timedelta(days=horizon):
        add("starts_at", f"may be at most {horizon} days ahead")
    return problems


def blocked_until(ends_at, rules):
    """The end of the time a booking keeps the room (its end plus the room's buffer)."""
    return ends_at + timedelta(minutes=rules["buffer_minutes"])


def checkin_problem(rules, starts_at, now):
    """Why a booking cannot be checked in at ``now``, or None."""
    opens = starts_at - timedelta(minutes=rules["checkin_opens_minutes"])
    closes = no_show_at(rules, starts_at)
    if now < opens:
        return f"check-in opens at {opens.isoformat()}"
    if now > closes:
        return f"check-in closed at {closes.isoformat()}"
    return None


def no_show_at(rules, starts_at):
    return starts_at + timedelta(minutes=rules["checkin_grace_minutes"])


def cancel_problem(starts_at, ends_at, now, manager):
    """Bookers cancel before the start; the venue's managers until the end."""
    if manager:
        return None if now < ends_at else "the booking is over"
    return None if now < starts_at else "the booking has started; ask the venue to cancel it"


def offer_expires_at(rules, now, starts_at):
    """A waitlist offer is held ``offer_minutes``, never past the start."""
    return min(now + timedelta(minutes=rules["offer_minutes"]), starts_at)


def rating_problem(status, ends_at, now):
    if status not in (CHECKED_IN, COMPLETED):
        return f"only activities that took place can be rated (status {status})"
    if now < ends_at:
        return "the activity has not ended yet"
    return None


def within_validity(starts_at, ends_at, valid_from, valid_until, tz):
    """Both local dates of a booking inside an agreement's validity."""
    first, last = local(starts_at, tz).date(), local(ends_at - timedelta(seconds=1), tz).date()
    return first >= valid_from and (valid_until is None or last <= valid_until)


# -- weekly recurrence ------------------------------------------------------------------------

MAX_OCCURRENCES = 104


def expand_weekly(*, first_date, weekdays, start, end, tz, until_date=None, count=None,
                  every_weeks=1, exceptions=()):
    """Occurrences of a weekly series as [{date, starts_at, ends_at, moved}] (aware datetimes).

    ``weekdays`` ISO (Monday = 1); ``start``/``end`` 'HH:MM' local (end after start, same day);
    ends at ``until_date`` (inclusive) or after ``count`` occurrences (counted before exceptions,
    as iCalendar does); ``exceptions``: [{date, skip: true}] drops an occurrence,
    [{date, start, end}] moves it within its day. Raises ValueError for inconsistent input."""
    if (until_date is None) == (count is None):
        raise ValueError("give exactly one of until_date and count")
    if not weekdays or any(not 1 <= w <= 7 for w in weekdays):
        raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
    if every_weeks < 1:
        raise ValueError("every_weeks is at least 1")
    if until_date is not None and until_date < first_date:
        raise ValueError("until_date is before first_date")
    opens, closes = _day_slot(start, end)
    zone = ZoneInfo(tz)
    week_zero = first_date - timedelta(days=first_date.isoweekday() - 1)
    dates = []
    day = first_date
    while True:
        if until_date is not None and day > until_date:
            break
        if count is not None and len(dates) >= count:
            break
        if day.isoweekday() in weekdays and ((day - week_zero).days // 7) % every_weeks == 0:
            dates.append(day)
            if len(dates) > MAX_OCCURRENCES:
                raise ValueError(f"a series has at most {MAX_OCCURRENCES} occurrences")
        day += timedelta(days=1)
    by_date = {}
    for exception in exceptions:
        if exception["date"] in by_date:
            raise ValueError(f"two exceptions for {exception['date'].isoformat()}")
        if exception["date"] not in dates:
            raise ValueError(f"{exception['date'].isoformat()} is not an occurrence of the series")
        by_date[exception["date"]] = exception
    occurrences = []
    for day in dates:
        exception = by_date.get(day)
        if exception and exception.get("skip"):
            continue
        a, b = (opens, closes) if not exception else _day_slot(exception["start"], exception["end"])
        midnight = datetime.combine(day, time(0))
        occurrences.append({
            "date": day,
            "starts_at": (midnight + timedelta(minutes=a)).replace(tzinfo=zone),
            "ends_at": (midnight + timedelta(minutes=b)).replace(tzinfo=zone),
            "moved": exception is not None,
        })
    return occurrences


def _day_slot(start, end):
    a, b = hhmm(start), hhmm(end)
    if b <= a:
        raise ValueError("end must be after start on the same day")
    return a, b


def exception_problem(exception):
    """An exception either skips (skip: true) or moves (start and end), not both."""
    moved = exception.get("start") is not None or exception.get("end") is not None
    if exception.get("skip") and moved:
        return "an exception either skips or moves an occurrence"
    if not exception.get("skip") and not (exception.get("start") and exception.get("end")):
        return "give skip: true, or both start and end"
    return None


# -- walking and service circles ---------------------------------------------------------------

DEFAULT_SPEED_M_PER_MIN = 80.0
# Straight-line distance understates the walk: streets, blocks and crossings make the route
# longer. Urban route/straight-line ratios measured in Chinese and European cities cluster
# around 1.2–1.4; we use 1.3 unless the caller says otherwise.
DETOUR_FACTOR = 1.3
CIRCLE_MINUTES = (8, 10, 15)


def walking_metres(straight_m, detour=DETOUR_FACTOR):
    return straight_m * detour


def walking_minutes(straight_m, speed=DEFAULT_SPEED_M_PER_MIN, detour=DETOUR_FACTOR):
    return straight_m * detour / speed


def circle_radius_m(minutes, speed=DEFAULT_SPEED_M_PER_MIN, detour=DETOUR_FACTOR):
    """The straight-line radius a walk of ``minutes`` reaches."""
    return minutes * speed / detour


# -- figures ------------------------------------------------------------------------------------

SATISFIED_STARS = 4  # a rating of 4 or 5 stars counts as satisfied


def ratio(part, whole, digits=4):
    return round(part / whole, digits) if whole else None


def current_year(moment, tz):
    return local(moment, tz).year


def local_date(moment, tz):
    return local(moment, tz).date()


def day_bounds(first, last, tz):
    """[first 00:00, last+1 00:00) in the tenant's zone, as aware datetimes."""
    zone = ZoneInfo(tz)
    return (datetime.combine(first, time(0)).replace(tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time(0)).replace(tzinfo=zone))


def month_periods(first, last):
    """Calendar months covering [first, last] as (first day, last day) pairs, clipped."""
    periods = []
    start = first
    while start <= last:
        following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        end = min(last, following - timedelta(days=1))
        periods.append((start, end))
        start = following
    return periods


def usage_figures(bookings, open_minutes, period_start, period_end):
    """Utilisation and satisfaction of one room (or a venue's rooms) over a period.

    ``bookings``: dicts with status, starts_at, ends_at, attendance, attendees, stars (or None);
    ``open_minutes``: room-minutes the space was open (a venue's hours × its bookable rooms).
    Booked time counts bookings that held the room (confirmed, checked in, completed, no-show),
    clipped to the period; check-in and no-show rates are over bookings whose outcome is known."""
    booked = [b for b in bookings if b["status"] in BOOKED]
    booked_minutes = sum(
        max(0.0, (min(b["ends_at"], period_end) - max(b["starts_at"], period_start)).total_seconds() / 60)
        for b in booked)
    held = [b for b in bookings if b["status"] in HELD]
    no_shows = [b for b in bookings if b["status"] == NO_SHOW]
    stars = [b["stars"] for b in bookings if b.get("stars") is not None]
    decided = len(held) + len(no_shows)
    return {
        "open_hours": round(open_minutes / 60, 2),
        "booked_hours": round(booked_minutes / 60, 2),
        "utilisation": ratio(booked_minutes, open_minutes),
        "bookings": len(booked),
        "requested": sum(1 for b in bookings if b["status"] == REQUESTED),
        "cancelled": sum(1 for b in bookings if b["status"] == CANCELLED),
        "checked_in": len(held),
        "no_shows": len(no_shows),
        "check_in_rate": ratio(len(held), decided),
        "no_show_rate": ratio(len(no_shows), decided),
        "activities_held": len(held),
        "people_served": sum((b["attendance"] if b["attendance"] is not None else b["attendees"]) or 0
                             for b in held),
        "ratings": len(stars),
        "average_rating": round(sum(stars) / len(stars), 2) if stars else None,
        "satisfaction_rate": ratio(sum(1 for s in stars if s >= SATISFIED_STARS), len(stars)),
    }
