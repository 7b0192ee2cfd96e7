"""Territory tree through the real service: create, read, list, update, move, archive, events
and permissions."""

import pytest

from shared.errors import Conflict, Forbidden, NotFound, ValidationError
from shared.testing.helpers import race
from tests.integration.organizations.support import OrgTenant


def test_create_and_read_a_tree(org, outbox):
    t = org.tree()
    street, community, building = t["street"], t["community"], t["building"]
    assert street["parent_id"] is None and street["path"] == street["id"].replace("-", "")
    assert community["path"] == f"{street['path']}.{community['id'].replace('-', '')}"
    assert building["path"].count(".") == 4
    assert street["location"] == {"lat": 30.87, "lng": 120.09}
    assert community["location"] is None and community["archived"] is False
    assert building["population"] == 90 and building["households"] == 30

    node = org.admin.get_node(building["id"])
    assert [a["kind"] for a in node["ancestors"]] == ["street", "community", "grid", "compound"]

    created = outbox.events(org.slug, "node_created")
    assert [e["kind"] for e in created] == ["street", "community", "grid", "compound", "building"]
    assert created[0]["location"] == {"lat": 30.87, "lng": 120.09}
    assert set(created[1]) >= {"node_id", "kind", "name", "code", "parent_id", "path", "location",
                               "population", "households", "event_id", "tenant", "occurred_at"}
    assert created[1]["parent_id"] == street["id"]


def test_parent_kind_rules(org):
    t = org.tree()
    with pytest.raises(ValidationError) as error:
        org.node("grid", "错挂网格", t["street"])
    assert "belongs under a community" in error.value.fields["parent_id"][0]
    with pytest.raises(ValidationError):
        org.admin.create_node({"kind": "community", "name": "无街道社区", "parent_id": None})
    with pytest.raises(ValidationError):
        org.node("street", "子街道", t["community"])
    with pytest.raises(ValidationError) as error:
        org.admin.create_node({"kind": "street", "name": "x", "id": "abc"})
    assert "id" in error.value.fields
    with pytest.raises(NotFound):
        org.node("grid", "孤儿网格", {"id": "00000000-0000-0000-0000-000000000001"})


def test_sibling_codes_and_names_are_unique(org):
    t = org.tree()
    org.node("grid", "第二网格", t["community"], code="G2")
    with pytest.raises(Conflict) as error:
        org.node("grid", "第三网格", t["community"], code="G2")
    assert error.value.details["constraint"] == "nodes_sibling_code"
    with pytest.raises(Conflict):
        org.node("grid", "第二网格", t["community"], code="G3")
    other = org.node("community", "另一社区", t["street"])
    assert org.node("grid", "第二网格", other, code="G2")["code"] == "G2"  # per parent


def test_list_by_parent_kind_subtree_and_text(org):
    t = org.tree()
    for i in range(5):
        org.node("grid", f"网格{i:02d}", t["community"], code=f"GX{i}")
    other = org.tree(prefix="另")
    children = org.admin.list_nodes({"parent_id": t["community"]["id"]})
    assert len(children["items"]) == 6
    subtree = org.admin.list_nodes({"subtree": t["street"]["id"], "limit": 200})["items"]
    assert {n["id"] for n in subtree}.isdisjoint({n["id"] for n in other.values()})
    assert len(subtree) == 9  # community + 6 grids + compound + building
    grids = org.admin.list_nodes({"subtree": t["street"]["id"], "kind": "grid"})["items"]
    assert len(grids) == 6
    found = org.admin.list_nodes({"text": "网格0"})["items"]
    assert [n["name"] for n in found] == [f"网格{i:02d}" for i in range(5)]
    assert org.admin.list_nodes({"text": "GX3"})["items"][0]["name"] == "网格03"
    streets = org.admin.list_nodes({"top_level": True})["items"]
    assert len(streets) == 2

    first = org.admin.list_nodes({"parent_id": t["community"]["id"], "limit": 4})
    rest = org.admin.list_nodes({"parent_id": t["community"]["id"], "limit": 4,
                                 "cursor": first["next_cursor"]})
    assert len(first["items"]) == 4 and len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert not {n["id"] for n in first["items"]} & {n["id"] for n in rest["items"]}


def test_update_node_emits_node_updated(org, outbox):
    t = org.tree()
    updated = org.admin.update_node({"node_id": t["compound"]["id"], "name": "白鱼潭花园",
                                     "location": {"lat": 30.88, "lng": 120.1}, "population": 1300})
    assert updated["name"] == "白鱼潭花园" and updated["location"] == {"lat": 30.88, "lng": 120.1}
    assert updated["households"] == 400
    cleared = org.admin.update_node({"node_id": t["compound"]["id"], "location": None})
    assert cleared["location"] is None
    events = outbox.events(org.slug, "node_updated")
    assert [e["name"] for e in events] == ["白鱼潭花园", "白鱼潭花园"]
    assert events[0]["population"] == 1300 and events[1]["location"] is None
    org.admin.update_node({"node_id": t["compound"]["id"], "name": "白鱼潭花园"})  # no change
    assert len(outbox.events(org.slug, "node_updated")) == 2


def test_move_rewrites_the_whole_subtree(org, outbox):
    t = org.tree()
    new_grid = org.node("grid", "第二网格", t["community"])
    moved = org.admin.move_node({"node_id": t["compound"]["id"], "new_parent_id": new_grid["id"]})
    label = t["compound"]["id"].replace("-", "")
    assert moved["path"] == f"{new_grid['path']}.{label}"
    assert moved["parent_id"] == new_grid["id"]
    building = org.admin.get_node(t["building"]["id"])
    assert building["path"] == f"{moved['path']}.{t['building']['id'].replace('-', '')}"
    under_new = org.admin.list_nodes({"subtree": new_grid["id"]})["items"]
    assert {n["id"] for n in under_new} == {t["compound"]["id"], t["building"]["id"]}
    assert org.admin.list_nodes({"subtree": t["grid"]["id"]})["items"] == []
    (event,) = outbox.events(org.slug, "node_moved")
    assert event["old_path"] == t["compound"]["path"] and event["path"] == moved["path"]
    assert event["node_id"] == t["compound"]["id"] and event["parent_id"] == new_grid["id"]

    with pytest.raises(ValidationError):
        org.admin.move_node({"node_id": t["compound"]["id"], "new_parent_id": t["community"]["id"]})
    same = org.admin.move_node({"node_id": t["compound"]["id"], "new_parent_id": new_grid["id"]})
    assert same["path"] == moved["path"] and len(outbox.events(org.slug, "node_moved")) == 1


def test_archive_rules(org, outbox):
    t = org.tree()
    with pytest.raises(Conflict) as error:
        org.admin.archive_node({"node_id": t["compound"]["id"]})
    assert error.value.details["active_children"] == 1
    archived = org.admin.archive_node({"node_id": t["building"]["id"]})
    assert archived["archived"] is True and archived["archived_at"]
    with pytest.raises(Conflict) as error:
        org.admin.archive_node({"node_id": t["building"]["id"]})
    assert error.value.message == "cannot archive a node that is archived"
    assert error.value.details["status"] == "archived"
    with pytest.raises(Conflict, match="cannot attach to a node that is archived"):
        org.node("unit", "1单元", archived)
    with pytest.raises(Conflict, match="cannot update a node that is archived"):
        org.admin.update_node({"node_id": archived["id"], "name": "x"})
    assert org.admin.list_nodes({"parent_id": t["compound"]["id"]})["items"] == []
    assert len(org.admin.list_nodes({"parent_id": t["compound"]["id"],
                                     "include_archived": True})["items"]) == 1
    org.node("building", "1幢", t["compound"])  # the name is free again
    (event,) = outbox.events(org.slug, "node_archived")
    assert event["node_id"] == t["building"]["id"] and event["path"] == t["building"]["path"]

    lonely = org.node("community", "待撤并社区", t["street"])
    org.reported_unit(lonely)
    with pytest.raises(Conflict, match="cannot archive a node that has units reported in"):
        org.admin.archive_node({"node_id": lonely["id"]})
    grid = org.node("grid", "有支部的网格", t["community"])
    org.admin.create_party_org({"kind": "general_branch", "name": "网格党总支", "node_id": grid["id"]})
    with pytest.raises(Conflict, match="has active party organisations"):
        org.admin.archive_node({"node_id": grid["id"]})


def test_secretaries_act_only_in_their_subtree(org):
    t = org.tree()
    other = org.tree(prefix="外")
    secretary = org.secretary(t["community"])
    grid = secretary.create_node({"kind": "grid", "name": "书记建网格", "parent_id": t["community"]["id"]})
    secretary.update_node({"node_id": t["compound"]["id"], "name": "改名"})
    with pytest.raises(Forbidden):
        secretary.create_node({"kind": "grid", "name": "越界", "parent_id": other["community"]["id"]})
    with pytest.raises(Forbidden):
        secretary.create_node({"kind": "community", "name": "兄弟社区", "parent_id": t["street"]["id"]})
    with pytest.raises(Forbidden):
        secretary.create_node({"kind": "street", "name": "新街道"})
    with pytest.raises(Forbidden):
        secretary.move_node({"node_id": t["compound"]["id"], "new_parent_id": other["grid"]["id"]})
    with pytest.raises(Forbidden):
        secretary.archive_node({"node_id": other["building"]["id"]})
    secretary.move_node({"node_id": t["compound"]["id"], "new_parent_id": grid["id"]})

    street_secretary = org.secretary(t["street"])
    street_secretary.create_node({"kind": "community", "name": "新社区", "parent_id": t["street"]["id"]})
    with pytest.raises(Forbidden):
        street_secretary.update_node({"node_id": other["grid"]["id"], "name": "x"})

    resident = org.client("resident")
    assert resident.get_node(t["grid"]["id"])["name"] == "第一网格"  # the map is public
    with pytest.raises(Forbidden):
        resident.create_node({"kind": "grid", "name": "x", "parent_id": t["community"]["id"]})


def test_concurrent_create_and_move_keep_paths_consistent(org):
    t = org.tree()
    target = org.node("grid", "目标网格", t["community"])
    clients = [org.client() for _ in range(9)]
    calls = [lambda c=c, i=i: c.create_node({"kind": "building", "name": f"{i}幢",
                                              "parent_id": t["compound"]["id"]})
             for i, c in enumerate(clients[:8], start=2)]
    mover = clients[8]
    outcomes = race(*calls[:4], lambda: mover.move_node(
        {"node_id": t["compound"]["id"], "new_parent_id": target["id"]}), *calls[4:])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    moved = outcomes[4]
    buildings = org.admin.list_nodes({"parent_id": t["compound"]["id"]})["items"]
    assert len(buildings) == 9
    for building in buildings:
        assert building["path"].startswith(moved["path"] + "."), building


def test_retried_create_with_idempotency_key_creates_once(org, rpc_client, tokens, outbox):
    t = org.tree()
    payload = {"kind": "grid", "name": "重试网格", "parent_id": t["community"]["id"], "code": "RT1"}
    retrying = rpc_client(org.slug, tokens.admin(org.slug), idempotency_key="create-grid-rt1").organizations
    first = retrying.create_node(payload)
    again = retrying.create_node(payload)
    assert again == first
    with pytest.raises(Conflict, match="different payload"):
        retrying.create_node({**payload, "name": "别的网格"})
    assert len([e for e in outbox.events(org.slug, "node_created") if e["code"] == "RT1"]) == 1


def test_operator_sweeps_every_tenant(org, operator, onboard, rpc_client, tokens):
    other = OrgTenant(onboard()["slug"], rpc_client, tokens).slug
    results = operator.organizations.run_sweeps()
    assert results[org.slug] == results[other] == {"whistles_escalated": 0, "cases_escalated": 0,
                                                   "commitments_overdue": 0}
    with pytest.raises(Forbidden):
        rpc_client(org.slug, tokens.make(org.slug, "community_secretary")).organizations.run_sweeps()
