"""Consultations (four-party talks) settling cases, and statistics per subtree."""

from datetime import datetime, timedelta, timezone

import pytest

from shared.errors import Conflict, Forbidden, ValidationError

FOUR = [{"party": "party_org", "name": "小区党支部"}, {"party": "residents_committee", "name": "居委会"},
        {"party": "owners_committee", "name": "业委会"}, {"party": "property_company", "name": "绿城物业"}]


def _case(org, t, description="电动车楼道充电"):
    resident = org.client("resident", scope=t["community"]["path"], subject="user:r1")
    return resident.report_case({"service_code": "safety", "description": description,
                                 "node_id": t["compound"]["id"]})


def test_four_party_talk_settles_cases(org, outbox):
    t = org.tree()
    secretary = org.secretary(t["community"])
    first, second = _case(org, t), _case(org, t, "闲置车位如何利用")
    for case in (first, second):
        secretary.accept_case({"case_id": case["id"]})
    with pytest.raises(ValidationError) as error:
        secretary.record_consultation({"node_id": t["compound"]["id"], "title": "四方会谈", "format": "four_party",
                                       "held_at": "2026-06-05T19:00:00+08:00", "participants": FOUR[:3]})
    assert "property_company" in error.value.fields["participants"][0]
    talk = secretary.record_consultation({
        "node_id": t["compound"]["id"], "title": "楼道充电与车位四方会谈", "format": "four_party",
        "held_at": "2026-06-05T19:00:00+08:00", "place": "小区议事厅", "minutes": "马扎议事, 形成两项决议",
        "participants": FOUR + [{"party": "resident", "name": "居民代表3人"}],
        "decisions": [{"text": "设置集中充电桩", "case_ids": [first["id"]], "resolves": True},
                      {"text": "闲置车位下次再议", "case_ids": [second["id"]]}]})
    assert talk["held_at"] == "2026-06-05T11:00:00+00:00" and len(talk["participants"]) == 5
    assert talk["decisions"][0]["case_ids"] == [first["id"]] and talk["decisions"][0]["resolves"]
    assert secretary.get_case(first["id"])["status"] == "handled"
    assert secretary.get_case(second["id"])["status"] == "accepted"
    found = org.admin.list_consultations({"case_id": second["id"]})["items"]
    assert [c["id"] for c in found] == [talk["id"]]
    (event,) = outbox.events(org.slug, "consultation_recorded")
    assert event["resolved_case_ids"] == [first["id"]] and set(event["case_ids"]) == {first["id"], second["id"]}
    with pytest.raises(Conflict, match="cannot handle a case that is handled"):  # all or nothing
        secretary.record_consultation({"node_id": t["community"]["id"], "title": "再议", "format": "council",
                                       "held_at": "2026-06-06T19:00:00+08:00", "participants": FOUR[:1],
                                       "decisions": [{"text": "x", "case_ids": [second["id"]], "resolves": True},
                                                     {"text": "y", "case_ids": [first["id"]], "resolves": True}]})
    assert secretary.get_case(second["id"])["status"] == "accepted"
    other = org.tree(prefix="外")
    with pytest.raises(ValidationError, match="invalid case"):
        org.admin.record_consultation({"node_id": other["community"]["id"], "title": "x", "format": "council",
                                       "held_at": "2026-06-06T19:00:00+08:00", "participants": FOUR[:1],
                                       "decisions": [{"text": "x", "case_ids": [second["id"]]}]})
    with pytest.raises(Forbidden):
        org.secretary(other["community"]).record_consultation({
            "node_id": t["community"]["id"], "title": "越界", "format": "council",
            "held_at": "2026-06-06T19:00:00+08:00", "participants": FOUR[:1]})


def test_statistics_of_a_subtree(org, clock):
    clock.freeze(datetime(2026, 7, 1, 0, 0, tzinfo=timezone.utc))
    t = org.tree()
    other = org.tree(prefix="外")
    secretary = org.secretary(t["community"])
    committee = org.admin.create_party_org({"kind": "community_committee", "name": "社区大党委",
                                            "node_id": t["community"]["id"], "big_committee": True})
    org.admin.create_party_org({"kind": "branch", "name": "网格支部", "branch_type": "grid",
                                "node_id": t["grid"]["id"], "parent_id": committee["id"]})
    units = [org.reported_unit(t["community"]) for _ in range(3)]
    org.reported_unit(other["community"])
    org.admin.seat_member({"party_org_id": committee["id"], "person_name": "兼职委员甲",
                           "role": "part_time_member", "unit_id": units[0]["id"]})
    alliance = org.admin.create_alliance({"community_id": t["community"]["id"], "name": "联盟"})
    for unit in units[:2]:
        org.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": unit["id"]})

    whistle = secretary.raise_whistle({"node_id": t["grid"]["id"], "title": "积水", "category": "flood_control",
                                       "description": "路口积水", "urgency": "urgent",
                                       "unit_ids": [units[0]["id"], units[1]["id"]]})
    quick = org.liaison(units[0])
    for step in ("acknowledge", "arrive", "resolve"):
        getattr(quick, f"{step}_whistle")({"whistle_id": whistle["id"]})
    clock.advance(timedelta(hours=1))
    org.admin.run_sweeps()  # units[1] missed acknowledging → street
    secretary.raise_whistle({"node_id": t["community"]["id"], "title": "另一事", "category": "other",
                             "description": "x", "unit_ids": [units[2]["id"]]})
    answered = _case(org, t)
    for step in ("accept", "handle"):
        getattr(secretary, f"{step}_case")({"case_id": answered["id"]})
    secretary.reply_case({"case_id": answered["id"], "reply": "已处理"})
    org.client("resident", scope=t["community"]["path"], subject="user:r1").rate_case(
        {"case_id": answered["id"], "score": 5})
    _case(org, t, "第二件")

    stats = org.secretary(t["street"]).get_statistics({"node_id": t["street"]["id"]})
    assert stats["territory"]["nodes"] == {"community": 1, "grid": 1, "compound": 1, "building": 1}
    assert stats["territory"]["population"] == {"compound": 1200, "building": 90}
    assert stats["party"]["organisations"] == {"community_committee": 1, "branch": 1}
    assert stats["party"]["part_time_members"] == 1
    assert stats["units"]["reported_in"] == 3 and stats["units"]["report_ins"] == {"confirmed": 3}
    assert stats["alliances"] == {"count": 1, "member_units": 2, "activity_days": 0, "pairings": 0}
    whistles = stats["whistles"]
    assert whistles["by_status"] == {"responding": 1, "raised": 1} and whistles["responses"] == 3
    assert whistles["escalated"] == {"street": 1}
    assert whistles["on_time_rate"]["acknowledge"] == 0.5  # one on time, one missed, one not yet due
    assert whistles["on_time_rate"]["resolve"] == 1.0
    cases = stats["cases"]
    assert cases["by_status"] == {"rated": 1, "reported": 1} and cases["by_level"] == {"community": 2}
    assert cases["average_rating"] == 5.0 and cases["satisfaction_rate"] == 1.0
    assert cases["replied_on_time_rate"] == 1.0

    elsewhere = org.admin.get_statistics({"node_id": other["street"]["id"]})
    assert elsewhere["units"]["reported_in"] == 1 and elsewhere["whistles"]["total"] == 0
    last_year = org.admin.get_statistics({"node_id": t["street"]["id"], "year": 2025})
    assert last_year["whistles"]["total"] == 0 and last_year["cases"]["total"] == 0
    with pytest.raises(Forbidden):
        org.secretary(other["community"]).get_statistics({"node_id": t["community"]["id"]})
    with pytest.raises(Forbidden):
        org.client("resident").get_statistics({"node_id": t["community"]["id"]})
