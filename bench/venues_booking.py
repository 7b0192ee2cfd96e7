"""Issue 4's booking benchmark: create_booking through the real venues RPC (token, tenant, rules,
opening hours, the exclusion constraint, the outbox) with the service running as a subprocess
(bench/harness.py), against a bare nameko echo measured in the same run.

* no contention: every call books a free slot of its own;
* contention: every slot is raced by CONTENDERS clients at once — one wins, the others get
  Conflict from the exclusion constraint (every attempt counts as a call);
* waitlist: the same race with ``waitlist: true`` — one wins, the others queue.
Every client is a resident with a token of their own.
After the runs the database is checked: no two bookings holding a room overlap, and every raced
slot has exactly one holder.

    .venv/bin/python -m bench venues_booking
"""

import itertools
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from bench.harness import BenchEnvironment, print_table, retarget
from shared.config import database_url
from shared.errors import Conflict
from shared.tenancy import schema_for

SLUG = "bench-booking"
ROOMS = 40
CALLS = 2000
CONTENDERS = 10
CST = timezone(timedelta(hours=8))


def setup(env, token):
    """A street and community in the replica (set-based, benchmark setup only), one centre open
    24 hours with ROOMS rooms (through the RPCs)."""
    schema = schema_for(SLUG)
    street, community = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(database_url(env.config, "venues"))
    with engine.begin() as conn:
        conn.execute(text(f"""INSERT INTO "{schema}".nodes (id, kind, name, path, lat, lng, source_at) VALUES
            (:s, 'street', '龙泉街道', CAST(:sp AS ltree), 30.87, 120.09, now()),
            (:c, 'community', '白鱼潭社区', CAST(:cp AS ltree), 30.87, 120.09, now())"""),
            {"s": street, "c": community, "sp": street.hex, "cp": f"{street.hex}.{community.hex}"})
    engine.dispose()
    with env.client(SLUG, token) as rpc:
        venue = rpc.venues.create_venue({"name": "白鱼潭社区党群服务中心", "kind": "party_mass_centre",
                                         "node_id": str(community), "address": "湖州市吴兴区龙泉街道",
                                         "location": {"lat": 30.871, "lng": 120.091}, "area_m2": 1100,
                                         "open_24h": True})
        rules = {"lead_minutes": 0, "horizon_days": 60, "min_minutes": 30, "max_minutes": 60}
        rooms = [rpc.venues.create_room({"venue_id": venue["id"], "name": f"活动室{i:02d}", "capacity": 30,
                                         "rules": rules})["id"] for i in range(ROOMS)]
    return rooms


def slots(rooms, first_day):
    """Every 30-minute slot of every room, day after day from ``first_day`` (Beijing time)."""
    for day in itertools.count():
        for half_hour in range(48):
            start = datetime.combine(first_day + timedelta(days=day), datetime.min.time(), CST) + timedelta(
                minutes=30 * half_hour)
            for room in rooms:
                yield room, start, start + timedelta(minutes=30)


def overlaps(env):
    schema = schema_for(SLUG)
    engine = create_engine(database_url(env.config, "venues"))
    try:
        with engine.connect() as conn:
            overlapping = conn.execute(text(f"""
                SELECT count(*) FROM "{schema}".bookings a JOIN "{schema}".bookings b
                  ON a.room_id = b.room_id AND a.id < b.id
                 AND tstzrange(a.starts_at, a.blocked_until) && tstzrange(b.starts_at, b.blocked_until)
                WHERE a.status IN ('requested', 'confirmed', 'checked_in', 'offered')
                  AND b.status IN ('requested', 'confirmed', 'checked_in', 'offered')""")).scalar()
            counts = dict(conn.execute(text(f"""SELECT status, count(*) FROM "{schema}".bookings
                                              GROUP BY status""")).all())
    finally:
        engine.dispose()
    return overlapping, counts


def main():
    with BenchEnvironment(["tenants", "venues"]) as env:
        env.onboard(SLUG)
        token = env.tokens.admin(SLUG)
        rooms = setup(env, token)
        tomorrow = datetime.now(CST).date() + timedelta(days=1)
        free = slots(rooms, tomorrow)
        outcomes = {"confirmed": 0, "conflict": 0, "waitlisted": 0}
        residents = {}

        def book(rpc, slot, waitlist=False):
            if id(rpc) not in residents:  # every client is a resident of their own
                residents[id(rpc)] = env.tokens.make(SLUG, "resident", subject=f"user:resident-{len(residents)}")
                retarget(rpc, SLUG, residents[id(rpc)])
            room, start, end = slot
            try:
                result = rpc.venues.create_booking({"room_id": room, "starts_at": start.isoformat(),
                                                    "ends_at": end.isoformat(), "purpose": "bench",
                                                    "waitlist": waitlist})
                outcomes[result["status"]] += 1
            except Conflict:
                outcomes["conflict"] += 1

        def raced(waitlist):
            """Every client walks the same sequence of slots, so each slot is raced by all
            CONTENDERS clients at about the same moment."""
            done = {}
            cache = {}

            def call(rpc):
                index = done[id(rpc)] = done.get(id(rpc), -1) + 1
                if index not in cache:
                    cache[index] = next(free)
                book(rpc, cache[index], waitlist)

            return call

        rows = []
        sequential = [("bare nameko echo", env.echo_baseline(calls=CALLS // 4, concurrency=1)),
                      ("book a free slot", env.measure(lambda rpc: book(rpc, next(free)), calls=CALLS // 4,
                                                       concurrency=1, tenant=SLUG, token=token))]
        print_table("create_booking, 1 client", sequential, sequential[0][1])
        echo = env.echo_baseline(calls=CALLS, concurrency=CONTENDERS)
        rows.append(("bare nameko echo", echo))
        rows.append(("book a free slot", env.measure(lambda rpc: book(rpc, next(free)), calls=CALLS,
                                                      concurrency=CONTENDERS, tenant=SLUG, token=token)))
        free_outcomes = dict(outcomes)
        outcomes.update(confirmed=0, conflict=0, waitlisted=0)
        rows.append((f"race: {CONTENDERS} per slot", env.measure(raced(False), calls=CALLS, concurrency=CONTENDERS,
                                                                 tenant=SLUG, token=token, warmup=CONTENDERS * 10)))
        race_outcomes = dict(outcomes)
        outcomes.update(confirmed=0, conflict=0, waitlisted=0)
        rows.append((f"race + waitlist: {CONTENDERS}/slot", env.measure(
            raced(True), calls=CALLS, concurrency=CONTENDERS, tenant=SLUG, token=token, warmup=CONTENDERS * 10)))
        print_table(f"create_booking, {CONTENDERS} concurrent clients, {ROOMS} rooms", rows, echo)
        overlapping, counts = overlaps(env)
        print(f"\nfree slots: {free_outcomes}\nraced: {race_outcomes}\nraced with waitlist: {outcomes}")
        print(f"bookings by status: {counts}; overlapping holders: {overlapping}", flush=True)
        assert overlapping == 0
