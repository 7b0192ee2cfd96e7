"""tenants.list_audit: one tenant's audit trail across tenants, organizations and venues — merged
newest first, filtered, keyset-paged, isolated per tenant, for tenant admins only, and partial
(naming the missing service) rather than failing when a service does not answer."""

import uuid
from datetime import datetime

import pytest

from services.organizations.service import OrganizationsService
from services.tenants.service import TenantsService
from services.venues.service import VenuesService
from shared.errors import Forbidden, NotFound, Unauthenticated, ValidationError
from tests.integration.venues.support import VenueTenant


@pytest.fixture
def services(start_services):
    return start_services(OrganizationsService, VenuesService, VENUES_TIMER_SWEEPS=False)


@pytest.fixture
def busy(services, onboard, rpc_client, tokens):
    """A tenant where user:boss created a territory, a venue and an API client, and failed once."""
    tenant = VenueTenant(onboard("aud-a")["slug"], rpc_client, tokens)
    boss = tenant.client("tenant_admin", subject="user:boss")
    tree = tenant.tree()  # another admin (a subject of its own) builds the territory
    tenant.wait_for_node(tree["community"])
    venue = tenant.venue(tree["community"], client=boss.venues)
    client = boss.tenants.create_api_client({"name": "hotline", "roles": [{"role": "resident"}]})
    with pytest.raises(NotFound):
        boss.venues.close_venue({"venue_id": str(uuid.uuid4()), "reason": "test"})
    return {"tenant": tenant, "boss": boss, "tree": tree, "venue": venue, "client": client}


def everything(admin, **filters):
    items, cursor = [], None
    while True:
        page = admin.tenants.list_audit({**filters, "limit": 200, "cursor": cursor})
        assert page["unavailable"] == []
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def newest_first(items):
    keys = [(datetime.fromisoformat(i["at"]), i["service"], i["id"]) for i in items]
    return all(a[0] > b[0] or (a[0] == b[0] and (a[1], -a[2]) < (b[1], -b[2])) for a, b in zip(keys, keys[1:], strict=False))


def test_one_listing_across_services_with_filters(busy):
    boss, venue, tree = busy["boss"], busy["venue"], busy["tree"]
    items = everything(boss)
    assert {i["service"] for i in items} == {"tenants", "organizations", "venues"}
    assert newest_first(items)
    mine = everything(boss, subject="user:boss")
    assert sorted(i["method"] for i in mine) == ["close_venue", "create_api_client", "create_venue"]
    assert all(i["roles"] == [{"role": "tenant_admin"}] for i in mine)
    nodes = [i for i in items if i["method"] == "create_node"]
    assert len(nodes) == 4 and {i["service"] for i in nodes} == {"organizations"}
    assert tree["community"]["id"] in {oid for i in nodes for oid in i["object_ids"]}

    about_venue = everything(boss, object_id=venue["id"])
    assert [(i["service"], i["method"]) for i in about_venue] == [("venues", "create_venue")]
    assert tree["community"]["id"] in about_venue[0]["object_ids"]  # the payload's node_id too
    [failed] = everything(boss, outcome="not_found")
    assert (failed["service"], failed["method"], failed["subject"]) == ("venues", "close_venue", "user:boss")
    assert [i["method"] for i in everything(boss, service="tenants", subject="user:boss")] == ["create_api_client"]
    assert [i["service"] for i in everything(boss, method="create_venue")] == ["venues"]

    since = about_venue[0]["at"]
    later = everything(boss, since=since)
    assert later and all(i["at"] >= since for i in later)
    assert all(i["at"] < since for i in everything(boss, until=since))
    with pytest.raises(ValidationError):
        boss.tenants.list_audit({"service": "nowhere"})
    with pytest.raises(ValidationError):
        boss.tenants.list_audit({"limit": 201})
    with pytest.raises(ValidationError):
        boss.tenants.list_audit({"cursor": "bm90IGEgY3Vyc29y"})


def test_pages_walk_the_merged_order_without_gaps_or_repeats(busy):
    boss = busy["boss"]
    full = everything(boss)
    for size in (1, 2, 3):
        seen, cursor = [], None
        while True:
            page = boss.tenants.list_audit({"limit": size, "cursor": cursor})
            assert len(page["items"]) <= size
            seen += [(i["service"], i["id"]) for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [(i["service"], i["id"]) for i in full]


def test_tenant_admins_only_and_never_another_tenants_rows(busy, onboard, rpc_client, tokens):
    other = VenueTenant(onboard("aud-b")["slug"], rpc_client, tokens)
    other_admin = other.client("tenant_admin", subject="user:other-boss")
    other_admin.tenants.create_api_client({"name": "own", "roles": [{"role": "resident"}]})
    seen = everything(other_admin)
    ids_of_a = {busy["venue"]["id"], busy["client"]["client_id"], busy["tree"]["community"]["id"]}
    assert seen and not ids_of_a & {oid for i in seen for oid in i["object_ids"]}
    assert "user:boss" not in {i["subject"] for i in seen}
    assert everything(other_admin, subject="user:boss") == []
    assert everything(other_admin, object_id=busy["venue"]["id"]) == []
    # tenant A's admin token in tenant B's context, and non-admins anywhere, are refused
    crossing = rpc_client("aud-b", tokens.make("aud-a", "tenant_admin", subject="user:boss"))
    with pytest.raises(Forbidden):
        crossing.tenants.list_audit({})
    with pytest.raises(Forbidden):
        crossing.venues.audit_entries({})
    worker = busy["tenant"].client("grid_worker")
    with pytest.raises(Forbidden):
        worker.tenants.list_audit({})
    with pytest.raises(Forbidden):
        worker.organizations.audit_entries({})
    # operators may look (acting in the tenant), and see the tenant's own rows
    operator = rpc_client("aud-a", tokens.operator())
    assert {i["subject"] for i in everything(operator, subject="user:boss")} == {"user:boss"}


def test_token_exchange_is_audited_with_the_client_as_subject(busy, rpc_client):
    boss, client = busy["boss"], busy["client"]
    anonymous = rpc_client("aud-a")
    with pytest.raises(Unauthenticated):
        anonymous.tenants.issue_token({"client_id": client["client_id"], "client_secret": "gjs_wrong"})
    anonymous.tenants.issue_token({"client_id": client["client_id"], "client_secret": client["client_secret"]})
    rows = everything(boss, method="issue_token")
    assert [(i["outcome"], i["subject"], i["roles"]) for i in rows] == [
        ("ok", f"client:{client['client_id']}", []),
        ("unauthenticated", "anonymous", []),
    ]
    assert all(client["client_id"] in i["object_ids"] for i in rows)
    assert all("gjs_" not in str(i) for i in rows)


def test_a_service_that_does_not_answer_is_named_not_fatal(start_services, onboard, rpc_client, tokens):
    start_services(TenantsService)  # organizations and venues are installed but not running
    onboard("aud-c")
    admin = rpc_client("aud-c", tokens.make("aud-c", "tenant_admin", subject="user:c"))
    admin.tenants.create_api_client({"name": "x", "roles": [{"role": "resident"}]})
    page = admin.tenants.list_audit({})
    assert sorted(page["unavailable"]) == ["organizations", "venues"]
    assert [i["method"] for i in page["items"]] == ["create_api_client"]
