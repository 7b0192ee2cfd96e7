"""Personal data (PIPL) in venues: a person's bookings, waitlist entries, series and ratings are
exported, then anonymised — organiser names, their own comments and cancellation reasons gone
from the raw rows, the booker replaced by one pseudonym — while utilisation and satisfaction add
up as before; erasing twice changes nothing more; only tenant admins (and operators) may ask;
tenants stay apart."""

import json

import pytest

from shared.errors import Conflict, Forbidden, ValidationError
from shared.personal_data import ERASED_NAME
from tests.integration.personal_data_support import RawRows, new_person, without_audit
from tests.integration.venues.support import T0, VenueTenant, iso, local

ORGANISER = "张伟"
MONTH = {"from_date": "2026-06-01", "to_date": "2026-06-30"}


@pytest.fixture
def raw(gj_config):
    reader = RawRows(gj_config, "venues")
    yield reader
    reader.close()


@pytest.fixture
def centre(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    venue = vt.venue(t["community"], name="白鱼潭社区党群服务中心")
    hall = vt.room(venue, name="多功能活动室", capacity=40)
    studio = vt.room(venue, name="舞蹈室", capacity=25)
    person_id, subject = new_person()
    return {**t, "venue": venue, "hall": hall, "studio": studio, "person_id": person_id, "subject": subject,
            "person": vt.resident(t["compound"], subject=subject),
            "neighbour": vt.resident(t["compound"], subject="user:neighbour")}


def book(client, room, day, start, end, **fields):
    payload = {"room_id": room["id"], "starts_at": iso(local(day, start)), "ends_at": iso(local(day, end)),
               "purpose": "书法沙龙"}
    payload.update(fields)
    return client.create_booking(payload)


def _a_month_of_use(vt, centre, clock):
    """The person holds an activity (checked in, rated), cancels another, waits for a taken slot
    and runs a weekly series; a neighbour books too."""
    person, neighbour = centre["person"], centre["neighbour"]
    held = book(person, centre["hall"], 1, "10:00", "12:00", attendees=20, organiser=ORGANISER)
    dropped = book(person, centre["hall"], 3, "10:00", "11:00", organiser=ORGANISER)
    person.cancel_booking({"booking_id": dropped["id"], "reason": "家里有事去不了"})
    theirs = book(neighbour, centre["hall"], 2, "10:00", "11:00", attendees=8, organiser="李四")
    waiting = book(person, centre["hall"], 2, "10:00", "11:00", waitlist=True)
    series = person.create_series({
        "room_id": centre["studio"]["id"], "purpose": "广场舞排练", "weekdays": [2, 4], "start": "19:00",
        "end": "20:30", "first_date": "2026-06-01", "until_date": "2026-06-30", "organiser": ORGANISER})
    clock.freeze(local(1, "10:00"))
    person.check_in({"booking_id": held["id"], "attendance": 18})
    clock.freeze(local(1, "12:30"))
    vt.admin.run_sweeps()
    person.rate_booking({"booking_id": held["id"], "stars": 5, "comment": f"{ORGANISER}觉得很好"})
    assert waiting["status"] == "waitlisted"
    return {"held": held, "dropped": dropped, "theirs": theirs, "waiting": waiting, "series": series}


def test_export_then_erase_a_booker(vt, centre, clock, raw):
    pid = centre["person_id"]
    made = _a_month_of_use(vt, centre, clock)
    stats_before = vt.admin.venue_stats({"venue_id": centre["venue"]["id"], **MONTH})
    occurrences = len(made["series"]["occurrences"])
    assert occurrences == 9  # Tuesdays and Thursdays of June 2026

    exported = vt.admin.export_personal_data({"person_id": pid})
    json.dumps(exported)
    assert exported["service"] == "venues" and exported["person_id"] == pid
    sections = exported["sections"]
    assert set(without_audit(sections)) == {"bookings", "waitlist", "series", "booking_ratings", "references"}
    bookings = {b["id"]: b for b in sections["bookings"]}
    assert len(bookings) == 2 + occurrences and made["theirs"]["id"] not in bookings
    held = bookings[made["held"]["id"]]
    assert held["organiser"] == ORGANISER and held["status"] == "completed" and held["attendance"] == 18
    assert held["room_name"] == "多功能活动室" and held["starts_at"] == iso(local(1, "10:00").astimezone(T0.tzinfo))
    assert "seq" not in held
    assert bookings[made["dropped"]["id"]]["cancel_reason"] == "家里有事去不了"
    assert [w["id"] for w in sections["waitlist"]] == [made["waiting"]["id"]]
    (series,) = sections["series"]
    assert series["id"] == made["series"]["id"] and series["organiser"] == ORGANISER
    (rating,) = sections["booking_ratings"]
    assert rating == {"booking_id": made["held"]["id"], "stars": 5, "comment": f"{ORGANISER}觉得很好",
                      "rated_by": centre["subject"], "rated_at": rating["rated_at"]}
    assert sorted((r["table"], r["column"]) for r in sections["references"]) == [
        ("bookings", "cancelled_by"), ("bookings", "checked_in_by")]

    raw.wait_published(vt.slug)  # delivered booking events name the booker: erasure drops them
    erased = vt.admin.erase_personal_data({"person_id": pid})
    counts = dict(erased["erased"])
    assert counts.pop("outbox_events") > 0
    assert counts == {"bookings": 2 + occurrences, "waitlist": 1, "series": 1, "booking_ratings": 1,
                      "references": 2, "idempotency_responses": 0}

    for needle in (pid, ORGANISER, "家里有事去不了"):
        assert raw.traces(vt.slug, needle) == {}, needle
    rows = {r["id"]: r for r in raw.rows(vt.slug, "bookings")}
    alias = rows[made["held"]["id"]]["booker"]
    assert alias.startswith("erased:")
    mine = [r for r in rows.values() if r["booker"] == alias]
    assert len(mine) == 3 + occurrences and all(r["organiser"] in (ERASED_NAME, None) for r in mine)
    assert rows[made["held"]["id"]]["attendance"] == 18 and rows[made["held"]["id"]]["purpose"] == "书法沙龙"
    assert rows[made["held"]["id"]]["checked_in_by"] == alias
    assert rows[made["dropped"]["id"]]["cancel_reason"] is None and rows[made["dropped"]["id"]]["cancelled_by"] == alias
    assert rows[made["waiting"]["id"]]["status"] == "waitlisted"
    assert rows[made["theirs"]["id"]]["booker"] == "user:neighbour" and rows[made["theirs"]["id"]]["organiser"] == "李四"
    (series_row,) = raw.rows(vt.slug, "booking_series")
    assert series_row["booker"] == alias and series_row["organiser"] == ERASED_NAME
    (rating_row,) = raw.rows(vt.slug, "booking_ratings")
    assert rating_row["rated_by"] == alias and rating_row["stars"] == 5 and rating_row["comment"] is None

    # Utilisation and satisfaction add up as before; the room is still held where it was booked.
    assert vt.admin.venue_stats({"venue_id": centre["venue"]["id"], **MONTH}) == stats_before
    with pytest.raises(Conflict, match="already booked"):
        book(centre["neighbour"], centre["studio"], 1, "19:00", "20:00")

    after = vt.admin.export_personal_data({"person_id": pid})["sections"]
    assert set(after) == set(sections) and all(rows == [] for rows in without_audit(after).values())
    again = vt.admin.erase_personal_data({"person_id": pid})
    assert again["erased"] == {key: 0 for key in erased["erased"]}
    assert {r["id"]: r for r in raw.rows(vt.slug, "bookings")} == rows


def test_a_staff_person_is_pseudonymised_where_they_acted(vt, centre, raw):
    pid, subject = centre["person_id"], centre["subject"]
    secretary = vt.venues_as("community_secretary", scope=centre["community"]["path"], subject=subject)
    room = vt.room(centre["venue"], name="会议室", rules={"approval_required": True})
    request = book(centre["neighbour"], room, 1, "10:00", "11:00")
    secretary.approve_booking({"booking_id": request["id"], "note": "同意"})
    sections = vt.admin.export_personal_data({"person_id": pid})["sections"]
    assert sections["bookings"] == [] and sections["references"] == [{
        "table": "bookings", "key": {"id": request["id"]}, "column": "decided_by",
        "at": sections["references"][0]["at"]}]
    erased = vt.admin.erase_personal_data({"person_id": pid})["erased"]
    assert erased["references"] == 1 and erased["bookings"] == 0
    (row,) = raw.rows(vt.slug, "bookings", "id = :id", id=request["id"])
    assert row["decided_by"].startswith("erased:") and row["decision_note"] == "同意"
    assert row["booker"] == "user:neighbour" and row["status"] == "confirmed"


def test_only_tenant_admins_and_operators(vt, centre, rpc_client, tokens):
    payload = {"person_id": centre["person_id"]}
    book(centre["person"], centre["hall"], 1, "10:00", "11:00")
    for client in (centre["person"], vt.secretary(centre["community"]), vt.venues_as("grid_worker")):
        with pytest.raises(Forbidden):
            client.export_personal_data(payload)
        with pytest.raises(Forbidden):
            client.erase_personal_data(payload)
    operator = rpc_client(vt.slug, tokens.operator()).venues
    assert len(operator.export_personal_data(payload)["sections"]["bookings"]) == 1


def test_bad_payloads_are_refused(vt):
    for payload, field in (({"person_id": "42"}, "person_id"), ({}, "person_id"),
                           ({"person_id": "8f1e6a4e-3f5b-4c1a-9d2e-1b2c3d4e5f60", "booker": "x"}, "booker")):
        for method in (vt.admin.export_personal_data, vt.admin.erase_personal_data):
            with pytest.raises(ValidationError) as error:
                method(payload)
            assert field in error.value.fields, (payload, error.value.fields)


def test_tenants_stay_apart(vt, centre, onboard, rpc_client, tokens):
    pid = centre["person_id"]
    booking = book(centre["person"], centre["hall"], 1, "10:00", "11:00", organiser=ORGANISER)
    other = VenueTenant(onboard()["slug"], rpc_client, tokens)
    assert all(rows == [] for rows in other.admin.export_personal_data({"person_id": pid})["sections"].values())
    assert all(n == 0 for n in other.admin.erase_personal_data({"person_id": pid})["erased"].values())
    crossing = rpc_client(vt.slug, tokens.make(other.slug, "tenant_admin")).venues
    with pytest.raises(Forbidden):
        crossing.export_personal_data({"person_id": pid})
    with pytest.raises(Forbidden):
        crossing.erase_personal_data({"person_id": pid})
    (mine,) = vt.admin.export_personal_data({"person_id": pid})["sections"]["bookings"]
    assert mine["id"] == booking["id"] and mine["organiser"] == ORGANISER
