"""Payload validation of the venues service without a broker: field messages for bad venues,
rooms, bookings, series, map queries and emergency activations; server-owned fields refused;
money only as integer fen; times only with an offset; answers in UTC."""

from datetime import datetime, timedelta, timezone

import marshmallow
import pytest

from services.venues import schemas

VENUE = {"name": "白鱼潭社区党群服务中心", "kind": "party_mass_centre", "node_id": "6f1c2f7e-5a43-4a8e-9d55-1a0c7c1b2d3e",
         "address": "龙泉街道", "location": {"lat": 30.87, "lng": 120.09}, "area_m2": 1100}


def errors(schema, payload):
    with pytest.raises(marshmallow.ValidationError) as error:
        schema.load(payload)
    return error.value.messages


def test_a_minimal_venue_loads_with_defaults():
    data = schemas.CreateVenue().load(VENUE)
    assert data["open_24h"] is False and data["opening_hours"] is None and data["amenities"] == []
    assert data["acquisition"] is None and data["agreement_id"] is None


def test_venue_field_errors():
    assert "status" in errors(schemas.CreateVenue(), {**VENUE, "status": "active"})
    assert "id" in errors(schemas.CreateVenue(), {**VENUE, "id": "x"})
    assert "opening_hours" in errors(schemas.CreateVenue(), {**VENUE, "open_24h": True, "opening_hours": [
        {"weekday": 1, "open": "08:00", "close": "12:00"}]})
    assert "opening_hours" in errors(schemas.CreateVenue(), {**VENUE, "opening_hours": [
        {"weekday": 1, "open": "08:00", "close": "12:00"}, {"weekday": 1, "open": "09:00", "close": "10:00"}]})
    assert "agreement_id" in errors(schemas.CreateVenue(), {**VENUE, "kind": "shared_parking"})
    assert "agreement_id" in errors(schemas.CreateVenue(), {**VENUE, "resource_id": VENUE["node_id"]})
    assert "unknown" in errors(schemas.CreateVenue(), {**VENUE, "unknown": 1})
    messages = errors(schemas.CreateVenue(), {**VENUE, "acquisition": {"method": "rent_to_rent", "rent_in_fen": 12.5}})
    assert "rent_in_fen" in messages["acquisition"]
    messages = errors(schemas.CreateVenue(), {**VENUE, "acquisition": {"method": "rent_to_rent", "rent_in_fen": -1}})
    assert "rent_in_fen" in messages["acquisition"]


def test_update_checks_hours_only_when_given():
    assert schemas.UpdateVenue().load({"venue_id": VENUE["node_id"], "name": "新名"})["name"] == "新名"
    assert "opening_hours" in errors(schemas.UpdateVenue(), {"venue_id": VENUE["node_id"], "opening_hours": [
        {"weekday": 9, "open": "08:00", "close": "12:00"}]})
    assert "opening_hours" in errors(schemas.UpdateVenue(), {"venue_id": VENUE["node_id"], "open_24h": False})


def test_rooms_and_rules():
    room = schemas.CreateRoom().load({"venue_id": VENUE["node_id"], "name": "舞蹈室", "capacity": 30})
    assert room["category"] == "activity" and room["rules"] == {} and room["bookable"] is True
    assert "function" in errors(schemas.CreateRoom(), {"venue_id": VENUE["node_id"], "name": "棋牌室",
                                                      "capacity": 8, "category": "basic"})
    rules = errors(schemas.CreateRoom(), {"venue_id": VENUE["node_id"], "name": "x", "capacity": 8,
                                          "rules": {"slot_minutes": 7, "buffer_minutes": 999,
                                                    "bookable_by": ["tenant_admin"], "audience": "world"}})["rules"]
    assert set(rules) == {"slot_minutes", "buffer_minutes", "bookable_by", "audience"}
    assert "capacity" in errors(schemas.CreateRoom(), {"venue_id": VENUE["node_id"], "name": "x", "capacity": 0})


def test_bookings_need_offsets_and_known_statuses():
    payload = {"room_id": VENUE["node_id"], "starts_at": "2026-06-01T10:00:00+08:00",
               "ends_at": "2026-06-01T11:00:00+08:00", "purpose": "读书会"}
    data = schemas.CreateBooking().load(payload)
    assert data["starts_at"].utcoffset() == timedelta(hours=8) and data["waitlist"] is False
    assert "starts_at" in errors(schemas.CreateBooking(), {**payload, "starts_at": "2026-06-01T10:00:00"})
    assert "purpose" in errors(schemas.CreateBooking(), {**payload, "purpose": "   "})
    assert "_schema" in errors(schemas.ListBookings(), {})
    assert "statuses" in errors(schemas.ListBookings(), {"mine": True, "statuses": ["pending"]})


def test_series_payloads():
    series = {"room_id": VENUE["node_id"], "purpose": "广场舞", "weekdays": [2, 4], "start": "19:00",
              "end": "20:30", "first_date": "2026-06-01", "count": 8}
    assert schemas.CreateSeries().load(series)["on_conflict"] == "fail"
    assert "until_date" in errors(schemas.CreateSeries(), {**series, "until_date": "2026-07-01"})
    assert "weekdays" in errors(schemas.CreateSeries(), {**series, "weekdays": [2, 2]})
    assert "start" in errors(schemas.CreateSeries(), {**series, "start": "7pm"})
    assert "exceptions" in errors(schemas.CreateSeries(), {**series, "exceptions": [{"date": "2026-06-02"}]})


def test_map_and_emergency_payloads():
    nearest = schemas.Nearest().load({"location": {"lat": 30.87, "lng": 120.09}})
    assert nearest["speed_m_per_min"] == 80 and nearest["detour_factor"] == 1.3 and nearest["limit"] == 5
    assert schemas.Coverage().load({})["minutes"] == [8, 10, 15]
    assert "location" in errors(schemas.Nearest(), {"location": {"lat": 95, "lng": 120.09}})
    assert "bbox" in errors(schemas.VenueMap(), {"bbox": {"south": 31, "north": 30, "west": 120, "east": 121}})
    assert "venue_id" in errors(schemas.ActivateEmergency(), {"reason": "防汛"})
    assert "role" in errors(schemas.ActivateEmergency(), {"venue_id": VENUE["node_id"], "reason": "x", "role": "bunker"})


def test_times_are_answered_in_utc():
    beijing = datetime(2026, 6, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    dumped = schemas.Booking().dump({"starts_at": beijing, "ends_at": None})
    assert dumped["starts_at"] == "2026-06-01T02:00:00+00:00"
