"""Party organisations (1+3, part-time members), alliances, pairings, needs and co-building
agreements with lending windows and tracked commitments."""

from datetime import date, datetime, timedelta, timezone

import pytest

from shared.errors import Conflict, Forbidden, ValidationError


def test_one_plus_three_structure(org, outbox):
    t = org.tree()
    committee = org.admin.create_party_org({"kind": "community_committee", "name": "白鱼潭社区党委",
                                            "node_id": t["community"]["id"], "big_committee": True})
    branch = org.admin.create_party_org({"kind": "branch", "name": "第一网格党支部", "branch_type": "grid",
                                         "node_id": t["grid"]["id"], "parent_id": committee["id"]})
    group = org.admin.create_party_org({"kind": "group", "name": "1幢党小组",
                                        "node_id": t["building"]["id"], "parent_id": branch["id"]})
    household = org.admin.create_party_org({"kind": "member_household", "name": "张家党员中心户",
                                            "node_id": t["building"]["id"], "parent_id": group["id"]})
    assert household["node_path"] == t["building"]["path"] and household["status"] == "active"
    under = org.admin.list_party_orgs({"subtree": t["community"]["id"]})["items"]
    assert {o["kind"] for o in under} == {"community_committee", "branch", "group", "member_household"}

    with pytest.raises(ValidationError) as error:  # a group hangs under a branch, on a building
        org.admin.create_party_org({"kind": "group", "name": "错", "node_id": t["street"]["id"],
                                    "parent_id": branch["id"]})
    assert "node_id" in error.value.fields
    with pytest.raises(ValidationError) as error:
        org.admin.create_party_org({"kind": "branch", "name": "无类型支部", "node_id": t["grid"]["id"],
                                    "parent_id": committee["id"]})
    assert "branch_type" in error.value.fields
    with pytest.raises(ValidationError) as error:
        org.admin.create_party_org({"kind": "group", "name": "孤组", "node_id": t["building"]["id"]})
    assert "parent_id" in error.value.fields
    with pytest.raises(ValidationError) as error:
        org.admin.create_party_org({"kind": "branch", "name": "大支部", "branch_type": "grid",
                                    "node_id": t["grid"]["id"], "parent_id": committee["id"],
                                    "big_committee": True})
    with pytest.raises(Conflict, match="active sub-organisations"):
        org.admin.dissolve_party_org({"party_org_id": branch["id"]})
    created = outbox.events(org.slug, "party_org_created")
    assert [e["kind"] for e in created][:2] == ["community_committee", "branch"]
    assert created[1]["node_path"] == t["grid"]["path"] and created[1]["parent_id"] == committee["id"]


def test_seats_and_part_time_members(org, outbox):
    t = org.tree()
    committee = org.admin.create_party_org({"kind": "community_committee", "name": "社区大党委",
                                            "node_id": t["community"]["id"], "big_committee": True})
    org.admin.seat_member({"party_org_id": committee["id"], "person_name": "马丽丽", "role": "secretary"})
    with pytest.raises(Conflict, match="has a secretary"):
        org.admin.seat_member({"party_org_id": committee["id"], "person_name": "另一人", "role": "secretary"})
    stranger = org.unit(name="未报到物业", kind="property_company")
    with pytest.raises(Conflict, match="reported in"):
        org.admin.seat_member({"party_org_id": committee["id"], "person_name": "赵经理",
                               "role": "part_time_member", "unit_id": stranger["id"]})
    with pytest.raises(ValidationError) as error:
        org.admin.seat_member({"party_org_id": committee["id"], "person_name": "无单位",
                               "role": "part_time_member"})
    assert "unit_id" in error.value.fields
    property_company = org.reported_unit(t["community"], name="绿城物业", kind="property_company")
    seated = org.secretary(t["community"]).seat_member({
        "party_org_id": committee["id"], "person_name": "赵经理", "role": "part_time_member",
        "unit_id": property_company["id"], "title": "项目经理"})
    seats = {s["person_name"]: s for s in seated["seats"]}
    assert seats["赵经理"]["unit_name"] == "绿城物业" and seats["马丽丽"]["role"] == "secretary"

    branch = org.admin.create_party_org({"kind": "branch", "name": "网格支部", "branch_type": "grid",
                                         "node_id": t["grid"]["id"], "parent_id": committee["id"]})
    with pytest.raises(ValidationError, match="invalid seat"):
        org.admin.seat_member({"party_org_id": branch["id"], "person_name": "赵经理",
                               "role": "part_time_member", "unit_id": property_company["id"]})
    seat_id = seats["赵经理"]["seat_id"]
    after = org.admin.unseat_member({"seat_id": seat_id})
    assert "赵经理" not in {s["person_name"] for s in after["seats"]}
    with pytest.raises(Conflict, match="cannot unseat"):
        org.admin.unseat_member({"seat_id": seat_id})
    (event,) = [e for e in outbox.events(org.slug, "party_org_member_seated") if e["role"] == "part_time_member"]
    assert event["unit_id"] == property_company["id"] and event["node_path"] == t["community"]["path"]
    with pytest.raises(Forbidden):
        org.secretary(org.tree(prefix="外")["community"]).seat_member(
            {"party_org_id": committee["id"], "person_name": "越界", "role": "member"})


def test_alliance_members_council_and_activity_days(org, outbox):
    t = org.tree()
    alliance = org.secretary(t["community"]).create_alliance({
        "community_id": t["community"]["id"], "name": "白鹤社区党建联盟", "activity_day": "每月第一个周五"})
    with pytest.raises(Conflict, match="already has an alliance"):
        org.admin.create_alliance({"community_id": t["community"]["id"], "name": "第二联盟"})
    school = org.reported_unit(t["community"], name="白鹤小学", kind="school")
    hospital = org.reported_unit(t["community"], name="郊区医院", kind="hospital")
    outsider = org.unit(name="外单位")
    with pytest.raises(Conflict, match="reported in"):
        org.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": outsider["id"]})
    org.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": school["id"],
                                   "council_role": "chair", "liaison_name": "汪厚明",
                                   "liaison_phone": "13900000000"})
    with pytest.raises(Conflict, match="already has a chair"):
        org.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": hospital["id"],
                                       "council_role": "chair"})
    full = org.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": hospital["id"],
                                          "council_role": "vice_chair"})
    assert full["member_count"] == 2 and full["members"][0]["council_role"] == "chair"
    assert full["members"][0]["liaison_phone"] == "13900000000"
    public = org.client("resident").get_alliance(alliance["id"])
    assert "liaison_phone" not in public["members"][0]
    with pytest.raises(Conflict, match="already a member"):
        org.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": school["id"]})

    org.admin.update_alliance_member({"alliance_id": alliance["id"], "unit_id": school["id"],
                                      "council_role": "council_member"})
    org.admin.update_alliance_member({"alliance_id": alliance["id"], "unit_id": hospital["id"],
                                      "council_role": "chair"})
    day = org.admin.record_activity_day({"alliance_id": alliance["id"], "held_on": "2026-03-06",
                                         "title": "成员单位活动日: 义诊", "host_unit_id": hospital["id"],
                                         "participants": 40})
    assert day["held_on"] == "2026-03-06"
    with pytest.raises(ValidationError):
        org.admin.record_activity_day({"alliance_id": alliance["id"], "held_on": "2026-04-03",
                                       "title": "外单位主持", "host_unit_id": outsider["id"]})
    assert len(org.admin.list_activity_days({"alliance_id": alliance["id"]})["items"]) == 1
    left = org.admin.remove_alliance_member({"alliance_id": alliance["id"], "unit_id": school["id"]})
    assert [m["unit_id"] for m in left["members"]] == [hospital["id"]]
    types = outbox.types(org.slug)
    assert types.count("alliance_member_joined") == 2 and "alliance_member_left" in types
    listed = org.admin.list_alliances({"subtree": t["street"]["id"]})["items"]
    assert [a["id"] for a in listed] == [alliance["id"]] and listed[0]["member_count"] == 1


def test_pairings(org, outbox):
    t = org.tree()
    agency = org.unit(name="市文明办", kind="agency")
    pairing = org.admin.create_pairing({"unit_id": agency["id"], "community_id": t["community"]["id"]})
    assert pairing["status"] == "active" and pairing["community_path"] == t["community"]["path"]
    with pytest.raises(Conflict, match="already paired"):
        org.admin.create_pairing({"unit_id": agency["id"], "community_id": t["community"]["id"]})
    ended = org.admin.end_pairing({"pairing_id": pairing["id"]})
    assert ended["status"] == "ended"
    with pytest.raises(Conflict, match="cannot end a pairing that is ended"):
        org.admin.end_pairing({"pairing_id": pairing["id"]})
    assert org.admin.list_pairings({"community_id": t["community"]["id"]})["items"] == []
    assert len(org.admin.list_pairings({"community_id": t["community"]["id"], "include_ended": True})["items"]) == 1
    assert outbox.types(org.slug).count("pairing_created") == 1


def _agreement_payload(unit, community, need=None):
    return {
        "unit_id": unit["id"], "community_id": community["id"], "title": "2026年共建协议",
        "valid_from": "2026-01-01", "valid_until": "2026-12-31",
        "resources": [
            {"kind": "space", "name": "三楼会议室", "quantity": 1,
             "windows": [{"weekday": 6, "start": "09:00", "end": "12:00"},
                         {"weekday": 7, "start": "14:00", "end": "17:30"}]},
            {"kind": "parking", "name": "共享停车位", "quantity": 20,
             "windows": [{"weekday": d, "start": "18:00", "end": "24:00"} for d in range(1, 6)]},
            {"kind": "funding", "name": "共建资金", "quantity": 1},
        ],
        "commitments": [
            {"description": "开放会议室给老年大学", "due_on": "2026-03-01", "resource_index": 0,
             **({"need_id": need["id"]} if need else {})},
            {"description": "资助管家计划项目", "due_on": "2026-06-30", "project_ref": "butler-2026-017"},
        ],
    }


def test_agreement_lifecycle_and_events(org, outbox, clock):
    clock.freeze(datetime(2026, 1, 15, 2, 0, tzinfo=timezone.utc))
    t = org.tree()
    unit = org.reported_unit(t["community"], name="岳庙税务所", kind="agency")
    need = org.admin.create_need({"community_id": t["community"]["id"], "title": "老年大学缺教室",
                                  "category": "space"})
    secretary = org.secretary(t["community"])
    draft = secretary.create_agreement(_agreement_payload(unit, t["community"], need))
    assert draft["status"] == "draft" and len(draft["resources"]) == 3
    assert draft["commitments"][0]["resource_id"] == draft["resources"][0]["resource_id"]
    assert draft["fulfilment"] == {"done": 0, "overdue": 0, "pending": 2}
    assert outbox.events(org.slug, "agreement_signed") == []
    with pytest.raises(Conflict, match="cannot terminate an agreement that is draft"):
        secretary.terminate_agreement({"agreement_id": draft["id"], "reason": "x"})

    signed = secretary.sign_agreement({"agreement_id": draft["id"]})
    assert signed["status"] == "signed" and signed["signed_at"]
    with pytest.raises(Conflict, match="cannot sign an agreement that is signed"):
        secretary.sign_agreement({"agreement_id": draft["id"]})
    (event,) = outbox.events(org.slug, "agreement_signed")
    assert event["agreement_id"] == draft["id"] and event["community_path"] == t["community"]["path"]
    assert event["valid_from"] == "2026-01-01" and event["valid_until"] == "2026-12-31"
    space = event["resources"][0]
    assert space == {"resource_id": draft["resources"][0]["resource_id"], "kind": "space",
                     "name": "三楼会议室", "quantity": 1,
                     "windows": [{"weekday": 6, "start": "09:00", "end": "12:00"},
                                 {"weekday": 7, "start": "14:00", "end": "17:30"}]}

    kept = dict(draft["resources"][0], windows=[{"weekday": 6, "start": "08:00", "end": "12:00"}])
    kept.pop("description", None)
    updated = secretary.update_agreement({"agreement_id": draft["id"], "resources": [
        kept, {"kind": "equipment", "name": "投影仪", "quantity": 2}]})
    assert [r["name"] for r in updated["resources"]] == ["三楼会议室", "投影仪"]
    assert updated["resources"][0]["resource_id"] == draft["resources"][0]["resource_id"]
    (changed,) = outbox.events(org.slug, "agreement_updated")
    assert changed["resources"][0]["windows"] == [{"weekday": 6, "start": "08:00", "end": "12:00"}]
    assert len(changed["resources"]) == 2

    terminated = secretary.terminate_agreement({"agreement_id": draft["id"], "reason": "单位搬迁"})
    assert terminated["status"] == "terminated"
    with pytest.raises(Conflict, match="cannot update an agreement that is terminated"):
        secretary.update_agreement({"agreement_id": draft["id"], "title": "x"})
    (ended,) = outbox.events(org.slug, "agreement_terminated")
    assert ended["status"] == "terminated" and ended["resources"]


def test_agreement_rules(org):
    t = org.tree()
    stranger = org.unit()
    with pytest.raises(Conflict, match="reported in to, be paired with"):
        org.admin.create_agreement(_agreement_payload(stranger, t["community"]))
    unit = org.reported_unit(t["community"])
    bad = _agreement_payload(unit, t["community"])
    bad["resources"][0]["windows"] = [{"weekday": 6, "start": "12:00", "end": "09:00"}]
    with pytest.raises(ValidationError):
        org.admin.create_agreement(bad)
    bad = _agreement_payload(unit, t["community"])
    bad["resources"][0]["windows"].append({"weekday": 6, "start": "11:00", "end": "13:00"})
    with pytest.raises(ValidationError, match="invalid payload"):
        org.admin.create_agreement(bad)
    bad = _agreement_payload(unit, t["community"])
    bad["resources"][2]["windows"] = [{"weekday": 1, "start": "09:00", "end": "10:00"}]
    with pytest.raises(ValidationError):
        org.admin.create_agreement(bad)
    bad = _agreement_payload(unit, t["community"])
    bad["resources"][0]["windows"][0]["weekday"] = 8
    with pytest.raises(ValidationError):
        org.admin.create_agreement(bad)

    first = org.admin.create_agreement(_agreement_payload(unit, t["community"]))
    org.admin.sign_agreement({"agreement_id": first["id"]})
    overlapping = org.admin.create_agreement(dict(_agreement_payload(unit, t["community"]),
                                                  valid_from="2026-06-01", valid_until=None))
    with pytest.raises(Conflict) as error:
        org.admin.sign_agreement({"agreement_id": overlapping["id"]})
    assert error.value.details["constraint"] == "agreements_no_overlap"
    org.admin.update_agreement({"agreement_id": overlapping["id"], "valid_from": "2027-01-01"})
    assert org.admin.sign_agreement({"agreement_id": overlapping["id"]})["status"] == "signed"

    liaison = org.liaison(unit)
    assert liaison.get_agreement(first["id"])["id"] == first["id"]
    assert len(liaison.list_agreements({})["items"]) == 2
    with pytest.raises(Forbidden):
        org.liaison(stranger).get_agreement(first["id"])
    with pytest.raises(Forbidden):
        org.client("resident").list_agreements({})
    with pytest.raises(Forbidden):
        liaison.sign_agreement({"agreement_id": first["id"]})


def test_commitments_done_and_overdue(org, outbox, clock):
    clock.freeze(datetime(2026, 2, 20, 2, 0, tzinfo=timezone.utc))
    t = org.tree()
    unit = org.reported_unit(t["community"])
    agreement = org.admin.create_agreement(_agreement_payload(unit, t["community"]))
    org.admin.sign_agreement({"agreement_id": agreement["id"]})
    first, second = agreement["commitments"]
    done = org.liaison(unit).fulfil_commitment({"commitment_id": first["commitment_id"], "note": "已开放"})
    assert done["commitments"][0]["state"] == "done"
    with pytest.raises(Conflict, match="cannot fulfil a commitment that is done"):
        org.liaison(unit).fulfil_commitment({"commitment_id": first["commitment_id"]})

    clock.advance(timedelta(days=140))  # 2026-07-10: the second commitment is past due
    assert org.admin.run_sweeps()[org.slug]["commitments_overdue"] == 1
    assert org.admin.run_sweeps()[org.slug]["commitments_overdue"] == 0  # idempotent
    view = org.admin.get_agreement(agreement["id"])
    assert view["fulfilment"] == {"done": 1, "overdue": 1, "pending": 0}
    (overdue,) = outbox.events(org.slug, "commitment_overdue")
    assert overdue["commitment_id"] == second["commitment_id"] and overdue["due_on"] == "2026-06-30"
    late = org.admin.fulfil_commitment({"commitment_id": second["commitment_id"]})
    assert late["fulfilment"]["done"] == 2
    fulfilled = outbox.events(org.slug, "commitment_fulfilled")
    assert [e["on_time"] for e in fulfilled] == [True, False]
    assert date.fromisoformat(fulfilled[1]["due_on"]) == date(2026, 6, 30)
    with pytest.raises(Forbidden):
        org.client("resident").run_sweeps()
