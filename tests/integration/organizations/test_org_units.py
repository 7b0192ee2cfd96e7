"""Resident units: credit codes, duplicates, report-in state machine, events, visibility."""

import pytest

from shared.errors import Conflict, Forbidden, NotFound, ValidationError
from shared.testing.helpers import race
from tests.integration.organizations.support import credit_code


def test_register_unit_validates_the_credit_code(org, outbox):
    code = credit_code(1)
    unit = org.admin.register_unit({"name": "铜陵有色金属集团", "kind": "soe", "credit_code": code.lower(),
                                    "contact_name": "王联络", "contact_phone": "0562-1234567"})
    assert unit["credit_code"] == code and unit["communities"] == []
    assert unit["contact_name"] == "王联络"
    with pytest.raises(ValidationError) as error:
        org.admin.register_unit({"name": "x", "kind": "company", "credit_code": code[:17] + (
            "0" if code[17] != "0" else "1")})
    assert "check digit" in error.value.fields["credit_code"][0]
    with pytest.raises(ValidationError) as error:
        org.admin.register_unit({"name": "x", "kind": "company", "credit_code": "91110000I0001764"})
    assert "18 characters" in error.value.fields["credit_code"][0]
    with pytest.raises(Conflict) as error:
        org.admin.register_unit({"name": "同码单位", "kind": "company", "credit_code": code})
    assert error.value.details["unit_id"] == unit["id"]
    (event,) = outbox.events(org.slug, "unit_registered")
    assert {k: event[k] for k in ("unit_id", "name", "kind", "credit_code")} == {
        "unit_id": unit["id"], "name": "铜陵有色金属集团", "kind": "soe", "credit_code": code}


def test_duplicate_codes_racing_give_one_unit(org):
    code = credit_code(2)
    clients = [org.client() for _ in range(4)]
    outcomes = race(*[lambda c=c, i=i: c.register_unit({"name": f"单位{i}", "kind": "company",
                                                         "credit_code": code})
                      for i, c in enumerate(clients)])
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, dict))
    assert len(org.admin.list_units({"credit_code": code})["items"]) == 1


def test_report_in_state_machine_and_events(org, outbox):
    t = org.tree()
    unit = org.unit(name="白鹤小学", kind="school")
    liaison = org.liaison(unit)
    secretary = org.secretary(t["community"])
    report = liaison.request_report_in({"unit_id": unit["id"], "community_id": t["community"]["id"],
                                        "note": "申请报到"})
    assert report["status"] == "pending" and report["community_path"] == t["community"]["path"]
    with pytest.raises(Conflict, match="already pending"):
        liaison.request_report_in({"unit_id": unit["id"], "community_id": t["community"]["id"]})
    with pytest.raises(Forbidden):
        liaison.confirm_report_in({"report_id": report["id"]})  # the community confirms
    confirmed = secretary.confirm_report_in({"report_id": report["id"], "note": "欢迎"})
    assert confirmed["status"] == "confirmed" and confirmed["decided_at"]
    with pytest.raises(Conflict) as error:
        secretary.confirm_report_in({"report_id": report["id"]})
    assert error.value.message == "cannot confirm a report-in that is confirmed"
    with pytest.raises(Conflict, match="cannot reject a report-in that is confirmed"):
        secretary.reject_report_in({"report_id": report["id"]})
    assert org.admin.get_unit(unit["id"])["communities"] == [
        {"community_id": t["community"]["id"], "name": "白鱼潭社区", "path": t["community"]["path"]}]
    listed = org.admin.list_units({"community_id": t["community"]["id"]})["items"]
    assert [u["id"] for u in listed] == [unit["id"]]

    (event,) = outbox.events(org.slug, "unit_reported_in")
    assert {k: event[k] for k in ("unit_id", "name", "kind", "credit_code", "community_id",
                                  "community_path")} == {
        "unit_id": unit["id"], "name": "白鹤小学", "kind": "school", "credit_code": unit["credit_code"],
        "community_id": t["community"]["id"], "community_path": t["community"]["path"]}

    withdrawn = liaison.withdraw_report_in({"report_id": report["id"]})
    assert withdrawn["status"] == "withdrawn"
    with pytest.raises(Conflict, match="cannot withdraw a report-in that is withdrawn"):
        liaison.withdraw_report_in({"report_id": report["id"]})
    again = liaison.request_report_in({"unit_id": unit["id"], "community_id": t["community"]["id"]})
    rejected = secretary.reject_report_in({"report_id": again["id"], "note": "不在辖区"})
    assert rejected["status"] == "rejected" and rejected["decision_note"] == "不在辖区"
    assert outbox.types(org.slug).count("unit_report_in_requested") == 2


def test_report_in_only_to_communities_in_scope(org):
    t = org.tree()
    other = org.tree(prefix="外")
    unit = org.unit()
    with pytest.raises(ValidationError, match="not a community"):
        org.admin.request_report_in({"unit_id": unit["id"], "community_id": t["grid"]["id"]})
    with pytest.raises(NotFound):
        org.admin.request_report_in({"unit_id": "6e0b1d8e-5f3a-4c1e-9d1e-3f1e2d3c4b5a",
                                     "community_id": t["community"]["id"]})
    report = org.admin.request_report_in({"unit_id": unit["id"], "community_id": other["community"]["id"]})
    with pytest.raises(Forbidden):
        org.secretary(t["community"]).confirm_report_in({"report_id": report["id"]})
    org.secretary(other["street"]).confirm_report_in({"report_id": report["id"]})  # street above
    mine = org.secretary(t["community"]).list_report_ins({})["items"]
    assert mine == []
    theirs = org.secretary(other["community"]).list_report_ins({})["items"]
    assert [r["id"] for r in theirs] == [report["id"]]
    assert [r["id"] for r in org.liaison(unit).list_report_ins({})["items"]] == [report["id"]]
    with pytest.raises(Forbidden):
        org.client("resident").list_report_ins({})


def test_contacts_are_not_public(org):
    unit = org.unit(contact_name="李联络", contact_phone="13800000000")
    public = org.client("resident").get_unit(unit["id"])
    assert public["name"] == unit["name"] and "contact_phone" not in public and "contact_name" not in public
    assert org.liaison(unit).get_unit(unit["id"])["contact_phone"] == "13800000000"
    other = org.unit()
    assert "contact_phone" not in org.liaison(other).get_unit(unit["id"])
    with pytest.raises(Forbidden):
        org.client("resident").register_unit({"name": "x", "kind": "company", "credit_code": credit_code()})
    with pytest.raises(Forbidden):
        org.liaison(other).update_unit({"unit_id": unit["id"], "name": "篡改"})
    renamed = org.liaison(unit).update_unit({"unit_id": unit["id"], "name": "新名称"})
    assert renamed["name"] == "新名称"
