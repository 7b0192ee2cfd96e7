"""Tenant isolation and authentication of the organizations service, probed as an attacker
would with every service running: tenant B's token with tenant A's ids, tenant A's token in
tenant B's context, scoped tokens outside their scope, forged and expired tokens, a suspended
tenant."""

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import Forbidden, NotFound, TenantUnavailable, Unauthenticated
from tests.integration.organizations.support import OrgTenant


@pytest.fixture
def tenants(platform, onboard, rpc_client, tokens):
    """Tenant A with a tree, a reported unit in an alliance, a signed agreement, a whistle and a
    case; tenant B empty."""
    a = OrgTenant(onboard()["slug"], rpc_client, tokens)
    b = OrgTenant(onboard()["slug"], rpc_client, tokens)
    t = a.tree()
    unit = a.reported_unit(t["community"], name="甲租户单位")
    alliance = a.admin.create_alliance({"community_id": t["community"]["id"], "name": "甲联盟"})
    a.admin.add_alliance_member({"alliance_id": alliance["id"], "unit_id": unit["id"]})
    agreement = a.admin.create_agreement({"unit_id": unit["id"], "community_id": t["community"]["id"],
                                          "title": "协议", "valid_from": "2026-01-01"})
    a.admin.sign_agreement({"agreement_id": agreement["id"]})
    whistle = a.admin.raise_whistle({"node_id": t["community"]["id"], "title": "哨", "category": "other",
                                     "description": "x", "unit_ids": [unit["id"]]})
    case = a.admin.report_case({"service_code": "other", "description": "诉求", "node_id": t["grid"]["id"],
                                "reporter": {"name": "张三", "phone": "13800000000"}})
    report = a.admin.list_report_ins({"unit_id": unit["id"]})["items"][0]
    committee = a.admin.create_party_org({"kind": "community_committee", "name": "党委",
                                          "node_id": t["community"]["id"]})
    return {"a": a, "b": b, "tree": t, "unit": unit, "alliance": alliance, "agreement": agreement,
            "whistle": whistle, "case": case, "report": report, "committee": committee}


def test_b_cannot_reach_a_ids(tenants):
    b, t = tenants["b"].admin, tenants["tree"]
    reads = [(b.get_node, t["grid"]["id"]), (b.get_unit, tenants["unit"]["id"]),
             (b.get_whistle, tenants["whistle"]["id"]), (b.get_case, tenants["case"]["id"]),
             (b.get_agreement, tenants["agreement"]["id"]), (b.get_alliance, tenants["alliance"]["id"]),
             (b.get_party_org, tenants["committee"]["id"])]
    for read, object_id in reads:
        with pytest.raises(NotFound):
            read(object_id)
    writes = [
        (b.update_node, {"node_id": t["grid"]["id"], "name": "劫持"}),
        (b.move_node, {"node_id": t["compound"]["id"], "new_parent_id": t["grid"]["id"]}),
        (b.archive_node, {"node_id": t["building"]["id"]}),
        (b.create_node, {"kind": "grid", "name": "x", "parent_id": t["community"]["id"]}),
        (b.confirm_report_in, {"report_id": tenants["report"]["id"]}),
        (b.acknowledge_whistle, {"whistle_id": tenants["whistle"]["id"], "unit_id": tenants["unit"]["id"]}),
        (b.accept_case, {"case_id": tenants["case"]["id"]}),
        (b.terminate_agreement, {"agreement_id": tenants["agreement"]["id"], "reason": "x"}),
        (b.get_statistics, {"node_id": t["community"]["id"]}),
        (b.get_unit_scorecard, {"unit_id": tenants["unit"]["id"]}),
    ]
    for write, payload in writes:
        with pytest.raises(NotFound):
            write(payload)
    assert b.list_nodes({})["items"] == [] and b.list_units({})["items"] == []
    assert b.list_whistles({})["items"] == [] and b.list_cases({})["items"] == []


def test_wall_of_another_tenant_is_not_found(tenants):
    with pytest.raises(NotFound):
        tenants["b"].admin.list_case_wall({"wall": "problem", "node_id": tenants["tree"]["community"]["id"]})


def test_a_token_in_b_context_is_forbidden(tenants, rpc_client, tokens):
    a_slug, b_slug = tenants["a"].slug, tenants["b"].slug
    intruder = rpc_client(b_slug, tokens.admin(a_slug)).organizations
    with pytest.raises(Forbidden):
        intruder.get_node(tenants["tree"]["grid"]["id"])
    with pytest.raises(Forbidden):
        intruder.create_node({"kind": "street", "name": "x"})
    liaison = rpc_client(b_slug, tokens.make(a_slug, "unit_liaison", unit_id=tenants["unit"]["id"])).organizations
    with pytest.raises(Forbidden):
        liaison.acknowledge_whistle({"whistle_id": tenants["whistle"]["id"]})


def test_b_token_carrying_a_paths_sees_nothing_of_a(tenants, rpc_client, tokens):
    t, b_slug = tenants["tree"], tenants["b"].slug
    forged_scope = rpc_client(b_slug, tokens.make(b_slug, "community_secretary",
                                                  scope=t["community"]["path"])).organizations
    with pytest.raises(NotFound):
        forged_scope.update_node({"node_id": t["grid"]["id"], "name": "x"})
    assert forged_scope.list_report_ins({})["items"] == []


def test_scoped_roles_stay_in_their_subtree(tenants):
    a, t = tenants["a"], tenants["tree"]
    other = a.tree(prefix="邻")
    neighbour = a.secretary(other["community"])
    with pytest.raises(Forbidden):
        neighbour.close_whistle({"whistle_id": tenants["whistle"]["id"]})
    with pytest.raises(Forbidden):
        neighbour.accept_case({"case_id": tenants["case"]["id"]})
    with pytest.raises(Forbidden):
        neighbour.get_statistics({"node_id": t["community"]["id"]})
    assert neighbour.list_cases({})["items"] == []
    assert "reporter" not in neighbour.get_case(tenants["case"]["id"])  # public fields only
    worker = a.client("grid_worker", scope=other["grid"]["path"])
    with pytest.raises(Forbidden):
        worker.handle_case({"case_id": tenants["case"]["id"]})


def test_forged_and_expired_tokens_are_refused(tenants, rpc_client, tokens):
    slug, node_id = tenants["a"].slug, tenants["tree"]["grid"]["id"]
    forged = tokens.make(slug, private_key=Ed25519PrivateKey.generate())
    with pytest.raises(Unauthenticated):
        rpc_client(slug, forged).organizations.get_node(node_id)
    expired = tokens.make(slug, ttl=60, now=time.time() - 7200)
    with pytest.raises(Unauthenticated, match="expired"):
        rpc_client(slug, expired).organizations.get_node(node_id)
    with pytest.raises(Unauthenticated):
        rpc_client(slug).organizations.get_node(node_id)
    wrong_audience = tokens.make(slug, audience="someone-else")
    with pytest.raises(Unauthenticated):
        rpc_client(slug, wrong_audience).organizations.create_node({"kind": "street", "name": "x"})


def test_suspended_tenant_is_unavailable(tenants, operator):
    a = tenants["a"]
    operator.tenants.suspend_tenant({"slug": a.slug})
    deadline = time.monotonic() + 10
    while True:
        try:
            a.admin.get_node(tenants["tree"]["grid"]["id"])
        except TenantUnavailable:
            break
        assert time.monotonic() < deadline, "suspension not seen"
        time.sleep(0.1)
    with pytest.raises(TenantUnavailable):
        a.admin.raise_whistle({"node_id": tenants["tree"]["community"]["id"], "title": "x", "category": "other",
                               "description": "x", "unit_ids": [tenants["unit"]["id"]]})
