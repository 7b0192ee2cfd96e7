"""Payload validation of the organizations service (no broker): what integrators get refused."""

import uuid

import pytest

from services.organizations import schemas
from shared.endpoints import load
from shared.errors import ValidationError
from tests.integration.organizations.support import credit_code

NODE_ID = "6e0b1d8e-5f3a-4c1e-9d1e-3f1e2d3c4b5a"


def refused(schema, payload):
    with pytest.raises(ValidationError) as error:
        load(schema, payload)
    return error.value.fields


def test_create_node():
    data = load(schemas.CreateNode(), {"kind": "grid", "name": "  第一网格 ", "parent_id": NODE_ID,
                                       "location": {"lat": 30.9, "lng": 117.8}})
    assert data["name"] == "第一网格" and data["code"] is None and data["population"] is None
    assert refused(schemas.CreateNode(), {"kind": "grid", "name": "x", "path": "a.b"}) == {
        "path": ["is set by the server"]}
    assert "kind" in refused(schemas.CreateNode(), {"kind": "village", "name": "x"})
    assert "name" in refused(schemas.CreateNode(), {"kind": "street", "name": "   "})
    assert "code" in refused(schemas.CreateNode(), {"kind": "street", "name": "x", "code": "a/b"})
    assert "population" in refused(schemas.CreateNode(), {"kind": "street", "name": "x", "population": -1})
    assert "location" in refused(schemas.CreateNode(), {"kind": "street", "name": "x", "location": {"lat": 91, "lng": 0}})
    assert "colour" in refused(schemas.CreateNode(), {"kind": "street", "name": "x", "colour": "red"})


def test_update_node_keeps_absent_fields_absent():
    assert load(schemas.UpdateNode(), {"node_id": NODE_ID, "location": None}) == {
        "node_id": uuid.UUID(NODE_ID), "location": None}


def test_credit_code_field():
    code = credit_code(5)
    assert load(schemas.RegisterUnit(), {"name": "x", "kind": "company", "credit_code": f" {code.lower()} "})[
        "credit_code"] == code
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert "check digit" in refused(schemas.RegisterUnit(), {"name": "x", "kind": "company",
                                                             "credit_code": wrong})["credit_code"][0]


def test_resource_windows():
    ok = {"kind": "space", "name": "会议室", "windows": [{"weekday": 1, "start": "09:00", "end": "12:00"}]}
    assert load(schemas.ResourceInput(), ok)["quantity"] == 1
    assert refused(schemas.ResourceInput(), {**ok, "kind": "funding"}) == {
        "windows": ["only spaces and parking have lending windows"]}
    overlapping = {**ok, "windows": ok["windows"] + [{"weekday": 1, "start": "11:00", "end": "13:00"}]}
    assert refused(schemas.ResourceInput(), overlapping) == {"windows": ["windows overlap on weekday 1"]}
    assert "windows" in refused(schemas.ResourceInput(), {**ok, "windows": [{"weekday": 0, "start": "09:00",
                                                                            "end": "10:00"}]})
    assert "windows" in refused(schemas.ResourceInput(), {**ok, "windows": [{"weekday": 1, "start": "10:00",
                                                                            "end": "09:00"}]})


def test_agreement_dates_and_resource_index():
    base = {"unit_id": NODE_ID, "community_id": NODE_ID, "title": "协议", "valid_from": "2026-01-01"}
    assert "valid_until" in refused(schemas.CreateAgreement(), {**base, "valid_until": "2025-12-31"})
    assert "commitments" in refused(schemas.CreateAgreement(), {
        **base, "commitments": [{"description": "x", "due_on": "2026-02-01", "resource_index": 0}]})


def test_whistles_and_cases():
    whistle = {"node_id": NODE_ID, "title": "x", "category": "other", "description": "x", "unit_ids": [NODE_ID]}
    assert load(schemas.RaiseWhistle(), whistle)["urgency"] == "normal"
    assert "unit_ids" in refused(schemas.RaiseWhistle(), {**whistle, "unit_ids": []})
    assert "photos" in refused(schemas.RaiseWhistle(), {**whistle, "photos": ["ftp://x/1.jpg"]})
    assert "score" in refused(schemas.RateWhistle(), {"whistle_id": NODE_ID, "score": 6})
    case = {"service_code": "lighting", "description": "灯坏了", "node_id": NODE_ID}
    assert load(schemas.ReportCase(), case)["public"] is True
    assert refused(schemas.ReportCase(), {**case, "lat": 30.1}) == {"lat": ["give both lat and long, or neither"]}
    assert "requested_datetime" in refused(schemas.ReportCase(), {**case, "requested_datetime": "2026-06-01T08:00:00"})
    assert "to" in refused(schemas.DispatchCase(), {"case_id": NODE_ID})
    assert "status" in refused(schemas.ReportCase(), {**case, "status": "closed"})


def test_consultation_needs_four_parties():
    base = {"node_id": NODE_ID, "title": "四方会谈", "format": "four_party", "held_at": "2026-06-05T19:00:00+08:00"}
    problem = refused(schemas.RecordConsultation(), {**base, "participants": [{"party": "party_org", "name": "支部"}]})
    assert "residents_committee" in problem["participants"][0]


def test_import_needs_one_source():
    assert "rows" in refused(schemas.ImportFile(), {})
    assert "format" in refused(schemas.ImportFile(), {"content": "YQ=="})
    assert load(schemas.ImportFile(), {"rows": [{"kind": "street"}]})["dry_run"] is False
