"""Roles for people (scoped like API client grants) and person tokens for apps (token exchange),
with organizations running so people have homes in the territory."""

import pytest

from services.organizations.service import OrganizationsService
from shared.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError
from shared.testing.helpers import race, wait_for
from shared.tokens import verify_token
from tests.integration.organizations.support import OrgTenant


@pytest.fixture
def town(start_services, onboard, rpc_client, tokens):
    start_services(OrganizationsService)
    org = OrgTenant(onboard("tongling")["slug"], rpc_client, tokens)
    onboard("huayin")
    tree = org.tree()
    other = org.tree(prefix="另")
    admin = rpc_client("tongling", tokens.admin("tongling")).tenants
    return {"org": org, "tree": tree, "other": other, "admin": admin}


def staff(rpc_client, tokens, role, node):
    return rpc_client("tongling", tokens.make("tongling", role, scope=node["path"])).tenants


def delegate_client(admin, **extra):
    return admin.create_api_client({"name": extra.pop("name", "小程序后端"), "roles": [{"role": "resident"}],
                                    "permissions": ["delegate"], **extra})


def exchange(rpc_client, client, **who):
    return rpc_client("tongling").tenants.issue_person_token(
        {"client_id": client["client_id"], "client_secret": client["client_secret"], **who})


def test_secretary_grants_inside_subtree_and_never_above_own_role(town, rpc_client, tokens):
    tree, admin = town["tree"], town["admin"]
    person = admin.register_person({"name": "网格员小张", "phone": "13811110000", "home_node_id": tree["grid"]["id"]})
    secretary = staff(rpc_client, tokens, "community_secretary", tree["community"])
    granted = secretary.grant_role({"person_id": person["id"], "role": "grid_worker", "scope": tree["grid"]["path"]})
    assert [(g["role"], g["scope"]) for g in granted["roles"]] == [("grid_worker", tree["grid"]["path"])]
    for payload in ({"role": "street_secretary", "scope": tree["community"]["path"]},
                    {"role": "grid_worker", "scope": town["other"]["grid"]["path"]},
                    {"role": "grid_worker"},
                    {"role": "tenant_admin", "scope": tree["community"]["path"]}):
        with pytest.raises(Forbidden):
            secretary.grant_role({"person_id": person["id"], **payload})
    with pytest.raises(Conflict):
        secretary.grant_role({"person_id": person["id"], "role": "grid_worker", "scope": tree["grid"]["path"]})
    revoked = secretary.revoke_role({"person_id": person["id"], "role": "grid_worker", "scope": tree["grid"]["path"]})
    assert revoked["roles"] == []
    with pytest.raises(NotFound):
        secretary.revoke_role({"person_id": person["id"], "role": "grid_worker", "scope": tree["grid"]["path"]})
    # someone living outside the secretary's subtree is not even visible to them
    outsider = admin.register_person({"name": "外人", "home_node_id": town["other"]["grid"]["id"]})
    with pytest.raises(NotFound):
        secretary.grant_role({"person_id": outsider["id"], "role": "volunteer", "scope": tree["grid"]["path"]})
    with pytest.raises(Forbidden):
        staff(rpc_client, tokens, "grid_worker", tree["grid"]).grant_role(
            {"person_id": person["id"], "role": "volunteer", "scope": tree["grid"]["path"]})


def test_concurrent_grants_of_the_same_role_have_one_winner(town, rpc_client, tokens):
    tree, admin = town["tree"], town["admin"]
    person = admin.register_person({"name": "志愿者", "home_node_id": tree["compound"]["id"]})
    grant = {"person_id": person["id"], "role": "volunteer", "scope": tree["compound"]["path"]}
    admins = [rpc_client("tongling", tokens.admin("tongling")).tenants for _ in range(5)]
    outcomes = race(*[lambda a=a: a.grant_role(grant) for a in admins])
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, dict))
    assert len(admin.get_person(person["id"])["roles"]) == 1


def test_staff_register_and_list_only_inside_their_subtree(town, rpc_client, tokens):
    tree, other, admin = town["tree"], town["other"], town["admin"]
    grid_worker = staff(rpc_client, tokens, "grid_worker", tree["grid"])
    mine = grid_worker.register_person({"name": "居民甲", "home_node_id": tree["building"]["id"]})
    with pytest.raises(Forbidden):
        grid_worker.register_person({"name": "居民乙", "home_node_id": other["building"]["id"]})
    with pytest.raises(Forbidden):
        grid_worker.register_person({"name": "无家"})
    theirs = admin.register_person({"name": "居民丙", "home_node_id": other["building"]["id"]})
    admin.grant_role({"person_id": theirs["id"], "role": "volunteer", "scope": other["grid"]["path"]})
    assert [p["id"] for p in grid_worker.list_people({})["items"]] == [mine["id"]]
    assert [p["id"] for p in admin.list_people({"node_id": other["community"]["id"]})["items"]] == [theirs["id"]]
    assert [p["id"] for p in admin.list_people({"role": "volunteer"})["items"]] == [theirs["id"]]
    assert {p["id"] for p in admin.list_people({"limit": 1})["items"]} <= {mine["id"], theirs["id"]}
    first = admin.list_people({"limit": 1})
    second = admin.list_people({"limit": 1, "cursor": first["next_cursor"]})
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {mine["id"], theirs["id"]}
    with pytest.raises(ValidationError, match="no such node"):
        admin.register_person({"name": "x", "home_node_id": "00000000-0000-0000-0000-000000000000"})


def test_person_tokens_need_a_delegate_client_and_carry_only_own_grants(town, rpc_client, tokens, gj_keys):
    tree, admin = town["tree"], town["admin"]
    person = admin.register_person({"name": "党员老李", "phone": "13922223333", "wechat_openid": "oLaoLi001",
                                    "home_node_id": tree["building"]["id"]})
    admin.grant_role({"person_id": person["id"], "role": "party_member", "scope": tree["community"]["path"]})
    admin.grant_role({"person_id": person["id"], "role": "tenant_admin"})
    plain = admin.create_api_client({"name": "no delegate", "roles": [{"role": "tenant_admin"}]})
    with pytest.raises(Forbidden):
        exchange(rpc_client, plain, person_id=person["id"])
    app = delegate_client(admin)
    by_id = exchange(rpc_client, app, person_id=person["id"], ttl=300)
    by_phone = exchange(rpc_client, app, phone="+86 139 2222 3333")
    by_openid = exchange(rpc_client, app, wechat_openid="oLaoLi001")
    assert by_id["person_id"] == by_phone["person_id"] == by_openid["person_id"] == person["id"]
    caller = verify_token(by_id["access_token"], gj_keys["private_key"].public_key(),
                          audience="gongjian", issuer="gongjian-tenants")
    assert caller.subject == f"person:{person['id']}" and caller.tenant == "tongling"
    assert {g.role for g in caller.grants} == {"party_member", "resident"}  # never tenant_admin
    own = rpc_client("tongling", by_id["access_token"]).tenants
    assert own.get_person(person["id"])["name"] == "党员老李"
    with pytest.raises(Forbidden):
        own.list_people({})
    with pytest.raises(NotFound):
        exchange(rpc_client, app, phone="13900000000")


def test_revoked_clients_wrong_secrets_and_deactivated_people_get_no_token(town, rpc_client):
    admin = town["admin"]
    person = admin.register_person({"name": "居民", "phone": "13744445555"})
    app = delegate_client(admin)
    with pytest.raises(Unauthenticated):
        exchange(rpc_client, {**app, "client_secret": "gjs_wrong"}, person_id=person["id"])
    admin.deactivate_person({"person_id": person["id"]})
    with pytest.raises(Forbidden):
        exchange(rpc_client, app, person_id=person["id"])
    admin.reactivate_person({"person_id": person["id"]})
    assert exchange(rpc_client, app, person_id=person["id"])["person_id"] == person["id"]
    admin.revoke_api_client({"client_id": app["client_id"]})
    with pytest.raises(Unauthenticated):
        exchange(rpc_client, app, person_id=person["id"])


def test_an_app_registers_its_user_on_first_sign_in(town, rpc_client):
    admin = town["admin"]
    app = delegate_client(admin)
    token = rpc_client("tongling").tenants.issue_token(
        {"client_id": app["client_id"], "client_secret": app["client_secret"]})["access_token"]
    backend = rpc_client("tongling", token).tenants
    person = backend.register_person({"name": "新用户", "wechat_openid": "oNewUser123"})
    assert person["created_by"] == f"client:{app['client_id']}"
    assert backend.find_person({"wechat_openid": "oNewUser123"})["id"] == person["id"]
    with pytest.raises(Forbidden):  # an app finds its users one by one, never lists everyone
        backend.list_people({})
    backend.verify_contact({"person_id": person["id"], "channel": "wechat"})
    assert exchange(rpc_client, app, wechat_openid="oNewUser123")["person_id"] == person["id"]
    # an app without the permission may not register people
    resident_app = admin.create_api_client({"name": "只读", "roles": [{"role": "resident"}]})
    token = rpc_client("tongling").tenants.issue_token(
        {"client_id": resident_app["client_id"], "client_secret": resident_app["client_secret"]})["access_token"]
    with pytest.raises(Forbidden):
        rpc_client("tongling", token).tenants.register_person({"name": "x"})


def test_a_delegate_client_of_one_tenant_cannot_act_for_people_of_another(town, rpc_client, tokens):
    admin = town["admin"]
    person = admin.register_person({"name": "铜陵人", "phone": "13655556666"})
    huayin_app = delegate_client(rpc_client("huayin", tokens.admin("huayin")).tenants)
    with pytest.raises(Unauthenticated):
        exchange(rpc_client, huayin_app, person_id=person["id"])
    with pytest.raises(NotFound):
        rpc_client("huayin").tenants.issue_person_token(
            {"client_id": huayin_app["client_id"], "client_secret": huayin_app["client_secret"],
             "phone": "13655556666"})


def test_homes_and_role_scopes_follow_a_moved_node(town, rpc_client, tokens):
    org, tree, other, admin = town["org"], town["tree"], town["other"], town["admin"]
    person = admin.register_person({"name": "搬家", "home_node_id": tree["building"]["id"]})
    admin.grant_role({"person_id": person["id"], "role": "volunteer", "scope": tree["compound"]["path"]})
    moved = org.admin.move_node({"node_id": tree["compound"]["id"], "new_parent_id": other["grid"]["id"]})
    new_building_path = moved["path"] + "." + tree["building"]["path"].rsplit(".", 1)[1]
    wait_for(lambda: admin.get_person(person["id"])["home_path"] == new_building_path,
             message="the home path to follow the move")
    assert admin.get_person(person["id"])["roles"][0]["scope"] == moved["path"]
