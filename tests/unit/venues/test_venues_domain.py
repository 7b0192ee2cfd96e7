"""Rules of the venues service without a broker or database: opening hours (24h, overnight,
per weekday), booking rules, check-in and no-show windows, weekly recurrence with exceptions,
walking times, figures, and every state machine's table."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.venues import domain
from shared.errors import Conflict

TZ = "Asia/Shanghai"
CST = ZoneInfo(TZ)


def at(day, hhmm, tz=CST):
    """A local time on a date in June 2026 (1 June 2026 is a Monday)."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 6, 1, hours, minutes, tzinfo=tz) + timedelta(days=day - 1)


WEEKDAYS = [{"weekday": d, "open": "08:30", "close": "17:30"} for d in range(1, 6)]

# -- opening hours ------------------------------------------------------------------------------


def test_hhmm():
    assert domain.hhmm("00:00") == 0 and domain.hhmm("08:30") == 510 and domain.hhmm("24:00") == 1440
    for bad in ("24:01", "8:30", "25:00", "12:60", "", None, 830):
        with pytest.raises(ValueError):
            domain.hhmm(bad)
    assert domain.fmt_hhmm(1440) == "24:00" and domain.fmt_hhmm(510) == "08:30"


def test_overnight_hours_split_at_midnight_into_the_next_weekday():
    rows = domain.normalize_hours([{"weekday": 5, "open": "20:00", "close": "02:00"},
                                   {"weekday": 7, "open": "22:00", "close": "01:00"}])
    assert rows == [(1, 0, 60), (5, 1200, 1440), (6, 0, 120), (7, 1320, 1440)]  # Sunday night → Monday


def test_24h_days_and_always_open():
    assert domain.normalize_hours([], open_24h=True) == [(d, 0, 1440) for d in range(1, 8)]
    assert domain.is_always_open(domain.normalize_hours([], open_24h=True))
    every_day = [{"weekday": d, "open": "00:00", "close": "24:00"} for d in range(1, 8)]
    assert domain.is_always_open(domain.normalize_hours(every_day))
    assert not domain.is_always_open(domain.normalize_hours(every_day[:6]))
    assert domain.normalize_hours([{"weekday": 3, "open": "09:00", "close": "00:00"}]) == [(3, 540, 1440)]


def test_hours_problems():
    assert domain.hours_problem(WEEKDAYS) is None
    assert "overlap" in domain.hours_problem([{"weekday": 1, "open": "08:00", "close": "12:00"},
                                              {"weekday": 1, "open": "11:00", "close": "14:00"}])
    assert "overlap" in domain.hours_problem([{"weekday": 1, "open": "20:00", "close": "03:00"},
                                              {"weekday": 2, "open": "02:00", "close": "10:00"}])
    assert domain.hours_problem([{"weekday": 8, "open": "08:00", "close": "12:00"}])
    assert domain.hours_problem([{"weekday": 1, "open": "24:00", "close": "12:00"}])
    # split lunch break: two intervals the same day are fine
    assert domain.hours_problem([{"weekday": 1, "open": "08:00", "close": "12:00"},
                                 {"weekday": 1, "open": "14:00", "close": "18:00"}]) is None


def test_is_open():
    rows = domain.normalize_hours(WEEKDAYS + [{"weekday": 6, "open": "20:00", "close": "02:00"}])
    assert domain.is_open(rows, at(1, "08:30"), TZ)          # Monday opening minute
    assert not domain.is_open(rows, at(1, "17:30"), TZ)      # closing minute is closed
    assert not domain.is_open(rows, at(1, "08:29"), TZ)
    assert not domain.is_open(rows, at(7, "12:00"), TZ)      # Sunday midday
    assert domain.is_open(rows, at(7, "01:59"), TZ)          # Saturday night into Sunday
    assert domain.is_open(rows, at(1, "01:00", timezone.utc), TZ)  # 09:00 in Beijing
    assert domain.is_open(domain.normalize_hours([], True), at(3, "03:17"), TZ)


def test_covers_bookings_within_one_open_span():
    rows = domain.normalize_hours(WEEKDAYS)
    assert domain.covers(rows, at(1, "09:00"), at(1, "11:00"), TZ)
    assert domain.covers(rows, at(1, "08:30"), at(1, "17:30"), TZ)
    assert not domain.covers(rows, at(1, "17:00"), at(1, "18:00"), TZ)
    assert not domain.covers(rows, at(6, "09:00"), at(6, "10:00"), TZ)
    assert not domain.covers([], at(1, "09:00"), at(1, "10:00"), TZ)
    split = domain.normalize_hours([{"weekday": 1, "open": "08:00", "close": "12:00"},
                                    {"weekday": 1, "open": "14:00", "close": "18:00"}])
    assert not domain.covers(split, at(1, "11:00"), at(1, "15:00"), TZ)  # across the lunch break
    overnight = domain.normalize_hours([{"weekday": 5, "open": "20:00", "close": "02:00"}])
    assert domain.covers(overnight, at(5, "23:00"), at(6, "01:00"), TZ)
    always = domain.normalize_hours([], True)
    assert domain.covers(always, at(7, "23:00"), at(8, "02:00"), TZ)  # Sunday night into Monday
    sunday_monday = domain.normalize_hours([{"weekday": 7, "open": "20:00", "close": "24:00"},
                                            {"weekday": 1, "open": "00:00", "close": "06:00"}])
    assert domain.covers(sunday_monday, at(7, "23:00"), at(8, "01:30"), TZ)  # wraps the week


def test_open_minutes():
    rows = domain.normalize_hours(WEEKDAYS)
    week = domain.open_minutes(rows, at(1, "00:00"), at(8, "00:00"), TZ)
    assert week == 5 * 9 * 60
    assert domain.open_minutes(rows, at(1, "12:00"), at(1, "13:00"), TZ) == 60
    assert domain.open_minutes(rows, at(1, "17:00"), at(2, "09:00"), TZ) == 60
    assert domain.open_minutes(domain.normalize_hours([], True), at(1, "00:00"), at(3, "00:00"), TZ) == 2 * 1440


# -- booking rules ---------------------------------------------------------------------------------

RULES = domain.rules_with_defaults({"min_minutes": 30, "max_minutes": 120, "slot_minutes": 15,
                                    "horizon_days": 14, "series_horizon_days": 90, "lead_minutes": 60,
                                    "buffer_minutes": 15})
NOW = at(1, "08:00")


def problems(start, end, series=False, rules=RULES):
    return domain.booking_problems(rules, start, end, NOW, TZ, series=series)


def test_a_booking_within_the_rules_has_no_problems():
    assert problems(at(1, "10:00"), at(1, "11:30")) == {}


def test_duration_grid_lead_and_horizon():
    assert "at least 30" in problems(at(1, "10:00"), at(1, "10:15"))["ends_at"][0]
    assert "at most 120" in problems(at(1, "10:00"), at(1, "12:15"))["ends_at"][0]
    assert "must be after" in problems(at(1, "10:00"), at(1, "10:00"))["ends_at"][0]
    assert "15-minute grid" in problems(at(1, "10:05"), at(1, "11:05"))["starts_at"][0]
    assert "60 minutes from now" in problems(at(1, "08:45"), at(1, "09:30"))["starts_at"][0]
    assert problems(at(1, "09:00"), at(1, "10:00")) == {}  # exactly the lead time
    assert "14 days ahead" in problems(at(16, "10:00"), at(16, "11:00"))["starts_at"][0]
    assert problems(at(16, "10:00"), at(16, "11:00"), series=True) == {}  # a series reaches further
    seconds = at(1, "10:00") + timedelta(seconds=30)
    assert "grid" in problems(seconds, at(1, "11:00"))["starts_at"][0]


def test_rules_defaults_and_consistency():
    assert domain.rules_with_defaults(None) == domain.DEFAULT_RULES
    assert domain.rules_with_defaults({"unknown": 1, "buffer_minutes": 10})["buffer_minutes"] == 10
    assert domain.rules_problem(domain.DEFAULT_RULES) is None
    assert domain.rules_problem({**domain.DEFAULT_RULES, "min_minutes": 300})[0] == "min_minutes"
    assert domain.rules_problem({**domain.DEFAULT_RULES, "min_minutes": 40})[0] == "min_minutes"
    assert domain.rules_problem({**domain.DEFAULT_RULES, "series_horizon_days": 7})[0] == "series_horizon_days"
    assert domain.rules_problem({**domain.DEFAULT_RULES, "bookable_by": ["mayor"]})[0] == "bookable_by"


def test_buffer_extends_the_time_a_booking_holds_the_room():
    assert domain.blocked_until(at(1, "11:00"), RULES) == at(1, "11:15")


def test_check_in_window_and_no_show_time():
    start = at(1, "10:00")
    assert "opens at" in domain.checkin_problem(RULES, start, at(1, "09:29"))
    assert domain.checkin_problem(RULES, start, at(1, "09:30")) is None
    assert domain.checkin_problem(RULES, start, at(1, "10:15")) is None
    assert "closed at" in domain.checkin_problem(RULES, start, at(1, "10:16"))
    assert domain.no_show_at(RULES, start) == at(1, "10:15")


def test_cancellation_deadline_and_offers_and_ratings():
    start, end = at(1, "10:00"), at(1, "11:00")
    assert domain.cancel_problem(start, end, at(1, "09:59"), manager=False) is None
    assert "has started" in domain.cancel_problem(start, end, at(1, "10:00"), manager=False)
    assert domain.cancel_problem(start, end, at(1, "10:30"), manager=True) is None
    assert "over" in domain.cancel_problem(start, end, at(1, "11:00"), manager=True)
    assert domain.offer_expires_at(RULES, at(1, "08:00"), start) == at(1, "10:00")  # never past the start
    assert domain.offer_expires_at(RULES, at(1, "06:00"), start) == at(1, "08:00")  # 120 minutes
    assert domain.rating_problem("completed", end, at(1, "11:00")) is None
    assert "not ended" in domain.rating_problem("checked_in", end, at(1, "10:59"))
    assert "took place" in domain.rating_problem("no_show", end, at(1, "12:00"))


def test_lending_validity_by_local_dates():
    assert domain.within_validity(at(1, "10:00"), at(1, "11:00"), date(2026, 6, 1), None, TZ)
    assert not domain.within_validity(at(1, "10:00"), at(1, "11:00"), date(2026, 6, 2), None, TZ)
    assert domain.within_validity(at(30, "22:00"), at(31, "00:00"), date(2026, 6, 1), date(2026, 6, 30), TZ)
    assert not domain.within_validity(at(30, "22:00"), at(31, "00:30"), date(2026, 6, 1), date(2026, 6, 30), TZ)
    windows = domain.window_rows([{"weekday": 6, "start": "09:00", "end": "12:00"}])
    assert domain.covers(windows, at(6, "09:00"), at(6, "12:00"), TZ)
    assert not domain.covers(windows, at(6, "11:00"), at(6, "12:30"), TZ)


# -- weekly recurrence -------------------------------------------------------------------------------


def series(**overrides):
    args = dict(first_date=date(2026, 6, 1), weekdays=[2, 4], start="19:00", end="20:30", tz=TZ,
                until_date=date(2026, 6, 30))
    args.update(overrides)
    return domain.expand_weekly(**args)


def test_weekly_series_until_a_date():
    occurrences = series()
    assert [o["date"].day for o in occurrences] == [2, 4, 9, 11, 16, 18, 23, 25, 30]
    first = occurrences[0]
    assert first["starts_at"] == at(2, "19:00") and first["ends_at"] == at(2, "20:30")
    assert first["starts_at"].utcoffset() == timedelta(hours=8)


def test_count_every_other_week_and_first_date_mid_week():
    assert [o["date"].day for o in series(until_date=None, count=3)] == [2, 4, 9]
    assert [o["date"].day for o in series(every_weeks=2)] == [2, 4, 16, 18, 30]
    assert [o["date"].day for o in series(first_date=date(2026, 6, 3))] == [4, 9, 11, 16, 18, 23, 25, 30]


def test_exceptions_skip_or_move_an_occurrence():
    occurrences = series(exceptions=[{"date": date(2026, 6, 9), "skip": True},
                                     {"date": date(2026, 6, 11), "start": "14:00", "end": "15:00"}])
    days = {o["date"].day: o for o in occurrences}
    assert 9 not in days and len(occurrences) == 8
    assert days[11]["starts_at"] == at(11, "14:00") and days[11]["moved"]
    # count is counted before exceptions (as iCalendar's COUNT and EXDATE)
    counted = series(until_date=None, count=3, exceptions=[{"date": date(2026, 6, 4), "skip": True}])
    assert [o["date"].day for o in counted] == [2, 9]


def test_invalid_series():
    with pytest.raises(ValueError, match="not an occurrence"):
        series(exceptions=[{"date": date(2026, 6, 3), "skip": True}])
    with pytest.raises(ValueError, match="exactly one"):
        series(count=3)
    with pytest.raises(ValueError, match="after start"):
        series(start="20:00", end="19:00")
    with pytest.raises(ValueError, match="at most"):
        series(weekdays=[1, 2, 3, 4, 5, 6, 7], until_date=date(2026, 12, 31))
    with pytest.raises(ValueError, match="before first_date"):
        series(until_date=date(2026, 5, 1))
    with pytest.raises(ValueError, match="two exceptions"):
        series(exceptions=[{"date": date(2026, 6, 9), "skip": True}, {"date": date(2026, 6, 9), "skip": True}])
    assert domain.exception_problem({"date": date(2026, 6, 9), "skip": True, "start": "10:00"})
    assert domain.exception_problem({"date": date(2026, 6, 9), "skip": False})
    assert domain.exception_problem({"date": date(2026, 6, 9), "skip": False, "start": "10:00", "end": "11:00"}) is None


def test_series_keep_local_time_across_daylight_saving():
    occurrences = domain.expand_weekly(first_date=date(2026, 3, 23), weekdays=[1], start="19:00",
                                       end="20:00", tz="Europe/Berlin", count=2)
    assert [o["starts_at"].utcoffset() for o in occurrences] == [timedelta(hours=1), timedelta(hours=2)]
    assert {o["starts_at"].hour for o in occurrences} == {19}


# -- walking and service circles ----------------------------------------------------------------------


def test_walking_time_is_straight_line_times_detour_over_speed():
    assert domain.walking_minutes(800) == pytest.approx(800 * 1.3 / 80)
    assert domain.walking_minutes(800, speed=60, detour=1.0) == pytest.approx(800 / 60)
    assert domain.circle_radius_m(8) == pytest.approx(8 * 80 / 1.3)
    assert domain.walking_minutes(domain.circle_radius_m(15)) == pytest.approx(15)
    assert domain.walking_metres(100) == pytest.approx(130)


# -- figures --------------------------------------------------------------------------------------


def test_usage_figures():
    start, end = at(1, "00:00"), at(8, "00:00")

    def booking(status, day, hours=1, attendance=None, attendees=10, stars=None):
        return {"status": status, "starts_at": at(day, "10:00"), "ends_at": at(day, "10:00") + timedelta(hours=hours),
                "attendance": attendance, "attendees": attendees, "stars": stars}

    figures = domain.usage_figures([
        booking("completed", 1, 2, attendance=25, stars=5),
        booking("completed", 2, 1, stars=3),
        booking("checked_in", 3, 1, attendance=8),
        booking("no_show", 4, 1),
        booking("cancelled", 5, 3),
        booking("confirmed", 6, 1, stars=None),
    ], open_minutes=10 * 60, period_start=start, period_end=end)
    assert figures["booked_hours"] == 6 and figures["open_hours"] == 10 and figures["utilisation"] == 0.6
    assert figures["bookings"] == 5 and figures["cancelled"] == 1
    assert figures["activities_held"] == 3 and figures["people_served"] == 25 + 10 + 8
    assert figures["check_in_rate"] == 0.75 and figures["no_show_rate"] == 0.25
    assert figures["ratings"] == 2 and figures["average_rating"] == 4 and figures["satisfaction_rate"] == 0.5
    empty = domain.usage_figures([], 0, start, end)
    assert empty["utilisation"] is None and empty["average_rating"] is None


def test_periods():
    assert domain.month_periods(date(2026, 5, 20), date(2026, 7, 3)) == [
        (date(2026, 5, 20), date(2026, 5, 31)), (date(2026, 6, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 7, 3))]
    assert domain.month_periods(date(2026, 12, 5), date(2027, 1, 2))[1] == (date(2027, 1, 1), date(2027, 1, 2))
    first, last = domain.day_bounds(date(2026, 6, 1), date(2026, 6, 1), TZ)
    assert first == at(1, "00:00") and last == at(2, "00:00")


# -- state machines ---------------------------------------------------------------------------------

TRANSITIONS = {
    "approve": ({"requested"}, "confirmed"),
    "reject": ({"requested"}, "rejected"),
    "cancel": ({"requested", "confirmed", "waitlisted", "offered"}, "cancelled"),
    "suspend": ({"requested", "confirmed", "checked_in", "waitlisted", "offered"}, "cancelled"),
    "check in": ({"confirmed"}, "checked_in"),
    "mark no-show": ({"confirmed"}, "no_show"),
    "complete": ({"checked_in"}, "completed"),
    "expire": ({"requested", "waitlisted"}, "expired"),
    "offer": ({"waitlisted"}, "offered"),
    "accept": ({"offered"}, "confirmed"),
    "decline": ({"offered"}, "declined"),
    "lapse": ({"offered"}, "lapsed"),
}


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_booking_transition_valid_and_invalid(action):
    sources, target = TRANSITIONS[action]
    for state in sorted(domain.BOOKING.states()):
        if state in sources:
            assert domain.BOOKING.next(state, action) == target
        else:
            with pytest.raises(Conflict) as error:
                domain.BOOKING.next(state, action)
            assert error.value.details == {"status": state, "action": action}
            assert f"that is {state}" in error.value.message


def test_holding_statuses_match_the_exclusion_constraint():
    from importlib import import_module

    migration = import_module("services.venues.migrations.versions.0003_bookings")
    assert set(migration.HOLDING) == set(domain.HOLDING)
    assert set(migration.STATUSES) == domain.BOOKING.states()


def test_venue_room_series_and_emergency_machines():
    assert domain.VENUE.next("active", "close") == "closed"
    assert domain.VENUE.next("closed", "reopen") == "active"
    for action in ("update", "book", "add rooms to", "close"):
        with pytest.raises(Conflict, match="that is closed"):
            domain.VENUE.next("closed", action)
    with pytest.raises(Conflict):
        domain.VENUE.next("active", "reopen")
    assert domain.ROOM.next("active", "archive") == "archived"
    with pytest.raises(Conflict, match="cannot book a room that is archived"):
        domain.ROOM.next("archived", "book")
    assert domain.SERIES.next("active", "cancel") == "cancelled"
    with pytest.raises(Conflict):
        domain.SERIES.next("cancelled", "change")
    assert domain.EMERGENCY.next("active", "deactivate") == "ended"
    with pytest.raises(Conflict, match="cannot deactivate an emergency that is ended"):
        domain.EMERGENCY.next("ended", "deactivate")


def test_room_functions():
    assert domain.function_problem("basic", "public_service") is None
    assert domain.function_problem("basic", "舞蹈室")
    assert domain.function_problem("activity", "舞蹈室") is None
