"""Personal data (PIPL) in organizations: a person's cases, ratings and timeline entries are
exported, then anonymised — names and phones gone from the raw rows, the person's subject replaced
by one pseudonym — while statistics, ratings and scorecards add up as before; erasing twice
changes nothing more; only tenant admins (and operators) may ask; tenants stay apart."""

import json

import pytest

from shared.errors import Forbidden, ValidationError
from shared.personal_data import ERASED_NAME, ERASED_RESPONSE
from tests.integration.organizations.support import OrgTenant
from tests.integration.personal_data_support import RawRows, new_person, without_audit

NAME, PHONE = "王秀英", "13912345678"


@pytest.fixture
def raw(gj_config):
    reader = RawRows(gj_config, "organizations")
    yield reader
    reader.close()


@pytest.fixture
def scene(org):
    t = org.tree()
    unit = org.reported_unit(t["community"], name="绿城物业")
    person_id, subject = new_person()
    other_id, other_subject = new_person()
    return {**t, "unit": unit, "secretary": org.secretary(t["community"]),
            "person_id": person_id, "subject": subject,
            "person": org.client("resident", scope=t["building"]["path"], subject=subject),
            "other_id": other_id,
            "other": org.client("resident", scope=t["building"]["path"], subject=other_subject)}


def _report(client, scene, name=NAME, phone=PHONE, **fields):
    return client.report_case({
        "service_code": "lighting", "description": "3幢楼道灯坏了", "node_id": scene["building"]["id"],
        "address": "白鱼潭小区3幢", "lat": 30.871, "long": 120.091,
        "reporter": {"name": name, "phone": phone}, **fields})


def _answer(scene, case_id):
    for step in ("accept", "handle"):
        getattr(scene["secretary"], f"{step}_case")({"case_id": case_id})
    scene["secretary"].reply_case({"case_id": case_id, "reply": "已修复"})


def _closed_whistle(org, scene):
    unit = scene["unit"]
    whistle = scene["secretary"].raise_whistle({
        "node_id": scene["compound"]["id"], "title": "路灯不亮", "category": "infrastructure",
        "description": "小区主干道路灯不亮", "urgency": "normal", "unit_ids": [unit["id"]]})
    liaison = org.liaison(unit)
    for step in ("acknowledge", "arrive", "resolve"):
        getattr(liaison, f"{step}_whistle")({"whistle_id": whistle["id"]})
    scene["secretary"].close_whistle({"whistle_id": whistle["id"], "note": "已修复"})
    return whistle


def _figures(org, scene):
    stats = org.admin.get_statistics({"node_id": scene["street"]["id"]})
    card = org.admin.get_unit_scorecard({"unit_id": scene["unit"]["id"]})
    return stats, card


def test_export_then_erase_a_reporter(org, scene, raw, rpc_client, tokens):
    person, subject, pid = scene["person"], scene["subject"], scene["person_id"]
    # The person reports with an idempotency key: its stored answer names them too.
    keyed = rpc_client(org.slug, tokens.make(org.slug, "resident", scope=scene["building"]["path"],
                                             subject=subject), idempotency_key="case-1").organizations
    case = _report(keyed, scene)
    _answer(scene, case["id"])
    person.rate_case({"case_id": case["id"], "score": 4, "comment": f"{NAME}很满意"})
    other_case = _report(scene["other"], scene, name="李四", phone="13800000001")
    whistle = _closed_whistle(org, scene)
    person.rate_whistle({"whistle_id": whistle["id"], "score": 3, "comment": "来得有点慢"})
    stats_before, card_before = _figures(org, scene)
    whistle_before = org.admin.get_whistle(whistle["id"])["ratings"]

    exported = org.admin.export_personal_data({"person_id": pid})
    json.dumps(exported)  # JSON-ready as it is
    assert exported["service"] == "organizations" and exported["person_id"] == pid
    sections = exported["sections"]
    assert set(without_audit(sections)) == {"cases", "case_history", "whistle_ratings", "whistle_timeline", "references"}
    (mine,) = sections["cases"]
    assert mine["id"] == case["id"] and mine["reporter_name"] == NAME and mine["reporter_phone"] == PHONE
    assert mine["rating"] == 4 and mine["rating_comment"] == f"{NAME}很满意"
    assert mine["reporter_subject"] == subject and mine["requested_datetime"].endswith("+00:00")
    assert [h["action"] for h in mine["history"]] == ["report", "accept", "handle", "reply", "rate"]
    assert [h["action"] for h in sections["case_history"]] == ["report", "rate"]
    (rating,) = sections["whistle_ratings"]
    assert rating["score"] == 3 and rating["comment"] == "来得有点慢" and rating["whistle_id"] == whistle["id"]
    assert [e["action"] for e in sections["whistle_timeline"]] == ["rated 3"]
    assert sections["references"] == []
    assert other_case["id"] not in json.dumps(sections)

    erased = org.admin.erase_personal_data({"person_id": pid})
    assert erased["service"] == "organizations" and erased["person_id"] == pid
    assert erased["erased"] == {"cases": 1, "case_history": 2, "whistle_ratings": 1, "whistle_timeline": 1,
                                "references": 0, "outbox_events": 0, "idempotency_responses": 1}

    # The raw rows: no trace of the person's id, name or phone anywhere in the tenant's data.
    for needle in (pid, NAME, PHONE, "来得有点慢"):
        assert raw.traces(org.slug, needle) == {}, needle
    (row,) = raw.rows(org.slug, "cases", "id = :id", id=case["id"])
    assert row["reporter_name"] == ERASED_NAME and row["reporter_phone"] is None
    assert row["rating_comment"] is None and row["rating"] == 4 and row["status"] == "rated"
    assert row["description"] == "3幢楼道灯坏了" and row["address"] == "白鱼潭小区3幢"
    alias = row["reporter_subject"]
    assert alias.startswith("erased:")
    (rating_row,) = raw.rows(org.slug, "whistle_ratings", "whistle_id = :w AND rater_role = 'resident'",
                             w=whistle["id"])
    assert rating_row["rated_by"] == alias and rating_row["score"] == 3 and rating_row["comment"] is None
    history = raw.rows(org.slug, "case_history", "case_id = :id ORDER BY id", id=case["id"])
    assert [h["actor"] == alias for h in history] == [True, False, False, False, True]
    assert history[-1]["note"] is None
    (untouched,) = raw.rows(org.slug, "cases", "id = :id", id=other_case["id"])
    assert untouched["reporter_name"] == "李四" and untouched["reporter_phone"] == "13800000001"

    # Counts, ratings and scorecards add up as before.
    assert _figures(org, scene) == (stats_before, card_before)
    assert org.admin.get_whistle(whistle["id"])["ratings"] == whistle_before
    assert org.admin.get_case(case["id"])["rating"] == 4
    # A retry of the person's keyed report changes nothing and no longer tells who they were.
    assert _report(keyed, scene) == ERASED_RESPONSE

    # Nothing left to export; erasing again changes nothing and answers the same way.
    after = org.admin.export_personal_data({"person_id": pid})["sections"]
    assert all(rows == [] for rows in without_audit(after).values()) and set(after) == set(sections)
    again = org.admin.erase_personal_data({"person_id": pid})
    assert again["erased"] == {key: 0 for key in erased["erased"]}
    (row_again,) = raw.rows(org.slug, "cases", "id = :id", id=case["id"])
    assert row_again == row


def test_a_staff_person_is_pseudonymised_where_they_acted(org, scene, raw):
    pid, subject = scene["person_id"], scene["subject"]
    staff = org.client("community_secretary", scope=scene["community"]["path"], subject=subject)
    case = _report(scene["other"], scene)
    staff.accept_case({"case_id": case["id"], "status_notes": "已受理"})
    staff.dispatch_case({"case_id": case["id"], "to": {"kind": "grid_worker", "target": subject}})
    whistle = staff.raise_whistle({
        "node_id": scene["compound"]["id"], "title": "井盖缺失", "category": "public_safety",
        "description": "2幢前井盖缺失", "urgency": "urgent", "unit_ids": [scene["unit"]["id"]]})

    sections = org.admin.export_personal_data({"person_id": pid})["sections"]
    assert sections["cases"] == []  # they reported nothing
    assert [e["action"] for e in sections["case_history"]] == ["accept", "dispatch"]
    assert [e["action"] for e in sections["whistle_timeline"]] == ["raised"]
    assert sorted((r["table"], r["column"]) for r in sections["references"]) == [
        ("cases", "dispatch_target"), ("whistles", "raised_by")]
    ref = {r["table"]: r for r in sections["references"]}
    assert ref["whistles"]["key"] == {"id": whistle["id"]} and ref["whistles"]["at"].endswith("+00:00")

    erased = org.admin.erase_personal_data({"person_id": pid})["erased"]
    assert erased["case_history"] == 2 and erased["whistle_timeline"] == 1 and erased["references"] == 2
    assert raw.traces(org.slug, pid) == {}
    (case_row,) = raw.rows(org.slug, "cases", "id = :id", id=case["id"])
    (whistle_row,) = raw.rows(org.slug, "whistles", "id = :id", id=whistle["id"])
    assert case_row["dispatch_target"] == whistle_row["raised_by"]  # one pseudonym per run
    assert case_row["reporter_name"] == NAME  # the reporter is someone else: untouched
    (raised,) = raw.rows(org.slug, "whistle_timeline", "whistle_id = :w AND action = 'raised'", w=whistle["id"])
    assert raised["note"] == "井盖缺失" and raised["actor"] == whistle_row["raised_by"]  # work notes stay
    (accepted,) = raw.rows(org.slug, "case_history", "case_id = :c AND action = 'accept'", c=case["id"])
    assert accepted["note"] == "已受理"


def test_only_tenant_admins_and_operators(org, scene, rpc_client, tokens):
    payload = {"person_id": scene["person_id"]}
    _report(scene["person"], scene)
    for client in (scene["person"], scene["secretary"], org.client("grid_worker")):
        with pytest.raises(Forbidden):
            client.export_personal_data(payload)
        with pytest.raises(Forbidden):
            client.erase_personal_data(payload)
    operator = rpc_client(org.slug, tokens.operator()).organizations
    assert len(operator.export_personal_data(payload)["sections"]["cases"]) == 1
    assert org.admin.export_personal_data(payload)["sections"]["cases"][0]["reporter_name"] == NAME


def test_bad_payloads_are_refused(org):
    for payload, field in (({"person_id": "not-a-uuid"}, "person_id"), ({}, "person_id"),
                           ({"person_id": "8f1e6a4e-3f5b-4c1a-9d2e-1b2c3d4e5f60", "reveal": True}, "reveal"),
                           ({"person_id": "8f1e6a4e-3f5b-4c1a-9d2e-1b2c3d4e5f60", "tenant": "x"}, "tenant")):
        for method in (org.admin.export_personal_data, org.admin.erase_personal_data):
            with pytest.raises(ValidationError) as error:
                method(payload)
            assert field in error.value.fields, (payload, error.value.fields)


def test_tenants_stay_apart(org, scene, onboard, rpc_client, tokens):
    pid = scene["person_id"]
    case = _report(scene["person"], scene)
    other = OrgTenant(onboard()["slug"], rpc_client, tokens)
    exported = other.admin.export_personal_data({"person_id": pid})
    assert all(rows == [] for rows in exported["sections"].values())
    erased = other.admin.erase_personal_data({"person_id": pid})
    assert all(count == 0 for count in erased["erased"].values())
    # B's admin naming tenant A in the context is refused before anything is read.
    crossing = rpc_client(org.slug, tokens.make(other.slug, "tenant_admin")).organizations
    with pytest.raises(Forbidden):
        crossing.export_personal_data({"person_id": pid})
    with pytest.raises(Forbidden):
        crossing.erase_personal_data({"person_id": pid})
    (mine,) = org.admin.export_personal_data({"person_id": pid})["sections"]["cases"]
    assert mine["id"] == case["id"] and mine["reporter_name"] == NAME


def test_the_export_carries_the_persons_audit_trail(org, scene, raw):
    pid, subject = scene["person_id"], scene["subject"]
    case = _report(scene["person"], scene)
    row_id = raw.audit_row(org.slug, "organizations", subject, "report_case", case["id"])
    raw.audit_row(org.slug, "organizations", "user:someone-else", "report_case", case["id"])
    trail = org.admin.export_personal_data({"person_id": pid})["sections"]["audit"]
    assert {e["subject"] for e in trail} == {subject}
    (mine,) = [e for e in trail if e["id"] == row_id]
    assert mine["method"] == "report_case" and mine["object_ids"] == [case["id"]] and mine["outcome"] == "ok"
    # Erasure leaves the trail (ids only, append-only) and reports only what it anonymised.
    erased = org.admin.erase_personal_data({"person_id": pid})["erased"]
    assert "audit" not in erased and erased["cases"] == 1
    assert [e for e in org.admin.export_personal_data({"person_id": pid})["sections"]["audit"]
            if e["id"] == row_id] == [mine]
