"""The sweep with a controllable clock: no-shows are released after the grace period (and the
rest of the slot goes to the waitlist), checked-in activities complete, unapproved requests and
stale waitlist entries expire; a second run changes nothing."""

from datetime import datetime, timedelta

import pytest

from shared.errors import Conflict, Forbidden
from tests.integration.venues.support import T0, iso, local


@pytest.fixture
def centre(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    venue = vt.venue(t["community"], name="白鱼潭社区党群服务中心")
    room = vt.room(venue, name="多功能厅", rules={"checkin_grace_minutes": 10})
    return {**t, "venue": venue, "room": room}


def book(client, room, start, end, day=0, **fields):
    return client.create_booking({"room_id": room["id"], "starts_at": iso(local(day, start)),
                                  "ends_at": iso(local(day, end)), "purpose": "健康讲座", **fields})


def test_no_show_release_with_a_frozen_clock(vt, centre, clock, outbox):
    resident = vt.resident(centre["compound"], subject="user:absent")
    booking = book(resident, centre["room"], "10:00", "12:00")
    waiting = vt.resident(centre["compound"], subject="user:waiting")
    later = book(waiting, centre["room"], "11:00", "12:00", waitlist=True)
    assert later["status"] == "waitlisted"

    clock.advance(local(0, "10:10") - T0)  # the last minute of grace
    assert vt.admin.run_sweeps()[vt.slug]["no_shows_released"] == 0
    clock.advance(timedelta(minutes=1))
    result = vt.admin.run_sweeps()[vt.slug]
    assert result["no_shows_released"] == 1
    released = resident.get_booking(booking["id"])
    assert released["status"] == "no_show"
    assert datetime.fromisoformat(released["no_show_at"]) == local(0, "10:11")
    with pytest.raises(Conflict, match="cannot check in a booking that is no_show"):
        resident.check_in({"booking_id": booking["id"]})
    (event,) = outbox.events(vt.slug, "booking_no_show")
    assert event["booking_id"] == booking["id"]
    # the rest of the released slot is offered to the waitlist
    assert waiting.get_booking(later["id"])["status"] == "offered"
    assert vt.admin.run_sweeps()[vt.slug] == {"offers_lapsed": 0, "no_shows_released": 0, "completed": 0,
                                             "expired": 0}
    # and a walk-in may take what nobody waits for
    assert book(vt.resident(centre["compound"]), centre["room"], "10:30", "11:00", day=1)["status"] == "confirmed"


def test_a_checked_in_booking_is_not_released_and_completes_at_its_end(vt, centre, clock, outbox):
    resident = vt.resident(centre["compound"])
    booking = book(resident, centre["room"], "10:00", "11:00")
    clock.advance(local(0, "10:05") - T0)
    resident.check_in({"booking_id": booking["id"]})
    clock.advance(timedelta(minutes=30))
    assert vt.admin.run_sweeps()[vt.slug]["no_shows_released"] == 0
    clock.advance(timedelta(minutes=25))  # 11:00
    assert vt.admin.run_sweeps()[vt.slug]["completed"] == 1
    assert resident.get_booking(booking["id"])["status"] == "completed"
    assert [e["event_type"] for e in outbox.events(vt.slug) if e.get("booking_id") == booking["id"]] == [
        "booking_confirmed", "booking_checked_in", "booking_completed"]


def test_requests_and_waitlist_entries_expire_at_the_start(vt, centre, clock, outbox):
    room = vt.room(centre["venue"], name="会议室", rules={"approval_required": True})
    request = book(vt.resident(centre["compound"]), room, "14:00", "15:00")
    holder = book(vt.resident(centre["compound"]), centre["room"], "14:00", "15:00")
    queued = book(vt.resident(centre["compound"]), centre["room"], "14:00", "15:00", waitlist=True)
    clock.advance(local(0, "14:00") - T0)
    assert vt.admin.run_sweeps()[vt.slug]["expired"] == 2
    assert vt.admin.get_booking(request["id"])["status"] == "expired"
    assert vt.admin.get_booking(queued["id"])["status"] == "expired"
    assert vt.admin.get_booking(holder["id"])["status"] == "confirmed"
    assert {e["booking_id"] for e in outbox.events(vt.slug, "booking_expired")} == {request["id"], queued["id"]}


def test_who_may_run_the_sweep(vt, centre, operator, rpc_client, tokens):
    with pytest.raises(Forbidden):
        vt.secretary(centre["community"]).run_sweeps()
    everyone = rpc_client(token=tokens.operator()).venues.run_sweeps()
    assert vt.slug in everyone
