"""Cases: the closed loop with Open311 fields, three levels / three rounds, the overdue sweep,
turning a case into a whistle, the problem wall and echo wall without personal data."""

from datetime import datetime, timedelta, timezone

import pytest

from shared.errors import Conflict, Forbidden, ValidationError

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def place(org):
    t = org.tree()
    resident = org.client("resident", scope=t["building"]["path"], subject="user:resident-wang")
    return {**t, "resident": resident, "secretary": org.secretary(t["community"]),
            "street_secretary": org.secretary(t["street"]),
            "worker": org.client("grid_worker", scope=t["grid"]["path"], subject="user:grid-li")}


def _report(place, **fields):
    return place["resident"].report_case({
        "service_code": "lighting", "description": "3幢楼道灯坏了一周", "node_id": place["building"]["id"],
        "address": "白鱼潭小区3幢", "lat": 30.871, "long": 120.091,
        "media_url": "https://img.example.cn/case/1.jpg",
        "reporter": {"name": "王阿姨", "phone": "13700000000"}, **fields})


def test_closed_loop_with_open311_fields(org, place, outbox, clock):
    clock.freeze(T0)
    case = _report(place)
    assert case["status"] == "reported" and case["open311_status"] == "open"
    assert case["service_name"] == "路灯照明" and case["service_request_id"] == case["id"]
    assert case["requested_datetime"] == "2026-06-01T00:00:00+00:00"
    assert case["expected_datetime"] == "2026-06-04T00:00:00+00:00"  # community level: 3 days
    assert case["lat"] == 30.871 and case["long"] == 120.091 and case["round"] == 1
    assert case["reporter"] == {"name": "王阿姨", "phone": "13700000000"}  # the reporter sees it
    cid = case["id"]
    stranger = org.client("resident", subject="user:someone-else")
    public = stranger.get_case(cid)
    assert "reporter" not in public and "history" not in public and "node_path" not in public
    assert public["description"] == "3幢楼道灯坏了一周"

    with pytest.raises(Conflict, match="cannot reply to a case that is reported"):
        place["secretary"].reply_case({"case_id": cid, "reply": "x"})
    clock.advance(timedelta(hours=1))
    accepted = place["secretary"].accept_case({"case_id": cid, "status_notes": "已受理"})
    assert accepted["status"] == "accepted" and accepted["updated_datetime"] == "2026-06-01T01:00:00+00:00"
    place["secretary"].dispatch_case({"case_id": cid, "to": {"kind": "grid_worker", "target": "user:grid-li"}})
    with pytest.raises(Forbidden):
        place["resident"].handle_case({"case_id": cid})
    handled = place["worker"].handle_case({"case_id": cid, "status_notes": "已更换灯泡"})
    assert handled["status"] == "handled"
    place["secretary"].reply_case({"case_id": cid, "reply": "楼道灯已修复, 感谢反映"})
    with pytest.raises(Forbidden, match="only the reporter"):
        stranger.rate_case({"case_id": cid, "score": 5})
    with pytest.raises(Conflict, match="cannot close a case that is closed") as error:
        place["resident"].rate_case({"case_id": cid, "score": 5, "comment": "很快"})
        place["secretary"].close_case({"case_id": cid})
        place["secretary"].close_case({"case_id": cid})
    assert error.value.details["status"] == "closed"
    final = place["secretary"].get_case(cid)
    assert final["status"] == "closed" and final["open311_status"] == "closed" and final["rating"] == 5
    assert [h["action"] for h in final["history"]] == [
        "report", "accept", "dispatch", "handle", "reply", "rate", "close"]
    types = [t for t in outbox.types(org.slug) if t.startswith("case_")]
    assert types == ["case_reported", "case_accepted", "case_dispatched", "case_handled", "case_replied",
                     "case_rated", "case_closed"]
    event = outbox.events(org.slug, "case_reported")[0]
    assert event["community_path"] == place["community"]["path"] and event["node_path"] == place["building"]["path"]
    assert "reporter_name" not in event and "description" not in event


def test_three_levels_three_rounds(org, place, outbox):
    case = _report(place)
    cid = case["id"]
    for step in ("accept", "handle"):
        getattr(place["secretary"], f"{step}_case")({"case_id": cid})
    place["secretary"].reply_case({"case_id": cid, "reply": "已协调"})
    second = place["resident"].rate_case({"case_id": cid, "score": 2, "comment": "没解决"})
    assert second["status"] == "reported" and second["level"] == "street" and second["round"] == 2
    assert second["rating"] is None
    with pytest.raises(Forbidden):
        place["secretary"].accept_case({"case_id": cid})  # the street holds it now
    place["street_secretary"].accept_case({"case_id": cid})
    place["street_secretary"].handle_case({"case_id": cid})
    place["street_secretary"].reply_case({"case_id": cid, "reply": "街道协调物业处理"})
    third = place["resident"].rate_case({"case_id": cid, "score": 1})
    assert third["level"] == "district" and third["round"] == 3
    with pytest.raises(Forbidden):
        place["street_secretary"].accept_case({"case_id": cid})
    org.admin.accept_case({"case_id": cid})
    with pytest.raises(Conflict, match="at district level"):
        org.admin.escalate_case({"case_id": cid, "reason": "还想升级"})
    org.admin.handle_case({"case_id": cid})
    org.admin.reply_case({"case_id": cid, "reply": "区级督办完成"})
    done = place["resident"].rate_case({"case_id": cid, "score": 2})
    assert done["status"] == "rated" and done["level"] == "district"  # no fourth round
    escalations = outbox.events(org.slug, "case_escalated")
    assert [(e["level"], e["round"], e["reason"]) for e in escalations] == [
        ("street", 2, "dissatisfied with the answer"), ("district", 3, "dissatisfied with the answer")]

    other = _report(place)
    escalated = place["secretary"].escalate_case({"case_id": other["id"], "reason": "涉及多个社区"})
    assert escalated["level"] == "street" and escalated["status"] == "reported"


def test_overdue_cases_escalate_by_sweep(org, place, outbox, clock):
    clock.freeze(T0)
    case = _report(place)
    place["secretary"].accept_case({"case_id": case["id"]})
    clock.advance(timedelta(days=3, minutes=1))
    assert org.admin.run_sweeps()[org.slug]["cases_escalated"] == 1
    moved = org.admin.get_case(case["id"])
    assert moved["level"] == "street" and moved["expected_datetime"] == "2026-06-09T00:01:00+00:00"
    clock.advance(timedelta(days=5, minutes=1))
    org.admin.run_sweeps()
    assert org.admin.get_case(case["id"])["level"] == "district"
    clock.advance(timedelta(days=8))
    assert org.admin.run_sweeps()[org.slug]["cases_escalated"] == 1  # flagged overdue once
    assert org.admin.run_sweeps()[org.slug]["cases_escalated"] == 0
    (overdue,) = outbox.events(org.slug, "case_overdue")
    assert overdue["level"] == "district"
    assert len(outbox.events(org.slug, "case_escalated")) == 2


def test_case_turned_into_a_whistle(org, place):
    unit = org.reported_unit(place["community"], name="铜陵供电公司", kind="soe")
    case = _report(place, service_code="water_power", description="小区停电")
    place["secretary"].accept_case({"case_id": case["id"]})
    dispatched = place["secretary"].dispatch_case({"case_id": case["id"], "whistle": {
        "category": "infrastructure", "urgency": "urgent", "unit_ids": [unit["id"]]}})
    assert dispatched["dispatch_kind"] == "whistle" and dispatched["whistle_id"]
    whistle = org.admin.get_whistle(dispatched["whistle_id"])
    assert whistle["case_id"] == case["id"] and whistle["title"] == "水电气暖"
    assert whistle["node_path"] == place["building"]["path"] and whistle["location"]["lat"] == 30.871
    liaison = org.liaison(unit)
    for step in ("acknowledge", "arrive", "resolve"):
        getattr(liaison, f"{step}_whistle")({"whistle_id": whistle["id"]})
    place["secretary"].close_whistle({"whistle_id": whistle["id"], "note": "供电已恢复"})
    handled = place["secretary"].get_case(case["id"])
    assert handled["status"] == "handled" and handled["status_notes"] == "供电已恢复"
    with pytest.raises(ValidationError):
        place["secretary"].dispatch_case({"case_id": case["id"]})


def test_problem_wall_and_echo_wall(org, place):
    open_case = _report(place)
    private = _report(place, public=False, description="家庭矛盾, 不公开")
    answered = _report(place, service_code="sanitation", description="垃圾桶满溢")
    for step in ("accept", "handle"):
        getattr(place["secretary"], f"{step}_case")({"case_id": answered["id"]})
    place["secretary"].reply_case({"case_id": answered["id"], "reply": "已增加清运频次"})
    elsewhere = org.tree(prefix="外")
    org.client("resident", scope=elsewhere["community"]["path"]).report_case({
        "service_code": "noise", "description": "外社区噪音", "node_id": elsewhere["community"]["id"]})

    visitor = org.client("resident", subject="user:visitor")
    problems = visitor.list_case_wall({"wall": "problem", "node_id": place["community"]["id"]})["items"]
    assert [c["id"] for c in problems] == [open_case["id"]]
    assert private["id"] not in {c["id"] for c in problems}
    assert not {"reporter", "reporter_name", "reporter_phone", "external_id", "history",
                "dispatch_target"} & set(problems[0])
    echoes = visitor.list_case_wall({"wall": "echo", "node_id": place["street"]["id"]})["items"]
    assert [(c["id"], c["reply"]) for c in echoes] == [(answered["id"], "已增加清运频次")]
    assert visitor.list_case_wall({"wall": "problem", "node_id": place["grid"]["id"]})["items"][0][
        "id"] == open_case["id"]

    mine = place["resident"].list_cases({})["items"]
    assert {c["id"] for c in mine} == {open_case["id"], private["id"], answered["id"]}
    assert visitor.list_cases({})["items"] == []
    staff = place["secretary"].list_cases({"status": "reported"})["items"]
    assert {c["id"] for c in staff} == {open_case["id"], private["id"]}
    assert org.secretary(elsewhere["community"]).list_cases({})["items"][0]["description"] == "外社区噪音"
    services = visitor.list_case_services()
    assert {"service_code": "lighting", "service_name": "路灯照明", "group": "infrastructure",
            "type": "realtime", "metadata": False, "keywords": ""} in services


def test_hotline_tickets(org, place):
    hotline = org.admin
    payload = {"service_code": "parking", "description": "消防通道被占", "node_id": place["compound"]["id"],
               "source": "hotline", "external_id": "12345-20260601-0042",
               "requested_datetime": "2026-06-01T08:30:00+08:00", "reporter": {"phone": "13600000000"}}
    case = hotline.report_case(payload)
    assert case["source"] == "hotline" and case["requested_datetime"] == "2026-06-01T00:30:00+00:00"
    with pytest.raises(Conflict, match="already reported") as error:
        hotline.report_case(payload)
    assert error.value.details["case_id"] == case["id"]
    found = hotline.list_cases({"source": "hotline", "external_id": "12345-20260601-0042"})["items"]
    assert [c["id"] for c in found] == [case["id"]]
    with pytest.raises(Forbidden):
        place["resident"].report_case({**payload, "external_id": "x-1"})
    with pytest.raises(ValidationError):
        hotline.report_case({**payload, "external_id": "x-2", "lat": 30.0})
    with pytest.raises(Forbidden):
        org.liaison(org.unit()).report_case({**payload, "source": None, "external_id": None})
