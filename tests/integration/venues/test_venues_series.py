"""Recurring weekly bookings: expansion with exceptions, clashes (all-or-nothing or skipped),
skipping or moving one occurrence, cancelling the rest of a series."""

from datetime import date

import pytest

from shared.errors import Conflict, Forbidden, ValidationError
from tests.integration.venues.support import T0, iso, local


@pytest.fixture
def centre(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    venue = vt.venue(t["community"], name="白鱼潭社区党群服务中心")
    room = vt.room(venue, name="舞蹈室", capacity=25)
    return {**t, "venue": venue, "room": room}


def weekly(client, room, **fields):
    payload = {"room_id": room["id"], "purpose": "广场舞排练", "weekdays": [2, 4], "start": "19:00",
               "end": "20:30", "first_date": "2026-06-01", "until_date": "2026-06-30"}
    payload.update(fields)
    return client.create_series(payload)


def test_a_weekly_series_with_exceptions(vt, centre, outbox):
    resident = vt.resident(centre["compound"], subject="user:dance")
    series = weekly(resident, centre["room"], exceptions=[
        {"date": "2026-06-09", "skip": True}, {"date": "2026-06-11", "start": "14:00", "end": "15:30"}])
    dates = [o["date"] for o in series["occurrences"]]
    assert dates == ["2026-06-02", "2026-06-04", "2026-06-11", "2026-06-16", "2026-06-18", "2026-06-23",
                     "2026-06-25", "2026-06-30"]
    moved = next(o for o in series["occurrences"] if o["date"] == "2026-06-11")
    assert moved["starts_at"] == iso(local(10, "14:00").astimezone(T0.tzinfo))
    assert {o["status"] for o in series["occurrences"]} == {"confirmed"}
    assert series["skipped"] == [{"date": "2026-06-09", "skip": True}]
    (created,) = outbox.events(vt.slug, "series_created")
    assert created["occurrences"] == 8 and created["series_id"] == series["id"]
    assert len(outbox.events(vt.slug, "booking_confirmed")) == 8
    listed = resident.list_bookings({"series_id": series["id"], "limit": 5})
    assert len(listed["items"]) == 5 and listed["next_cursor"]
    rest = resident.list_bookings({"series_id": series["id"], "limit": 5, "cursor": listed["next_cursor"]})
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None


def test_rules_apply_to_every_occurrence(vt, centre):
    resident = vt.resident(centre["compound"])
    with pytest.raises(ValidationError) as error:
        weekly(resident, centre["room"], start="20:00", end="22:00")  # closes at 21:00
    assert set(error.value.fields["occurrences"]) == {"2026-06-02", "2026-06-04", "2026-06-09", "2026-06-11",
                                                      "2026-06-16", "2026-06-18", "2026-06-23", "2026-06-25",
                                                      "2026-06-30"}
    with pytest.raises(ValidationError, match="invalid series"):
        weekly(resident, centre["room"], exceptions=[{"date": "2026-06-03", "skip": True}])
    with pytest.raises(ValidationError) as error:
        weekly(resident, centre["room"], count=4)  # both until_date and count
    assert "until_date" in error.value.fields
    with pytest.raises(ValidationError) as error:
        weekly(resident, centre["room"], until_date="2027-01-31")  # beyond the series horizon
    assert "182 days ahead" in str(error.value.fields["occurrences"])


def test_clashes_fail_the_whole_series_or_are_skipped(vt, centre, outbox):
    other = vt.resident(centre["compound"])
    other.create_booking({"room_id": centre["room"]["id"], "starts_at": iso(local(15, "19:30")),
                          "ends_at": iso(local(15, "20:00")), "purpose": "合唱"})
    resident = vt.resident(centre["compound"])
    with pytest.raises(Conflict, match="clash") as error:
        weekly(resident, centre["room"])
    assert error.value.details["dates"] == ["2026-06-16"]
    assert outbox.events(vt.slug, "series_created") == []  # all or nothing
    series = weekly(resident, centre["room"], on_conflict="skip")
    assert len(series["occurrences"]) == 8
    assert series["skipped"] == [{"date": "2026-06-16", "skip": True, "reason": "clash"}]
    assert outbox.events(vt.slug, "series_created")[0]["skipped_dates"] == ["2026-06-16"]


def test_skip_move_and_cancel(vt, centre, clock, outbox):
    resident = vt.resident(centre["compound"], subject="user:choir")
    series = weekly(resident, centre["room"], until_date=None, count=6)
    sid = series["id"]
    skipped = resident.change_occurrence({"series_id": sid, "date": "2026-06-04", "skip": True})
    by_date = {o["date"]: o["status"] for o in skipped["occurrences"]}
    assert by_date["2026-06-04"] == "cancelled"
    moved = resident.change_occurrence({"series_id": sid, "date": "2026-06-09", "start": "09:00", "end": "10:30"})
    nine = [o for o in moved["occurrences"] if o["date"] == "2026-06-09"]
    assert sorted(o["status"] for o in nine) == ["cancelled", "confirmed"]
    assert any(o["starts_at"] == iso(local(8, "09:00").astimezone(T0.tzinfo)) and o["status"] == "confirmed"
               for o in nine)
    with pytest.raises(ValidationError):
        resident.change_occurrence({"series_id": sid, "date": "2026-06-10", "skip": True})
    with pytest.raises(Forbidden):
        vt.resident(centre["compound"]).change_occurrence({"series_id": sid, "date": "2026-06-11", "skip": True})
    clock.advance(local(9, "12:00") - T0)  # Wednesday 10 June
    cancelled = resident.cancel_series({"series_id": sid, "reason": "暑假停课"})
    assert cancelled["status"] == "cancelled"
    statuses = {o["date"]: o["status"] for o in cancelled["occurrences"] if o["date"] != "2026-06-09"}
    assert statuses == {"2026-06-02": "confirmed", "2026-06-04": "cancelled", "2026-06-11": "cancelled",
                        "2026-06-16": "cancelled", "2026-06-18": "cancelled"}
    with pytest.raises(Conflict, match="cannot cancel a series that is cancelled"):
        resident.cancel_series({"series_id": sid})
    assert outbox.events(vt.slug, "series_cancelled")[0]["occurrences"] == 3
    assert resident.get_series(sid)["status"] == "cancelled"
    assert date.fromisoformat(cancelled["first_date"]) == date(2026, 6, 1)
