"""The overlap guarantee under concurrent callers, the waitlist and its offers.

Many clients (each its own RPC proxy, in its own green thread) race real create_booking RPCs for
one slot: exactly one wins; the others get Conflict, or a waitlist place when they asked for
one. Freed time is offered to the waitlist in order of arrival, with events."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from shared.config import database_url
from shared.errors import Conflict, Forbidden
from shared.testing.helpers import race
from tests.integration.venues.support import T0, iso, local

RACERS = 20


@pytest.fixture
def room(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    venue = vt.venue(t["community"], name="白鱼潭社区党群服务中心")
    return {**t, "venue": venue, "room": vt.room(venue, name="三点半学堂", capacity=30)}


def _clients(vt, room, count):
    return [vt.resident(room["compound"], subject=f"user:racer-{i:02d}") for i in range(count)]


def _booker(client, room, start="10:00", end="11:00", day=0, **fields):
    return lambda: client.create_booking({"room_id": room["room"]["id"], "starts_at": iso(local(day, start)),
                                          "ends_at": iso(local(day, end)), "purpose": "亲子阅读", **fields})


def _holding_overlaps(config, tenant):
    """Pairs of bookings that hold the same room at overlapping times — straight from the database."""
    engine = create_engine(database_url(config, "venues"))
    schema = "t_" + tenant.replace("-", "_")
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"""
                SELECT count(*) FROM "{schema}".bookings a JOIN "{schema}".bookings b
                  ON a.room_id = b.room_id AND a.id < b.id
                 AND tstzrange(a.starts_at, a.blocked_until) && tstzrange(b.starts_at, b.blocked_until)
                WHERE a.status IN ('requested', 'confirmed', 'checked_in', 'offered')
                  AND b.status IN ('requested', 'confirmed', 'checked_in', 'offered')""")).scalar()
    finally:
        engine.dispose()


def test_many_clients_racing_for_one_slot_exactly_one_wins(vt, room, services, outbox):
    clients = _clients(vt, room, RACERS)
    results = race(*[_booker(c, room) for c in clients])
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if not isinstance(r, dict)]
    assert len(winners) == 1 and winners[0]["status"] == "confirmed"
    assert len(losers) == RACERS - 1 and all(isinstance(r, Conflict) for r in losers), losers
    assert {r.details["constraint"] for r in losers} == {"bookings_no_overlap"}
    assert len(outbox.events(vt.slug, "booking_confirmed")) == 1
    # overlapping but different slots race too: still never two holders of one minute
    results = race(*[_booker(c, room, start=f"{13 + i % 3}:{15 * (i % 4):02d}", end=f"{15 + i % 3}:00")
                    for i, c in enumerate(clients)])
    assert sum(isinstance(r, dict) for r in results) >= 1
    assert all(isinstance(r, (dict, Conflict)) for r in results), results
    assert _holding_overlaps(services, vt.slug) == 0


def test_racers_who_ask_for_the_waitlist_queue_up_in_order(vt, room, outbox):
    clients = _clients(vt, room, RACERS)
    results = race(*[_booker(c, room, waitlist=True) for c in clients])
    assert all(isinstance(r, dict) for r in results), [r for r in results if not isinstance(r, dict)]
    confirmed = [r for r in results if r["status"] == "confirmed"]
    waiting = [r for r in results if r["status"] == "waitlisted"]
    assert len(confirmed) == 1 and len(waiting) == RACERS - 1
    positions = sorted(c.get_booking(r["id"])["waitlist_position"]
                       for c, r in zip(clients, results, strict=True) if r["status"] == "waitlisted")
    assert positions == list(range(1, RACERS))
    assert len(outbox.events(vt.slug, "waitlist_joined")) == RACERS - 1
    with pytest.raises(Conflict, match="already on the waitlist"):
        _booker(clients[0] if results[0]["status"] == "waitlisted" else clients[1], room, waitlist=True)()


def test_a_cancellation_offers_the_slot_to_the_next_in_line(vt, room, clock, outbox):
    holder, first, second, third = _clients(vt, room, 4)
    booking = _booker(holder, room)()
    w1 = _booker(first, room, waitlist=True)()
    w2 = _booker(second, room, waitlist=True)()
    w3 = _booker(third, room, start="10:30", end="11:30", waitlist=True)()
    assert [w["waitlist_position"] for w in (w1, w2, w3)] == [1, 2, 3]
    holder.cancel_booking({"booking_id": booking["id"]})
    offered = first.get_booking(w1["id"])
    assert offered["status"] == "offered"
    assert datetime.fromisoformat(offered["offer_expires_at"]) == T0 + timedelta(minutes=120)
    assert second.get_booking(w2["id"])["status"] == "waitlisted"
    (event,) = outbox.events(vt.slug, "waitlist_offered")
    assert event["booking_id"] == w1["id"] and event["booker"] == offered["booker"]
    with pytest.raises(Conflict):  # the offer holds the slot
        _booker(vt.resident(room["compound"]), room)()
    with pytest.raises(Forbidden):
        second.accept_offer({"booking_id": w1["id"]})

    first.decline_offer({"booking_id": w1["id"]})  # → the next in line
    assert second.get_booking(w2["id"])["status"] == "offered"
    assert third.get_booking(w3["id"])["status"] == "waitlisted"  # overlaps the new offer
    accepted = second.accept_offer({"booking_id": w2["id"]})
    assert accepted["status"] == "confirmed" and accepted["offer_expires_at"] is None
    confirmed = outbox.events(vt.slug, "booking_confirmed")
    assert [e["booking_id"] for e in confirmed] == [booking["id"], w2["id"]]
    assert "waitlist_offer_declined" in outbox.types(vt.slug)
    with pytest.raises(Conflict, match="cannot accept a booking that is confirmed"):
        second.accept_offer({"booking_id": w2["id"]})


def test_an_unanswered_offer_lapses_and_goes_to_the_next(vt, room, clock, outbox):
    holder, first, second = _clients(vt, room, 3)
    booking = _booker(holder, room, day=1)()
    w1 = _booker(first, room, day=1, waitlist=True)()
    w2 = _booker(second, room, day=1, waitlist=True)()
    holder.cancel_booking({"booking_id": booking["id"]})
    assert first.get_booking(w1["id"])["status"] == "offered"
    clock.advance(timedelta(minutes=119))
    assert vt.admin.run_sweeps()[vt.slug]["offers_lapsed"] == 0
    clock.advance(timedelta(minutes=1))
    with pytest.raises(Conflict, match="lapsed"):
        first.accept_offer({"booking_id": w1["id"]})
    assert vt.admin.run_sweeps()[vt.slug]["offers_lapsed"] == 1
    assert first.get_booking(w1["id"])["status"] == "lapsed"
    assert second.get_booking(w2["id"])["status"] == "offered"
    assert vt.admin.run_sweeps()[vt.slug]["offers_lapsed"] == 0  # idempotent
    assert [e["booking_id"] for e in outbox.events(vt.slug, "waitlist_offer_lapsed")] == [w1["id"]]


def test_racing_cancellations_and_bookings_never_double_book(vt, room, services):
    """Holders cancel while others grab the freed slots and waitlisters accept offers."""
    clients = _clients(vt, room, 12)
    slots = [("10:00", "11:00"), ("11:00", "12:00"), ("14:00", "15:00")]
    held = [_booker(clients[i], room, *slots[i])() for i in range(3)]
    for i in range(3, 9):
        _booker(clients[i], room, *slots[i % 3], waitlist=True)()
    calls = [lambda c=clients[i], b=held[i]: c.cancel_booking({"booking_id": b["id"]}) for i in range(3)]
    calls += [_booker(clients[i], room, *slots[i % 3]) for i in range(9, 12)]
    race(*calls)
    assert _holding_overlaps(services, vt.slug) == 0
    schedule = vt.admin.get_room_schedule({"room_id": room["room"]["id"], "starts_at": iso(local(0, "00:00")),
                                           "ends_at": iso(local(1, "00:00"))})
    assert len(schedule["busy"]) == 3  # every slot is held again — by a racer or an offer
