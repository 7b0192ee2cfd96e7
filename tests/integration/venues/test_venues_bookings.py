"""Bookings through the real service: the room's rules (duration, grid, lead time, horizon,
opening hours, capacity, buffer, who may book), approval, cancellation, check-in, completion and
ratings, with the platform clock frozen."""

from datetime import timezone

import pytest

from shared.errors import Conflict, Forbidden, NotFound, ValidationError
from shared.testing.helpers import wait_for
from tests.integration.venues.support import T0, iso, local


@pytest.fixture
def centre(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    venue = vt.venue(t["community"], name="白鱼潭社区党群服务中心")
    room = vt.room(venue, name="多功能活动室", capacity=40, rules={"buffer_minutes": 15})
    return {**t, "venue": venue, "room": room}


def book(client, room, day, start, end, **fields):
    return client.create_booking({"room_id": room["id"], "starts_at": iso(local(day, start)),
                                  "ends_at": iso(local(day, end)), "purpose": "书画沙龙", **fields})


def test_a_resident_books_a_room_and_the_confirmation_is_emitted(vt, centre, outbox):
    resident = vt.resident(centre["compound"], subject="user:wang")
    booking = book(resident, centre["room"], 0, "10:00", "11:30", attendees=12)
    assert booking["status"] == "confirmed" and booking["booker"] == "user:wang"
    assert booking["booker_role"] == "resident" and booking["venue_name"] == "白鱼潭社区党群服务中心"
    assert booking["blocked_until"] == iso(local(0, "11:45").astimezone(timezone.utc))  # 15-min buffer
    (event,) = outbox.events(vt.slug, "booking_confirmed")
    assert event["booking_id"] == booking["id"] and event["node_path"] == centre["community"]["path"]
    assert event["starts_at"] == booking["starts_at"] and event["booker"] == "user:wang"
    assert resident.get_booking(booking["id"])["status"] == "confirmed"
    mine = resident.list_bookings({"mine": True})["items"]
    assert [b["id"] for b in mine] == [booking["id"]]


def test_the_rooms_rules_are_enforced_with_field_messages(vt, centre):
    resident = vt.resident(centre["compound"])
    cases = [
        (("10:00", "10:15"), {}, "ends_at", "at least 30 minutes"),
        (("10:00", "14:15"), {}, "ends_at", "at most 240 minutes"),
        (("10:05", "11:05"), {}, "starts_at", "15-minute grid"),
        (("08:30", "09:30"), {}, "starts_at", "60 minutes from now"),
        (("20:00", "21:30"), {}, "starts_at", "opening hours"),
        (("10:00", "11:00"), {"attendees": 41}, "attendees", "holds 40"),
    ]
    for (start, end), extra, field, message in cases:
        with pytest.raises(ValidationError) as error:
            book(resident, centre["room"], 0, start, end, **extra)
        assert any(message in m for m in error.value.fields[field]), (start, end, error.value.fields)
    with pytest.raises(ValidationError, match="invalid payload") as error:
        resident.create_booking({"room_id": centre["room"]["id"], "starts_at": "2026-06-01T10:00:00",
                                 "ends_at": "2026-06-01T11:00:00", "purpose": "x", "status": "confirmed"})
    assert set(error.value.fields) >= {"starts_at", "status"}  # no offset; server-owned field
    with pytest.raises(ValidationError) as error:
        book(resident, centre["room"], 31, "10:00", "11:00")
    assert "30 days ahead" in error.value.fields["starts_at"][0]


def test_the_buffer_keeps_the_room_free_after_a_booking(vt, centre):
    first = vt.resident(centre["compound"])
    second = vt.resident(centre["compound"])
    book(first, centre["room"], 0, "10:00", "11:00")
    with pytest.raises(Conflict, match="already booked") as error:
        book(second, centre["room"], 0, "11:00", "12:00")  # inside the 15-minute buffer
    assert error.value.details["constraint"] == "bookings_no_overlap"
    assert book(second, centre["room"], 0, "11:15", "12:00")["status"] == "confirmed"
    with pytest.raises(Conflict):
        book(second, centre["room"], 0, "09:15", "10:00")  # its own buffer runs into 10:00
    assert book(second, centre["room"], 0, "09:00", "09:45")["status"] == "confirmed"


def test_approval_flow(vt, centre, outbox):
    room = vt.room(centre["venue"], name="会议室", rules={"approval_required": True})
    resident = vt.resident(centre["compound"], subject="user:li")
    requested = book(resident, room, 1, "14:00", "16:00")
    assert requested["status"] == "requested"
    with pytest.raises(Conflict):  # a request holds the slot
        book(vt.resident(centre["compound"]), room, 1, "15:00", "16:00")
    with pytest.raises(Forbidden):
        resident.approve_booking({"booking_id": requested["id"]})
    secretary = vt.secretary(centre["community"])
    approved = secretary.approve_booking({"booking_id": requested["id"], "note": "同意"})
    assert approved["status"] == "confirmed" and approved["decision_note"] == "同意"
    with pytest.raises(Conflict, match="cannot approve a booking that is confirmed"):
        secretary.approve_booking({"booking_id": requested["id"]})
    other = book(resident, room, 2, "14:00", "16:00")
    rejected = secretary.reject_booking({"booking_id": other["id"], "note": "场地维修"})
    assert rejected["status"] == "rejected"
    assert book(vt.resident(centre["compound"]), room, 2, "14:00", "15:00")["status"] == "requested"
    # the venue's own managers are not asked to approve themselves
    assert book(secretary, room, 3, "09:00", "10:00")["status"] == "confirmed"
    types = outbox.types(vt.slug)
    assert types.count("booking_requested") == 3 and "booking_rejected" in types
    assert [e["reason"] for e in outbox.events(vt.slug, "booking_rejected")] == ["场地维修"]


def test_cancellation_by_the_booker_before_the_start_and_by_staff_until_the_end(vt, centre, clock, outbox):
    resident = vt.resident(centre["compound"], subject="user:zhao")
    booking = book(resident, centre["room"], 0, "10:00", "11:00")
    with pytest.raises(Forbidden):
        vt.resident(centre["compound"]).cancel_booking({"booking_id": booking["id"]})
    cancelled = resident.cancel_booking({"booking_id": booking["id"], "reason": "临时有事"})
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "临时有事"
    with pytest.raises(Conflict, match="that is cancelled"):
        resident.cancel_booking({"booking_id": booking["id"]})
    again = book(resident, centre["room"], 0, "10:00", "11:00")  # the slot is free again
    clock.advance(local(0, "10:05") - T0)
    with pytest.raises(Conflict, match="has started"):
        resident.cancel_booking({"booking_id": again["id"]})
    staff = vt.secretary(centre["community"]).cancel_booking({"booking_id": again["id"], "reason": "停电"})
    assert staff["status"] == "cancelled"
    assert [e["reason"] for e in outbox.events(vt.slug, "booking_cancelled")] == ["临时有事", "停电"]


def test_check_in_completion_and_rating(vt, centre, clock, outbox):
    resident = vt.resident(centre["compound"], subject="user:sun")
    booking = book(resident, centre["room"], 0, "10:00", "12:00", attendees=20)
    clock.advance(local(0, "09:20") - T0)
    with pytest.raises(Conflict, match="check-in opens at"):
        resident.check_in({"booking_id": booking["id"]})
    with pytest.raises(Conflict, match="not ended|took place"):
        resident.rate_booking({"booking_id": booking["id"], "stars": 5})
    clock.advance(local(0, "09:45") - local(0, "09:20"))
    grid_worker = vt.venues_as("grid_worker", scope=centre["grid"]["path"])
    with pytest.raises(Forbidden):  # the grid worker's scope is below the venue's community
        grid_worker.check_in({"booking_id": booking["id"]})
    checked = vt.venues_as("grid_worker", scope=centre["community"]["path"]).check_in(
        {"booking_id": booking["id"], "attendance": 23})
    assert checked["status"] == "checked_in" and checked["attendance"] == 23
    with pytest.raises(Conflict, match="cannot check in a booking that is checked_in"):
        resident.check_in({"booking_id": booking["id"]})
    clock.advance(local(0, "12:00") - local(0, "09:45"))
    assert vt.admin.run_sweeps()[vt.slug]["completed"] == 1
    with pytest.raises(Forbidden):
        vt.secretary(centre["community"]).rate_booking({"booking_id": booking["id"], "stars": 5})
    rated = resident.rate_booking({"booking_id": booking["id"], "stars": 4, "comment": "场地很好"})
    assert rated["status"] == "completed" and rated["rating"]["stars"] == 4
    with pytest.raises(Conflict, match="rated already"):
        resident.rate_booking({"booking_id": booking["id"], "stars": 5})
    with pytest.raises(ValidationError):
        resident.rate_booking({"booking_id": booking["id"], "stars": 6})
    assert outbox.events(vt.slug, "booking_rated")[0]["stars"] == 4
    assert outbox.events(vt.slug, "booking_completed")[0]["attendance"] == 23


def test_staff_complete_an_activity_early_with_attendance(vt, centre, clock):
    resident = vt.resident(centre["compound"])
    booking = book(resident, centre["room"], 0, "10:00", "12:00")
    clock.advance(local(0, "10:00") - T0)
    resident.check_in({"booking_id": booking["id"]})
    done = vt.secretary(centre["community"]).complete_booking({"booking_id": booking["id"], "attendance": 31})
    assert done["status"] == "completed" and done["attendance"] == 31
    with pytest.raises(Conflict, match="cannot complete a booking that is completed"):
        resident.complete_booking({"booking_id": booking["id"], "attendance": 1})
    # the rest of the slot is free again
    assert book(vt.resident(centre["compound"]), centre["room"], 0, "11:15", "12:00")["status"] == "confirmed"


def test_who_may_book(vt, centre):
    members_only = vt.room(centre["venue"], name="党员活动室",
                           rules={"bookable_by": ["party_member"], "audience": "community"})
    with pytest.raises(Forbidden, match="party_member"):
        book(vt.resident(centre["compound"]), members_only, 0, "10:00", "11:00")
    elsewhere = vt.tree(prefix="东林", lat=30.80)
    with pytest.raises(Forbidden, match="community"):
        book(vt.resident(elsewhere["compound"], role="party_member"), members_only, 0, "10:00", "11:00")
    with pytest.raises(Forbidden):  # a member without a home scope is not local
        book(vt.venues_as("party_member"), members_only, 0, "10:00", "11:00")
    local_member = vt.resident(centre["compound"], role="party_member")
    assert book(local_member, members_only, 0, "10:00", "11:00")["booker_role"] == "party_member"
    with pytest.raises(Forbidden, match="party_member"):
        book(vt.resident(centre["compound"], role="volunteer"), members_only, 0, "13:00", "14:00")
    assert book(vt.admin, members_only, 0, "14:00", "15:00")["booker_role"] == "tenant_admin"


def test_a_unit_books_through_its_liaison_once_reported_in(vt, centre):
    room = vt.room(centre["venue"], name="共建议事室",
                   rules={"bookable_by": ["unit_liaison"], "audience": "community"})
    stranger = vt.unit(name="外区公司")
    local_unit = vt.reported_unit(centre["community"], name="绿城物业", kind="property_company")
    vt.wait_for_replica(units=2)
    liaison = vt.venues_as("unit_liaison", unit_id=local_unit["id"], subject="user:liaison-lv")
    with pytest.raises(Forbidden):  # booking for another unit
        book(liaison, room, 0, "10:00", "11:00", unit_id=stranger["id"])
    with pytest.raises(Forbidden):  # the unit liaison role books only for a unit
        book(liaison, room, 0, "10:00", "11:00")
    outsider = vt.venues_as("unit_liaison", unit_id=stranger["id"])
    with pytest.raises(Forbidden, match="community"):  # not reported in to this community
        book(outsider, room, 0, "10:00", "11:00", unit_id=stranger["id"])
    vt.wait_for_replica(units=2, reported_units=1)  # the report-in arrives through its own event
    booking = book(liaison, room, 0, "10:00", "11:00", unit_id=local_unit["id"], organiser="绿城物业党支部")
    assert booking["unit_id"] == local_unit["id"] and booking["organiser"] == "绿城物业党支部"
    colleague = vt.venues_as("unit_liaison", unit_id=local_unit["id"], subject="user:liaison-2")
    assert colleague.get_booking(booking["id"])["id"] == booking["id"]  # any liaison of the unit
    assert colleague.cancel_booking({"booking_id": booking["id"]})["status"] == "cancelled"
    # the unit withdraws its report-in: it is no longer one of the community's units
    (report,) = vt.org.list_report_ins({"unit_id": local_unit["id"]})["items"]
    vt.org.withdraw_report_in({"report_id": report["id"]})
    wait_for(lambda: vt.admin.get_replica_status()["reported_units"] == 0, message="the withdrawal")
    with pytest.raises(Forbidden, match="community"):
        book(liaison, room, 1, "10:00", "11:00", unit_id=local_unit["id"])


def test_room_states_and_limits(vt, centre, outbox):
    room = vt.room(centre["venue"], name="舞蹈室", rules={"max_open_per_booker": 1})
    resident = vt.resident(centre["compound"])
    book(resident, room, 0, "10:00", "11:00")
    with pytest.raises(Conflict, match="at most 1 open"):
        book(resident, room, 1, "10:00", "11:00")
    closed = vt.admin.update_room({"room_id": room["id"], "bookable": False})
    assert closed["bookable"] is False
    with pytest.raises(Conflict, match="not open for booking"):
        book(vt.resident(centre["compound"]), room, 2, "10:00", "11:00")
    archived = vt.admin.archive_room({"room_id": room["id"]})
    assert archived["status"] == "archived" and archived["bookings_cancelled"] == 1
    with pytest.raises(Conflict, match="cannot book a room that is archived"):
        book(resident, room, 3, "10:00", "11:00")
    assert outbox.events(vt.slug, "booking_cancelled")[-1]["reason"] == "room_archived"
    with pytest.raises(NotFound):
        book(resident, {"id": "00000000-0000-0000-0000-000000000000"}, 0, "10:00", "11:00")


def test_a_retried_booking_with_the_same_idempotency_key_books_once(vt, centre, rpc_client, tokens, outbox):
    token = tokens.make(vt.slug, "resident", scope=centre["compound"]["path"], subject="user:retry")
    first = rpc_client(vt.slug, token, idempotency_key="booking-42").venues
    second = rpc_client(vt.slug, token, idempotency_key="booking-42").venues
    a = book(first, centre["room"], 0, "10:00", "11:00")
    b = book(second, centre["room"], 0, "10:00", "11:00")
    assert a["id"] == b["id"]
    assert len(outbox.events(vt.slug, "booking_confirmed")) == 1
    with pytest.raises(Conflict, match="different payload"):
        book(second, centre["room"], 0, "10:00", "11:30")
