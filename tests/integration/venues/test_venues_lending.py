"""Shared spaces lent by resident units under co-building agreements (Huayin's shared venues and
parking): the agreement reaches venues through organizations' events; a lent room is bookable
only while the agreement is signed and valid and only inside its windows; the unit's liaison
manages its lent spaces; changed or terminated agreements cancel the bookings they no longer
allow."""

import pytest

from shared.errors import Conflict, Forbidden, NotFound, ValidationError
from shared.testing.helpers import wait_for
from tests.integration.venues.support import T0, iso, local

SATURDAY, SUNDAY = 5, 6  # days after Monday 1 June 2026


@pytest.fixture
def lent(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    unit = vt.reported_unit(t["community"], name="华阴市文化馆", kind="agency")
    agreement = vt.org.create_agreement({
        "unit_id": unit["id"], "community_id": t["community"]["id"], "title": "文化馆共建协议",
        "valid_from": "2026-06-01", "valid_until": "2026-12-31",
        "resources": [
            {"kind": "space", "name": "文化活动共享空间", "quantity": 1,
             "windows": [{"weekday": 6, "start": "09:00", "end": "17:00"},
                         {"weekday": 7, "start": "09:00", "end": "12:00"}]},
            {"kind": "parking", "name": "文化馆共享停车场", "quantity": 40,
             "windows": [{"weekday": d, "start": "18:00", "end": "24:00"} for d in range(1, 8)]},
            {"kind": "funding", "name": "活动经费", "quantity": 1}]})
    vt.org.sign_agreement({"agreement_id": agreement["id"]})
    vt.wait_for_replica(signed_agreements=1, lent_resources=3)
    space, parking, funding = agreement["resources"]
    liaison = vt.venues_as("unit_liaison", unit_id=unit["id"], subject="user:wenhuaguan")
    return {**t, "unit": unit, "agreement": agreement, "space": space, "parking": parking,
            "funding": funding, "liaison": liaison}


def shared_space(vt, lent, client=None, **fields):
    payload = {"kind": "shared_space", "agreement_id": lent["agreement"]["id"],
               "resource_id": lent["space"]["resource_id"], "opening_hours": None}
    payload.update(fields)
    return vt.venue(lent["community"], "文化馆共享空间", client=client or lent["liaison"], **payload)


def book(client, room, day, start, end):
    return client.create_booking({"room_id": room["id"], "starts_at": iso(local(day, start)),
                                  "ends_at": iso(local(day, end)), "purpose": "老腔排练"})


def test_a_unit_lends_a_space_bookable_only_inside_its_windows(vt, lent, outbox):
    venue = shared_space(vt, lent)
    assert venue["lender_unit_id"] == lent["unit"]["id"] and venue["lender_unit_name"] == "华阴市文化馆"
    assert venue["opening_hours"] == [{"weekday": 6, "open": "09:00", "close": "17:00"},
                                      {"weekday": 7, "open": "09:00", "close": "12:00"}]  # from the windows
    room = vt.room(venue, name="共享活动室", client=lent["liaison"], resource_id=lent["space"]["resource_id"])
    resident = vt.resident(lent["compound"])
    assert book(resident, room, SATURDAY, "10:00", "12:00")["status"] == "confirmed"
    with pytest.raises(ValidationError, match="opening hours|lending"):
        book(resident, room, SUNDAY, "11:00", "13:00")
    # the venue's hours may be wider than the windows: the windows still rule
    lent["liaison"].update_venue({"venue_id": venue["id"], "open_24h": True})
    with pytest.raises(ValidationError) as error:
        book(resident, room, SUNDAY, "11:00", "13:00")
    assert "windows the unit lends" in error.value.fields["starts_at"][0]
    with pytest.raises(ValidationError) as error:
        book(resident, room, 2, "10:00", "11:00")  # a Wednesday
    assert "windows" in error.value.fields["starts_at"][0]
    schedule = resident.get_room_schedule({"room_id": room["id"], "starts_at": iso(local(0, "00:00")),
                                           "ends_at": iso(local(7, "00:00"))})
    assert schedule["lending"]["status"] == "signed" and len(schedule["lending"]["windows"]) == 2


def test_the_lending_unit_manages_its_space_and_nobody_elses(vt, lent):
    venue = shared_space(vt, lent)
    other_unit = vt.reported_unit(lent["community"], name="岳庙税务所", kind="agency")
    stranger = vt.venues_as("unit_liaison", unit_id=other_unit["id"])
    with pytest.raises(Forbidden):
        stranger.update_venue({"venue_id": venue["id"], "description": "改"})
    with pytest.raises(Forbidden):
        shared_space(vt, lent, client=stranger)
    room = vt.room(venue, client=lent["liaison"], resource_id=lent["space"]["resource_id"],
                   rules={"approval_required": True})
    request = book(vt.resident(lent["compound"]), room, SATURDAY, "09:00", "10:00")
    assert request["status"] == "requested"
    assert lent["liaison"].approve_booking({"booking_id": request["id"]})["status"] == "confirmed"
    with pytest.raises(ValidationError, match="invalid resource"):
        vt.room(venue, client=lent["liaison"], resource_id=lent["funding"]["resource_id"])
    with pytest.raises(Forbidden):  # staff of another community may not place it
        other = vt.node("community", "双泉社区", lent["street"])
        vt.secretary(other).create_venue({
            "name": "x", "kind": "shared_space", "node_id": lent["community"]["id"], "address": "华阴市",
            "location": {"lat": 34.5, "lng": 110.1}, "area_m2": 80, "agreement_id": lent["agreement"]["id"]})
    with pytest.raises(ValidationError):  # lent kinds name their agreement
        vt.venue(lent["community"], "无协议共享空间", kind="shared_space")
    with pytest.raises(NotFound):
        vt.venue(lent["community"], "未知协议", kind="shared_space",
                 agreement_id="00000000-0000-0000-0000-000000000000")


def test_changed_and_terminated_agreements_cancel_what_they_no_longer_allow(vt, lent, outbox):
    venue = shared_space(vt, lent)
    room = vt.room(venue, client=lent["liaison"], resource_id=lent["space"]["resource_id"])
    resident = vt.resident(lent["compound"])
    morning = book(resident, room, SATURDAY, "09:00", "10:00")
    afternoon = book(resident, room, SATURDAY, "14:00", "16:00")
    sunday = book(resident, room, SUNDAY, "09:00", "11:00")
    space = lent["space"]
    vt.org.update_agreement({"agreement_id": lent["agreement"]["id"], "resources": [
        {"resource_id": space["resource_id"], "kind": "space", "name": space["name"], "quantity": 1,
         "windows": [{"weekday": 6, "start": "09:00", "end": "12:00"},
                     {"weekday": 7, "start": "09:00", "end": "12:00"}]},
        {"resource_id": lent["parking"]["resource_id"], "kind": "parking", "name": "停车场", "quantity": 40}]})
    wait_for(lambda: vt.admin.get_booking(afternoon["id"])["status"] == "cancelled",
             message="the afternoon booking to be cancelled")
    assert vt.admin.get_booking(afternoon["id"])["cancel_reason"] == "lending_withdrawn"
    assert vt.admin.get_booking(morning["id"])["status"] == "confirmed"
    assert vt.admin.get_booking(sunday["id"])["status"] == "confirmed"
    with pytest.raises(ValidationError):
        book(resident, room, SATURDAY, "13:00", "14:00")

    vt.org.terminate_agreement({"agreement_id": lent["agreement"]["id"], "reason": "场馆改造"})
    wait_for(lambda: vt.admin.get_booking(morning["id"])["status"] == "cancelled",
             message="bookings of the terminated agreement to be cancelled")
    assert vt.admin.get_booking(sunday["id"])["status"] == "cancelled"
    with pytest.raises(Conflict, match="agreement is terminated"):
        book(resident, room, SATURDAY, "09:00", "10:00")
    reasons = [e["reason"] for e in outbox.events(vt.slug, "booking_cancelled")]
    assert reasons == ["lending_withdrawn"] * 3


def test_shared_parking_on_the_map(vt, lent):
    parking = vt.venue(lent["community"], "文化馆共享停车场", kind="shared_parking", client=lent["liaison"],
                       agreement_id=lent["agreement"]["id"], resource_id=lent["parking"]["resource_id"],
                       opening_hours=None, amenities=["parking", "ev_charging"])
    assert parking["opening_hours"][0] == {"weekday": 1, "open": "18:00", "close": "24:00"}
    features = vt.resident(lent["compound"]).venue_map({"kinds": ["shared_parking"]})["features"]
    assert [f["properties"]["lender_unit_id"] for f in features] == [lent["unit"]["id"]]
