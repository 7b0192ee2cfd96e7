"""Utilisation and satisfaction per venue, room and period: booked hours over open hours,
check-in and no-show rates, activities held, people served, ratings and satisfaction."""

import pytest

from shared.errors import Forbidden, ValidationError
from tests.integration.venues.support import T0, iso, local


def test_a_week_of_use(vt, clock):
    clock.freeze(T0)
    t = vt.tree()
    venue = vt.venue(t["community"], "白鱼潭社区党群服务中心",
                     opening_hours=[{"weekday": d, "open": "09:00", "close": "19:00"} for d in range(1, 8)])
    hall = vt.room(venue, name="多功能厅", capacity=80, rules={"checkin_grace_minutes": 10})
    study = vt.room(venue, name="三点半学堂", capacity=20)
    people = [vt.resident(t["compound"], subject=f"user:p{i}") for i in range(4)]

    def book(who, room, day, start, end, attendees=10):
        return who.create_booking({"room_id": room["id"], "starts_at": iso(local(day, start)),
                                   "ends_at": iso(local(day, end)), "purpose": "活动", "attendees": attendees})

    held = book(people[0], hall, 1, "10:00", "12:00", attendees=50)    # held, 48 came, rated 5
    short = book(people[1], hall, 2, "14:00", "15:00", attendees=12)   # held, rated 3
    book(people[2], hall, 3, "10:00", "11:00")                         # no-show
    dropped = book(people[3], study, 2, "15:00", "17:00")              # cancelled
    kids = book(people[3], study, 4, "15:30", "17:30", attendees=18)   # held, rated 4
    people[3].cancel_booking({"booking_id": dropped["id"]})

    def attend(who, booking, day, start, attendance=None):
        clock.freeze(local(day, start))
        who.check_in({"booking_id": booking["id"], "attendance": attendance})

    attend(people[0], held, 1, "10:00", 48)
    attend(people[1], short, 2, "14:05")
    clock.freeze(local(3, "10:30"))
    vt.admin.run_sweeps()  # completes the first two, releases the no-show
    attend(people[3], kids, 4, "15:20")
    clock.freeze(local(6, "20:00"))
    vt.admin.run_sweeps()
    for who, booking, stars in ((people[0], held, 5), (people[1], short, 3), (people[3], kids, 4)):
        who.rate_booking({"booking_id": booking["id"], "stars": stars})

    report = vt.secretary(t["community"]).venue_stats({"venue_id": venue["id"], "from_date": "2026-06-01",
                                                       "to_date": "2026-06-07"})
    totals = report["totals"]
    assert totals["open_hours"] == 2 * 7 * 10  # two rooms × 7 days × 10 hours
    assert totals["booked_hours"] == 2 + 1 + 1 + 2 and totals["utilisation"] == round(6 / 140, 4)
    assert totals["bookings"] == 4 and totals["cancelled"] == 1
    assert totals["activities_held"] == 3 and totals["people_served"] == 48 + 12 + 18
    assert totals["check_in_rate"] == 0.75 and totals["no_show_rate"] == 0.25
    assert totals["ratings"] == 3 and totals["average_rating"] == 4.0
    assert totals["satisfaction_rate"] == round(2 / 3, 4)
    rooms = {r["name"]: r for r in report["rooms"]}
    assert rooms["多功能厅"]["open_hours"] == 70 and rooms["多功能厅"]["booked_hours"] == 4
    assert rooms["多功能厅"]["no_shows"] == 1 and rooms["三点半学堂"]["people_served"] == 18
    only = vt.admin.venue_stats({"venue_id": venue["id"], "room_id": study["id"], "from_date": "2026-06-01",
                                 "to_date": "2026-06-30", "granularity": "month"})
    assert [r["name"] for r in only["rooms"]] == ["三点半学堂"] and only["totals"]["open_hours"] == 300
    assert only["periods"][0]["activities_held"] == 1
    with pytest.raises(Forbidden):
        people[0].venue_stats({"venue_id": venue["id"], "from_date": "2026-06-01", "to_date": "2026-06-07"})
    assert vt.secretary(t["street"]).venue_stats({"venue_id": venue["id"], "from_date": "2026-06-01",
                                                  "to_date": "2026-06-07"})["totals"]["bookings"] == 4
    with pytest.raises(ValidationError):
        vt.admin.venue_stats({"venue_id": venue["id"], "from_date": "2026-06-07", "to_date": "2026-06-01"})
