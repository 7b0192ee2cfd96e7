"""Emergency mode (平战转换): a venue or a community subtree goes on duty — open bookings are
cancelled with events, venues become staging points with roles, booking is refused; switching
back restores booking. Overlapping activations, late venues and permissions."""

import pytest

from shared.errors import Conflict, Forbidden, ValidationError
from tests.integration.venues.support import T0, iso, local


@pytest.fixture
def district(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    other = vt.node("community", "青铜社区", t["street"])
    centre = vt.venue(t["community"], "白鱼潭社区党群服务中心")
    station = vt.venue(t["grid"], "白鱼潭红色驿站", kind="red_station", open_24h=True, opening_hours=None)
    library = vt.venue(other, "青铜城市书房", kind="study_room")
    rooms = {name: vt.room(v, name="活动室") for name, v in (("centre", centre), ("station", station),
                                                              ("library", library))}
    return {**t, "other": other, "centre": centre, "station": station, "library": library, "rooms": rooms}


def book(client, room, day, start, end, **fields):
    return client.create_booking({"room_id": room["id"], "starts_at": iso(local(day, start)),
                                  "ends_at": iso(local(day, end)), "purpose": "邻里节", **fields})


def test_a_community_switches_to_emergency_duty_and_back(vt, district, clock, outbox):
    resident = vt.resident(district["compound"], subject="user:resident")
    booked = [book(resident, district["rooms"]["centre"], 0, "10:00", "11:00"),
              book(resident, district["rooms"]["station"], 1, "10:00", "11:00"),
              book(vt.resident(district["compound"]), district["rooms"]["centre"], 0, "10:00", "11:00",
                   waitlist=True)]
    library_booking = book(resident, district["rooms"]["library"], 0, "10:00", "11:00")
    secretary = vt.secretary(district["community"])
    activation = secretary.activate_emergency({
        "node_id": district["community"]["id"], "reason": "防汛", "role": "assembly_point",
        "roles": [{"venue_id": district["station"]["id"], "role": "supply_depot"}]})
    assert activation["status"] == "active" and activation["scope"] == "subtree"
    assert activation["bookings_cancelled"] == 3
    roles = {v["name"]: v["role"] for v in activation["venues"]}
    assert roles == {"白鱼潭社区党群服务中心": "assembly_point", "白鱼潭红色驿站": "supply_depot"}
    for booking in booked:
        cancelled = vt.admin.get_booking(booking["id"])
        assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "emergency: 防汛"
    assert vt.admin.get_booking(library_booking["id"])["status"] == "confirmed"  # other community
    told = outbox.events(vt.slug, "booking_cancelled")
    assert {e["booking_id"] for e in told} == {b["id"] for b in booked}
    assert {e["reason"] for e in told} == {"emergency: 防汛"}
    (event,) = outbox.events(vt.slug, "emergency_activated")
    assert event["activation_id"] == activation["id"] and len(event["venues"]) == 2

    with pytest.raises(Conflict, match="emergency duty") as error:
        book(resident, district["rooms"]["centre"], 2, "10:00", "11:00")
    assert error.value.details["emergency_role"] == "assembly_point"
    on_duty = vt.resident(district["compound"]).venue_map({"on_emergency_duty": True})
    assert {f["properties"]["emergency_role"] for f in on_duty["features"]} == {"assembly_point", "supply_depot"}
    schedule = resident.get_room_schedule({"room_id": district["rooms"]["centre"]["id"],
                                           "starts_at": iso(local(0, "00:00")), "ends_at": iso(local(1, "00:00"))})
    assert schedule["bookable_now"] is False and schedule["busy"] == []

    changed = secretary.set_emergency_role({"activation_id": activation["id"], "venue_id": district["centre"]["id"],
                                            "role": "testing_site"})
    assert {v["name"]: v["role"] for v in changed["venues"]}["白鱼潭社区党群服务中心"] == "testing_site"
    assert vt.admin.get_venue(district["centre"]["id"])["emergency_role"] == "testing_site"

    ended = secretary.deactivate_emergency({"activation_id": activation["id"]})
    assert ended["status"] == "ended" and len(ended["venues_restored"]) == 2
    assert vt.admin.get_venue(district["centre"]["id"])["emergency_role"] is None
    assert book(resident, district["rooms"]["centre"], 2, "10:00", "11:00")["status"] == "confirmed"
    assert vt.admin.get_booking(booked[0]["id"])["status"] == "cancelled"  # cancellations stand
    with pytest.raises(Conflict, match="cannot deactivate an emergency that is ended"):
        secretary.deactivate_emergency({"activation_id": activation["id"]})
    assert "emergency_deactivated" in outbox.types(vt.slug)


def test_overlapping_activations_and_venues_placed_during_duty(vt, district):
    street = vt.secretary(district["street"])
    whole = street.activate_emergency({"node_id": district["street"]["id"], "reason": "疫情防控",
                                       "role": "testing_site"})
    assert len(whole["venues"]) == 3
    single = vt.admin.activate_emergency({"venue_id": district["centre"]["id"], "reason": "临时指挥部",
                                          "role": "command_post"})
    assert vt.admin.get_venue(district["centre"]["id"])["emergency_role"] == "command_post"
    late = vt.venue(district["grid"], "新建邻里中心", kind="neighbourhood_centre")
    assert late["emergency_role"] == "testing_site"  # placed inside a subtree on duty
    ended = street.deactivate_emergency({"activation_id": whole["id"]})
    assert district["centre"]["id"] not in ended["venues_restored"]  # still a command post
    assert vt.admin.get_venue(district["centre"]["id"])["emergency_role"] == "command_post"
    assert vt.admin.get_venue(district["library"]["id"])["emergency_role"] is None
    vt.admin.deactivate_emergency({"activation_id": single["id"]})
    assert vt.admin.get_venue(district["centre"]["id"])["emergency_role"] is None
    listed = street.list_emergencies({"status": "ended"})["items"]
    assert {a["id"] for a in listed} == {whole["id"], single["id"]}
    assert vt.admin.list_emergencies({"status": "active"})["items"] == []


def test_who_may_switch(vt, district):
    with pytest.raises(Forbidden):
        vt.secretary(district["other"]).activate_emergency({"node_id": district["community"]["id"], "reason": "x"})
    with pytest.raises(Forbidden):
        vt.resident(district["compound"]).activate_emergency({"venue_id": district["centre"]["id"], "reason": "x"})
    with pytest.raises(ValidationError):
        vt.admin.activate_emergency({"venue_id": district["centre"]["id"], "node_id": district["community"]["id"],
                                     "reason": "x"})
    with pytest.raises(ValidationError):
        vt.admin.activate_emergency({"venue_id": district["centre"]["id"], "reason": "x", "role": "casino"})
    with pytest.raises(ValidationError, match="invalid roles"):
        vt.admin.activate_emergency({"venue_id": district["centre"]["id"], "reason": "x",
                                     "roles": [{"venue_id": district["library"]["id"], "role": "rest_area"}]})
    activation = vt.secretary(district["community"]).activate_emergency(
        {"venue_id": district["centre"]["id"], "reason": "暴雨", "role": "rest_area"})
    with pytest.raises(Forbidden):
        vt.secretary(district["other"]).deactivate_emergency({"activation_id": activation["id"]})
    with pytest.raises(Forbidden):
        vt.secretary(district["other"]).get_emergency(activation["id"])
    assert vt.secretary(district["other"]).list_emergencies({})["items"] == []
    assert vt.secretary(district["street"]).get_emergency(activation["id"])["reason"] == "暴雨"
