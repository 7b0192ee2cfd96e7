"""A tenant's own response rules: whistle deadlines per urgency and case SLA per level. New
summons and case transitions use them; deadlines already set stay; contradictory limits are
refused whole; only the tenant admin changes them; another tenant keeps the defaults; two
admins changing different limits at once both keep theirs."""

from datetime import datetime, timezone

import pytest

from shared.errors import Forbidden, ValidationError
from shared.testing.helpers import race
from tests.integration.organizations.support import OrgTenant

T0 = datetime(2026, 5, 1, 1, 0, tzinfo=timezone.utc)
DEFAULT_URGENT = {"acknowledge": 30, "arrive": 120, "resolve": 1440}


@pytest.fixture
def scene(org):
    t = org.tree()
    unit = org.reported_unit(t["community"], name="铜陵供电公司", kind="soe")
    return {**t, "unit": unit, "secretary": org.secretary(t["community"])}


def _raise(scene, urgency="urgent"):
    return scene["secretary"].raise_whistle({
        "node_id": scene["compound"]["id"], "title": "路灯不亮", "category": "infrastructure",
        "description": "小区东门路灯坏了", "urgency": urgency, "unit_ids": [scene["unit"]["id"]]})


def test_defaults_until_the_tenant_sets_its_own(org):
    rules = org.client("resident").get_response_rules()
    assert rules["customised"] is False and rules["updated_at"] is None
    assert rules["whistle_deadlines"]["urgent"] == DEFAULT_URGENT
    assert rules["case_sla"] == {"community": 4320, "street": 7200, "district": 10080}


def test_new_summons_and_cases_follow_the_tenant_rules(org, scene, outbox, clock):
    clock.freeze(T0)
    before = _raise(scene)["responses"][0]
    changed = org.admin.set_response_rules({"whistle_deadlines": {"urgent": {"arrive": 30, "acknowledge": 10}},
                                            "case_sla": {"community": 1440}})
    assert changed["customised"] is True and changed["updated_at"] == "2026-05-01T01:00:00+00:00"
    assert changed["whistle_deadlines"]["urgent"] == {"acknowledge": 10, "arrive": 30, "resolve": 1440}
    assert changed["whistle_deadlines"]["normal"]["acknowledge"] == 120  # untouched
    assert changed["case_sla"] == {"community": 1440, "street": 7200, "district": 10080}

    after = _raise(scene)["responses"][0]
    assert after["acknowledge_due"] == "2026-05-01T01:10:00+00:00"
    assert after["arrive_due"] == "2026-05-01T01:30:00+00:00"
    assert after["resolve_due"] == "2026-05-02T01:00:00+00:00"
    assert before["arrive_due"] == "2026-05-01T03:00:00+00:00"  # set before the change: kept

    resident = org.client("resident", scope=scene["building"]["path"], subject="user:resident-1")
    case = resident.report_case({"service_code": "lighting", "description": "楼道灯坏了",
                                 "node_id": scene["building"]["id"]})
    assert case["expected_datetime"] == "2026-05-02T01:00:00+00:00"  # one day at community level

    event = outbox.events(org.slug, "response_rules_updated")[-1]
    assert event["whistle_deadlines"]["urgent"]["arrive"] == 30 and event["case_sla"]["community"] == 1440


def test_contradictory_or_malformed_limits_change_nothing(org):
    with pytest.raises(ValidationError) as refused:
        org.admin.set_response_rules({"whistle_deadlines": {"urgent": {"acknowledge": 200}}})
    assert "whistle_deadlines.urgent" in refused.value.details  # acknowledge after arriving (120)
    for payload, field in (
        ({"whistle_deadlines": {"someday": {"resolve": 10}}}, "whistle_deadlines"),
        ({"whistle_deadlines": {"urgent": {"resolve": 0}}}, "whistle_deadlines"),
        ({"whistle_deadlines": {"urgent": {"resolve": 12.5}}}, "whistle_deadlines"),
        ({"whistle_deadlines": {"urgent": {"resolve": "60"}}}, "whistle_deadlines"),
        ({"case_sla": {"province": 60}}, "case_sla"),
        ({"case_sla": {"street": 10 ** 9}}, "case_sla"),
        ({}, "_schema"),
        ({"case_sla": {"street": 60}, "updated_at": "2026-01-01T00:00:00+00:00"}, "updated_at"),
        ({"case_sla": {"street": 60}, "colour": "red"}, "colour"),
    ):
        with pytest.raises(ValidationError) as refused:
            org.admin.set_response_rules(payload)
        assert field in refused.value.details, payload
    assert org.admin.get_response_rules()["customised"] is False


def test_only_the_tenant_admin_sets_them_and_other_tenants_keep_theirs(org, scene, onboard, rpc_client, tokens):
    for caller in (scene["secretary"], org.secretary(scene["street"]), org.liaison(scene["unit"]),
                   org.client("resident")):
        with pytest.raises(Forbidden):
            caller.set_response_rules({"case_sla": {"community": 60}})
    org.admin.set_response_rules({"case_sla": {"community": 60}})
    other = OrgTenant(onboard()["slug"], rpc_client, tokens)
    assert other.admin.get_response_rules()["case_sla"]["community"] == 4320
    with pytest.raises(Forbidden):  # A's admin token in B's context
        rpc_client(other.slug, tokens.make(org.slug, "tenant_admin")).organizations.set_response_rules(
            {"case_sla": {"community": 1}})
    assert other.admin.get_response_rules()["customised"] is False


def test_two_admins_changing_different_limits_at_once_both_keep_theirs(org):
    first, second = org.client(subject="user:admin-1"), org.client(subject="user:admin-2")
    results = race(lambda: first.set_response_rules({"case_sla": {"street": 2880}}),
                   lambda: second.set_response_rules({"whistle_deadlines": {"routine": {"resolve": 20160}}}))
    assert not [r for r in results if isinstance(r, Exception)], results
    rules = org.admin.get_response_rules()
    assert rules["case_sla"]["street"] == 2880
    assert rules["whistle_deadlines"]["routine"]["resolve"] == 20160
