"""PIPL rights across the three services, driven as a tenant admin and an app would: a person
signs in through an app, reports a case and books a room; the admin exports everything held about
them into one document, then erases them everywhere — and isolation holds throughout."""

import json

import pytest

from shared.errors import Forbidden, NotFound
from shared.personal_data import ERASED_NAME
from tests.integration.venues.support import T0, VenueTenant, iso, local

PHONE = "17000001234"


@pytest.fixture
def town(platform, onboard, rpc_client, tokens, clock):
    clock.freeze(T0)
    vt = VenueTenant(onboard("tongling")["slug"], rpc_client, tokens)
    onboard("huayin")
    tree = vt.tree()
    room = vt.room(vt.venue(tree["community"], name="社区党群服务中心"), name="活动室", capacity=30)
    admin = rpc_client("tongling", tokens.admin("tongling"))
    person = admin.tenants.register_person({"name": "陈静", "phone": PHONE, "email": "chen@example.com",
                                            "home_node_id": tree["compound"]["id"]})
    app = admin.tenants.create_api_client({"name": "小程序", "roles": [{"role": "resident"}],
                                           "permissions": ["delegate"]})
    issued = rpc_client("tongling").tenants.issue_person_token(
        {"client_id": app["client_id"], "client_secret": app["client_secret"], "phone": PHONE})
    me = rpc_client("tongling", issued["access_token"])
    case = me.organizations.report_case({
        "service_code": "sanitation", "description": "楼道堆放杂物", "node_id": tree["compound"]["id"],
        "reporter": {"name": "陈静", "phone": PHONE}})
    booking = me.venues.create_booking({
        "room_id": room["id"], "starts_at": iso(local(1, "10:00")), "ends_at": iso(local(1, "11:00")),
        "purpose": "读书会", "organiser": "陈静"})
    return {"vt": vt, "admin": admin, "person": person, "app": app, "case": case, "booking": booking}


def test_export_gathers_every_service_into_one_document(town):
    admin, person = town["admin"], town["person"]
    result = admin.tenants.export_person_data({"person_id": person["id"]})
    assert result["status"] == "complete" and result["kind"] == "export"
    assert {s: step["status"] for s, step in result["services"].items()} == {
        "tenants": "done", "organizations": "done", "venues": "done"}
    document = result["document"]
    json.dumps(document)
    own = document["services"]["tenants"]
    assert own["person"][0]["name"] == "陈静"
    assert {c["channel"]: c["address"] for c in own["contact_points"]}["sms"] == "+86" + PHONE
    assert [c["id"] for c in document["services"]["organizations"]["cases"]] == [town["case"]["id"]]
    assert [b["id"] for b in document["services"]["venues"]["bookings"]] == [town["booking"]["id"]]
    for service, method in (("organizations", "report_case"), ("venues", "create_booking")):
        methods = {row["method"] for row in document["services"][service]["audit"]}
        assert methods & {"report_case", "create_booking"}
        assert method in methods


def test_erasure_anonymises_everywhere_blocks_sign_in_and_is_idempotent(town, rpc_client):
    admin, person, app = town["admin"], town["person"], town["app"]
    request = admin.tenants.erase_person({"person_id": person["id"]})
    assert request["status"] == "complete" and request["completed_at"] is not None
    assert {s: step["status"] for s, step in request["services"].items()} == {
        "tenants": "done", "organizations": "done", "venues": "done"}
    erased = admin.tenants.get_person(person["id"])
    assert erased["status"] == "erased" and erased["name"] == ERASED_NAME
    assert erased["phone"] is None and erased["email"] is None and erased["home_node_id"] is None
    with pytest.raises(NotFound):
        admin.tenants.find_person({"phone": PHONE})
    with pytest.raises(NotFound):
        rpc_client("tongling").tenants.issue_person_token(
            {"client_id": app["client_id"], "client_secret": app["client_secret"], "phone": PHONE})
    with pytest.raises(Forbidden):
        rpc_client("tongling").tenants.issue_person_token(
            {"client_id": app["client_id"], "client_secret": app["client_secret"], "person_id": person["id"]})
    case = admin.organizations.get_case(town["case"]["id"])
    assert case["description"] == "楼道堆放杂物"  # what others acted on stays
    assert "陈静" not in json.dumps(case, ensure_ascii=False) and PHONE not in json.dumps(case)
    booking = admin.venues.get_booking(town["booking"]["id"])
    assert booking["status"] == town["booking"]["status"] and "陈静" not in json.dumps(booking, ensure_ascii=False)
    again = admin.tenants.erase_person({"person_id": person["id"]})
    assert again["request_id"] == request["request_id"] and again["status"] == "complete"
    assert admin.tenants.get_data_request(request["request_id"])["status"] == "complete"


def test_only_tenant_admins_of_the_same_tenant_export_or_erase(town, rpc_client, tokens):
    person = town["person"]
    huayin = rpc_client("huayin", tokens.admin("huayin")).tenants
    with pytest.raises(NotFound):
        huayin.export_person_data({"person_id": person["id"]})
    with pytest.raises(NotFound):
        huayin.erase_person({"person_id": person["id"]})
    secretary = rpc_client("tongling", tokens.make("tongling", "community_secretary")).tenants
    with pytest.raises(Forbidden):
        secretary.export_person_data({"person_id": person["id"]})
    own = rpc_client("tongling", tokens.make("tongling", "resident", subject=f"person:{person['id']}")).tenants
    with pytest.raises(Forbidden):
        own.erase_person({"person_id": person["id"]})
    assert town["admin"].tenants.get_person(person["id"])["status"] == "active"
