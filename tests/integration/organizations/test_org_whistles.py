"""Whistle and report: the state machines, deadlines and escalation with a frozen clock, ratings,
scorecards and alliance ranking, scoped permissions, and units racing each other."""

from datetime import datetime, timedelta, timezone

import pytest

from shared.errors import Conflict, Forbidden, NotFound, ValidationError
from shared.testing.helpers import race

T0 = datetime(2026, 5, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def scene(org):
    """A community with an alliance of four reported-in units and a paired agency."""
    t = org.tree()
    units = [org.reported_unit(t["community"], name=name, kind=kind) for name, kind in (
        ("铜陵供电公司", "soe"), ("郊区医院", "hospital"), ("白鹤小学", "school"), ("绿城物业", "property_company"))]
    alliance = org.admin.create_alliance({"community_id": t["community"]["id"], "name": "白鹤社区党建联盟"})
    for unit in units:
        org.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": unit["id"]})
    return {**t, "units": units, "alliance": alliance, "secretary": org.secretary(t["community"])}


def _raise(scene, *units, urgency="urgent", **fields):
    return scene["secretary"].raise_whistle({
        "node_id": scene["compound"]["id"], "title": "小区雨污管道堵塞", "category": "infrastructure",
        "description": "暴雨后3幢前污水外溢", "urgency": urgency, "location": {"lat": 30.93, "lng": 117.81},
        "photos": ["https://img.example.cn/w/1.jpg"], "unit_ids": [u["id"] for u in units], **fields})


def test_raise_to_scorecard(org, scene, outbox, clock):
    clock.freeze(T0)
    a, b, c, d = scene["units"]
    la, lb = org.liaison(a), org.liaison(b)
    whistle = _raise(scene, a, b)
    wid = whistle["id"]
    assert whistle["status"] == "raised" and whistle["community_id"] == scene["community"]["id"]
    assert whistle["node_path"] == scene["compound"]["path"] and whistle["escalation"] == "community"
    due = {r["unit_id"]: r for r in whistle["responses"]}[a["id"]]
    assert due["acknowledge_due"] == "2026-05-01T01:30:00+00:00"
    assert due["arrive_due"] == "2026-05-01T03:00:00+00:00"
    assert due["resolve_due"] == "2026-05-02T01:00:00+00:00"
    raised = outbox.events(org.slug, "whistle_raised")[0]
    assert set(raised["unit_ids"]) == {a["id"], b["id"]} and raised["deadlines"]["acknowledge"] == due["acknowledge_due"]

    clock.advance(timedelta(minutes=10))
    assert la.acknowledge_whistle({"whistle_id": wid})["status"] == "responding"
    clock.advance(timedelta(minutes=30))  # +40 min: b missed its acknowledge deadline
    assert org.admin.run_sweeps()[org.slug]["whistles_escalated"] == 1
    assert org.admin.get_whistle(wid)["escalation"] == "street"
    clock.advance(timedelta(minutes=5))
    lb.acknowledge_whistle({"whistle_id": wid, "note": "马上安排"})
    clock.advance(timedelta(minutes=15))  # +1h
    la.arrive_whistle({"whistle_id": wid})
    clock.advance(timedelta(minutes=90))  # +2h30: b missed arriving
    org.admin.run_sweeps()
    clock.advance(timedelta(minutes=30))  # +3h
    lb.arrive_whistle({"whistle_id": wid})
    clock.advance(timedelta(hours=2))  # +5h
    after_a = la.resolve_whistle({"whistle_id": wid, "note": "疏通管道"})
    assert after_a["status"] == "responding"
    clock.advance(timedelta(hours=20))  # +25h: b missed resolving → district
    org.admin.run_sweeps()
    assert org.admin.get_whistle(wid)["escalation"] == "district"
    clock.advance(timedelta(hours=5))  # +30h
    resolved = lb.resolve_whistle({"whistle_id": wid, "note": "更换管段"})
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    clock.advance(timedelta(hours=1))
    closed = scene["secretary"].close_whistle({"whistle_id": wid, "note": "已解决, 居民满意"})
    assert closed["status"] == "closed"
    scene["secretary"].rate_whistle({"whistle_id": wid, "unit_id": a["id"], "score": 5})
    scene["secretary"].rate_whistle({"whistle_id": wid, "unit_id": b["id"], "score": 2})
    resident = org.client("resident", scope=scene["community"]["path"], subject="user:resident-1")
    rated = resident.rate_whistle({"whistle_id": wid, "score": 4, "comment": "响应快"})
    assert rated["ratings"] == {"count": 4, "average": 3.75}

    card_a = org.admin.get_unit_scorecard({"unit_id": a["id"], "year": 2026})
    assert card_a["points"] == 2 + 3 + 5 + 3  # all on time, average 4.5 rounds to 5
    assert card_a["acknowledge_on_time_rate"] == 1.0 and card_a["resolve_on_time_rate"] == 1.0
    assert card_a["average_rating"] == 4.5 and card_a["responses"] == 1 and card_a["resolved"] == 1
    card_b = lb.get_unit_scorecard({"unit_id": b["id"], "year": 2026})
    assert card_b["points"] == 0 + 1 + 2 + 0  # all late, average 3
    assert card_b["acknowledge_on_time_rate"] == 0.0 and card_b["steps"]["resolve"]["late"] == 1
    assert card_a["ranks"] == [{"alliance_id": scene["alliance"]["id"], "alliance_name": "白鹤社区党建联盟",
                                "rank": 1, "of": 4}]
    ranking = org.admin.get_alliance_ranking({"alliance_id": scene["alliance"]["id"], "year": 2026})
    assert [(r["unit_name"], r["rank"], r["points"]) for r in ranking["items"]][:2] == [
        ("铜陵供电公司", 1, 13), ("郊区医院", 2, 3)]
    assert {r["rank"] for r in ranking["items"][2:]} == {3}  # c and d tie without whistles
    assert org.admin.get_unit_scorecard({"unit_id": a["id"], "year": 2025})["responses"] == 0

    types = [t for t in outbox.types(org.slug) if t.startswith("whistle_")]
    assert types.count("whistle_acknowledged") == 2 and types.count("whistle_arrived") == 2
    assert types.count("whistle_resolved") == 2 and types.count("whistle_closed") == 1
    assert types.count("whistle_rated") == 3 and types.count("whistle_overdue") == 3
    escalated = outbox.events(org.slug, "whistle_escalated")
    assert [(e["escalation_level"], e["escalation"], e["step"]) for e in escalated] == [
        (1, "street", "acknowledge"), (2, "district", "resolve")]
    late = [e for e in outbox.events(org.slug, "whistle_acknowledged") if e["unit_id"] == b["id"]][0]
    assert late["on_time"] is False and late["community_path"] == scene["community"]["path"]
    timeline = [e["action"] for e in org.admin.get_whistle(wid)["timeline"]]
    assert timeline[0] == "raised" and "escalated to district" in timeline and timeline[-1] == "rated 4"


def test_transition_rules(org, scene, clock):
    clock.freeze(T0)
    a, b, c, _ = scene["units"]
    la = org.liaison(a)
    whistle = _raise(scene, a, urgency="normal")
    wid = whistle["id"]
    with pytest.raises(Conflict) as error:
        la.arrive_whistle({"whistle_id": wid})
    assert error.value.message == "cannot arrive at a whistle that is raised"
    assert error.value.details["status"] == "raised"
    with pytest.raises(Conflict, match="cannot close a whistle that is raised"):
        scene["secretary"].close_whistle({"whistle_id": wid})
    la.acknowledge_whistle({"whistle_id": wid})
    with pytest.raises(Conflict, match="cannot acknowledge a whistle response that is acknowledged"):
        la.acknowledge_whistle({"whistle_id": wid})
    with pytest.raises(Conflict, match="cannot resolve a whistle response that is acknowledged"):
        la.resolve_whistle({"whistle_id": wid})
    with pytest.raises(Conflict, match="cannot rate a whistle that is responding"):
        scene["secretary"].rate_whistle({"whistle_id": wid, "score": 5})
    with pytest.raises(Conflict, match="already summoned"):
        scene["secretary"].summon_units({"whistle_id": wid, "unit_ids": [a["id"]]})
    more = scene["secretary"].summon_units({"whistle_id": wid, "unit_ids": [b["id"]]})
    assert len(more["responses"]) == 2
    la.arrive_whistle({"whistle_id": wid})
    la.resolve_whistle({"whistle_id": wid})
    assert org.admin.get_whistle(wid)["status"] == "responding"  # b still owes a response
    org.liaison(b).acknowledge_whistle({"whistle_id": wid})
    org.liaison(b).arrive_whistle({"whistle_id": wid})
    org.liaison(b).resolve_whistle({"whistle_id": wid})
    scene["secretary"].close_whistle({"whistle_id": wid})
    with pytest.raises(Conflict) as error:
        la.resolve_whistle({"whistle_id": wid})
    assert error.value.message == "cannot resolve a whistle that is closed"
    assert error.value.details == {"status": "closed", "action": "resolve"}
    with pytest.raises(Conflict, match="cannot close a whistle that is closed"):
        scene["secretary"].close_whistle({"whistle_id": wid})
    with pytest.raises(Conflict, match="cannot summon units to a whistle that is closed"):
        scene["secretary"].summon_units({"whistle_id": wid, "unit_ids": [c["id"]]})
    with pytest.raises(Conflict, match="cannot cancel a whistle that is closed"):
        scene["secretary"].cancel_whistle({"whistle_id": wid, "reason": "x"})
    scene["secretary"].rate_whistle({"whistle_id": wid, "score": 4})
    with pytest.raises(Conflict, match="already rated"):
        scene["secretary"].rate_whistle({"whistle_id": wid, "score": 5})

    other = _raise(scene, c)
    cancelled = scene["secretary"].cancel_whistle({"whistle_id": other["id"], "reason": "重复上报"})
    assert cancelled["status"] == "cancelled"
    with pytest.raises(Conflict, match="cannot acknowledge a whistle that is cancelled"):
        org.liaison(c).acknowledge_whistle({"whistle_id": other["id"]})
    clock.advance(timedelta(days=10))
    assert org.admin.run_sweeps()[org.slug]["whistles_escalated"] == 0  # cancelled: no escalation
    assert org.admin.get_unit_scorecard({"unit_id": c["id"], "year": 2026})["responses"] == 0


def test_summons_and_permissions(org, scene):
    a, b, *_ = scene["units"]
    stranger = org.unit(name="无关单位")
    with pytest.raises(ValidationError) as error:
        _raise(scene, a, stranger)
    assert stranger["id"] in error.value.fields["unit_ids"][0]
    paired = org.unit(name="市委组织部", kind="agency")
    org.admin.create_pairing({"unit_id": paired["id"], "community_id": scene["community"]["id"]})
    whistle = _raise(scene, a, paired)
    wid = whistle["id"]

    other = org.tree(prefix="外")
    with pytest.raises(Forbidden):
        org.secretary(other["community"]).raise_whistle({
            "node_id": scene["grid"]["id"], "title": "越界", "category": "other", "description": "x",
            "unit_ids": [a["id"]]})
    with pytest.raises(Forbidden):
        org.secretary(other["community"]).close_whistle({"whistle_id": wid})
    with pytest.raises(ValidationError, match="inside a community"):
        org.admin.raise_whistle({"node_id": scene["street"]["id"], "title": "x", "category": "other",
                                 "description": "x", "unit_ids": [a["id"]]})
    with pytest.raises(Forbidden):
        org.liaison(a).acknowledge_whistle({"whistle_id": wid, "unit_id": paired["id"]})
    with pytest.raises(NotFound):
        org.liaison(b).acknowledge_whistle({"whistle_id": wid})
    with pytest.raises(Forbidden):
        org.client("resident").acknowledge_whistle({"whistle_id": wid})
    with pytest.raises(ValidationError):
        org.admin.acknowledge_whistle({"whistle_id": wid})  # an admin names the unit
    assert org.admin.acknowledge_whistle({"whistle_id": wid, "unit_id": paired["id"]})["status"] == "responding"

    assert [w["id"] for w in org.liaison(a).list_whistles({})["items"]] == [wid]
    assert org.liaison(b).list_whistles({})["items"] == []
    with pytest.raises(Forbidden):
        org.liaison(b).list_whistles({"unit_id": a["id"]})
    public = org.client("resident").get_whistle(wid)
    assert "raised_by" not in public and "timeline" not in public
    assert public["responses"][0]["unit_name"]
    staff = scene["secretary"].get_whistle(wid)
    assert staff["raised_by"] == "user:test-community_secretary" and staff["timeline"]
    assert [w["id"] for w in org.admin.list_whistles({"subtree": scene["street"]["id"]})["items"]] == [wid]
    assert org.admin.list_whistles({"subtree": other["street"]["id"]})["items"] == []


def test_resident_rating_is_scoped(org, scene):
    a, *_ = scene["units"]
    whistle = _raise(scene, a, urgency="routine")
    la = org.liaison(a)
    for step in ("acknowledge", "arrive", "resolve"):
        getattr(la, f"{step}_whistle")({"whistle_id": whistle["id"]})
    scene["secretary"].close_whistle({"whistle_id": whistle["id"]})
    elsewhere = org.tree(prefix="外")
    with pytest.raises(Forbidden):
        org.client("resident", scope=elsewhere["community"]["path"]).rate_whistle(
            {"whistle_id": whistle["id"], "score": 1})
    with pytest.raises(Forbidden):
        la.rate_whistle({"whistle_id": whistle["id"], "score": 5})  # no rating your own response
    org.client("resident", scope=scene["building"]["path"], subject="user:r2").rate_whistle(
        {"whistle_id": whistle["id"], "score": 3})  # lives in the community of the whistle


def test_two_units_resolving_at_once(org, scene, outbox):
    a, b, c, _ = scene["units"]
    whistle = _raise(scene, a, b, c)
    liaisons = {u["id"]: org.liaison(u) for u in (a, b, c)}
    for liaison in liaisons.values():
        liaison.acknowledge_whistle({"whistle_id": whistle["id"]})
        liaison.arrive_whistle({"whistle_id": whistle["id"]})
    liaisons[c["id"]].resolve_whistle({"whistle_id": whistle["id"]})
    second_a = org.liaison(a)
    outcomes = race(lambda: liaisons[a["id"]].resolve_whistle({"whistle_id": whistle["id"]}),
                    lambda: liaisons[b["id"]].resolve_whistle({"whistle_id": whistle["id"]}),
                    lambda: second_a.resolve_whistle({"whistle_id": whistle["id"]}))
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(conflicts) == 1, outcomes  # a resolved once; its duplicate is refused
    assert conflicts[0].message in ("cannot resolve a whistle response that is resolved",
                                    "cannot resolve a whistle that is resolved")
    final = org.admin.get_whistle(whistle["id"])
    assert final["status"] == "resolved" and all(r["status"] == "resolved" for r in final["responses"])
    resolved_events = outbox.events(org.slug, "whistle_resolved")
    assert len(resolved_events) == 3
    assert [e["status"] for e in resolved_events].count("resolved") == 1  # exactly one completes it
    assert resolved_events[-1]["status"] == "resolved"
