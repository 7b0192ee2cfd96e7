"""Tenant isolation of the venues service as an attacker would probe it, with every service
running: tenant A's token from tenant B's context, tenant B's token with tenant A's ids, and
forged or expired tokens."""

import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import Forbidden, NotFound, Unauthenticated
from tests.integration.venues.support import VenueTenant, iso, local, tomorrow_at


@pytest.fixture
def a_and_b(platform, onboard, rpc_client, tokens):
    a = VenueTenant(onboard("venue-a")["slug"], rpc_client, tokens)
    b = VenueTenant(onboard("venue-b")["slug"], rpc_client, tokens)
    t = a.tree()
    venue = a.venue(t["community"], "A社区党群服务中心", open_24h=True, opening_hours=None)
    room = a.room(venue, name="A活动室")
    resident = a.resident(t["compound"], subject="user:a-resident")
    start = tomorrow_at("10:00")
    booking = resident.create_booking({"room_id": room["id"], "starts_at": iso(start),
                                       "ends_at": iso(start + timedelta(hours=1)), "purpose": "A的活动"})
    return {"a": a, "b": b, "tree": t, "venue": venue, "room": room, "booking": booking}


def test_a_token_from_b_context_is_forbidden(a_and_b, rpc_client, tokens):
    intruder = rpc_client("venue-b", tokens.admin("venue-a")).venues
    with pytest.raises(Forbidden):
        intruder.get_venue(a_and_b["venue"]["id"])
    with pytest.raises(Forbidden):
        intruder.venue_map({})
    resident = rpc_client("venue-b", tokens.make("venue-a", "resident")).venues
    with pytest.raises(Forbidden):
        resident.nearest_venues({"location": {"lat": 30.87, "lng": 120.09}})


def test_b_cannot_reach_a_ids_from_its_own_context(a_and_b):
    b = a_and_b["b"]
    venue_id, room_id = a_and_b["venue"]["id"], a_and_b["room"]["id"]
    with pytest.raises(NotFound):
        b.admin.get_venue(venue_id)
    with pytest.raises(NotFound):
        b.admin.update_venue({"venue_id": venue_id, "name": "被篡改"})
    with pytest.raises(NotFound):
        b.admin.get_room(room_id)
    with pytest.raises(NotFound):
        b.admin.create_room({"venue_id": venue_id, "name": "偷建", "capacity": 5})
    with pytest.raises(NotFound):
        b.admin.create_booking({"room_id": room_id, "starts_at": iso(local(1, "10:00")),
                                "ends_at": iso(local(1, "11:00")), "purpose": "越界"})
    with pytest.raises(NotFound):  # A's node is neither in B's replica nor in B's organizations
        b.venue(a_and_b["tree"]["community"], "挂到A的节点上")
    with pytest.raises(NotFound):
        b.admin.get_booking(a_and_b["booking"]["id"])
    with pytest.raises(NotFound):
        b.admin.cancel_booking({"booking_id": a_and_b["booking"]["id"]})
    with pytest.raises(NotFound):
        b.admin.activate_emergency({"venue_id": venue_id, "reason": "x"})
    with pytest.raises(NotFound):
        b.admin.service_circle_coverage({"node_id": a_and_b["tree"]["street"]["id"]})
    assert b.admin.venue_map({})["features"] == []
    assert b.admin.nearest_venues({"location": {"lat": 30.87, "lng": 120.09}})["items"] == []
    assert b.admin.list_venues({})["items"] == []
    assert a_and_b["a"].admin.get_venue(venue_id)["name"] == "A社区党群服务中心"  # untouched
    assert a_and_b["a"].admin.get_booking(a_and_b["booking"]["id"])["status"] == "confirmed"


def test_forged_and_expired_tokens_are_refused(a_and_b, rpc_client, tokens):
    forged = tokens.make("venue-a", private_key=Ed25519PrivateKey.generate())
    with pytest.raises(Unauthenticated):
        rpc_client("venue-a", forged).venues.get_venue(a_and_b["venue"]["id"])
    expired = tokens.make("venue-a", ttl=60, now=time.time() - 7200)
    with pytest.raises(Unauthenticated, match="expired"):
        rpc_client("venue-a", expired).venues.venue_map({})
    with pytest.raises(Unauthenticated):
        rpc_client("venue-a").venues.venue_map({})  # no token at all
