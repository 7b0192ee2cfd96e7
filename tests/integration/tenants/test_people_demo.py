"""The demo people of every demo tenant load through the real services, after organizations' demo
data (as ``gongjian seed`` orders them), and loading them again creates nothing."""

import re
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from cli.seed import demo_modules
from services.organizations import demo as org_demo
from services.organizations.service import OrganizationsService
from services.tenants import demo
from shared.config import database_url
from shared.demo import all_items, nodes_by_code_path
from shared.tenancy import schema_for
from shared.testing.helpers import Outbox
from tests.integration.organizations.support import OrgTenant

DEMO_TENANTS = {"huzhou-wuxing": "wuxing", "tongling": "tongling", "huayin": "huayin", "weifang-kuiwen": "kuiwen"}


def test_seed_loads_people_after_organizations():
    order = [service for service, _ in demo_modules()]
    assert order.index("organizations") < order.index("tenants")
    assert order.index("organizations") < order.index("venues")


def test_demo_phones_are_invented_and_unique():
    phones, openids = Counter(), Counter()
    for number, slug in enumerate(DEMO_TENANTS, start=1):
        for person in demo.people_of(slug):
            assert re.fullmatch(rf"1990000{number}\d{{3}}", person["phone"]), person  # 199 0000 TNNN
            phones[person["phone"]] += 1
            if person.get("wechat_openid"):
                assert person["wechat_openid"].startswith("oDEMO")
                openids[person["wechat_openid"]] += 1
    assert max(phones.values()) == 1 and max(openids.values()) == 1


@pytest.fixture
def town(start_services, onboard, rpc_client, tokens):
    start_services(OrganizationsService)
    org = OrgTenant(onboard()["slug"], rpc_client, tokens)
    return {"org": org, "proxy": rpc_client(org.slug, tokens.admin(org.slug))}


@pytest.fixture
def tenants_db(gj_config):
    engine = create_engine(database_url(gj_config, "tenants"))
    outbox = Outbox(gj_config, "tenants")
    yield engine, outbox
    outbox.close()
    engine.dispose()


def _written(tenants_db, slug):
    """(outbox events, audit rows) of the tenant in the tenants service: what commands leave
    (audit rows once the tenant schema has an audit_log)."""
    engine, outbox = tenants_db
    table = f"{schema_for(slug)}.audit_log"
    with engine.connect() as conn:
        audited = (conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                   if conn.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar() else None)
    return len(outbox.events(slug)), audited


def test_without_a_territory_nothing_is_loaded(town):
    messages = []
    demo.load_data(town["proxy"], demo.people_of("tongling"), lambda message, **fields: messages.append(message))
    assert "no territory yet" in messages[0]
    assert town["proxy"].tenants.list_people({"status": "any"})["items"] == []


@pytest.mark.parametrize("slug", list(DEMO_TENANTS))
def test_demo_people_load_twice(town, tenants_db, slug):
    org, proxy = town["org"], town["proxy"]
    org_demo.load_data(proxy, getattr(org_demo, DEMO_TENANTS[slug])(), lambda message, **fields: None)
    specs = demo.people_of(slug)
    reports = []
    demo.load_data(proxy, specs, lambda message, **fields: reports.append(fields))
    first = reports[0]
    wanted_grants = sum(len(s["roles"]) for s in specs)
    assert first["created"] == len(specs) and first["found"] == 0
    assert first["granted"] == wanted_grants
    assert first["deactivated"] == sum(s.get("status") == "deactivated" for s in specs) == 1
    assert first["verified"] == sum(bool(s.get("wechat_openid")) for s in specs)
    written = _written(tenants_db, org.slug)

    demo.load_data(proxy, specs, lambda message, **fields: reports.append(fields))
    second = reports[1]
    assert second["found"] == len(specs)
    assert all(second[key] == 0 for key in ("created", "granted", "consents", "verified", "deactivated"))
    assert _written(tenants_db, org.slug) == written  # no event, no audited command the second time

    tenants = proxy.tenants
    people = all_items(tenants.list_people, {"status": "any"})
    assert len(people) == len(specs)
    assert Counter(p["status"] for p in people) == {"active": len(specs) - 1, "deactivated": 1}
    assert all(p["phone"].startswith("199****") for p in people)  # masked for everyone but revealers
    nodes = nodes_by_code_path(org.admin)
    by_id = {p["id"]: p for p in people}
    for spec in specs:
        person = by_id[tenants.find_person({"phone": spec["phone"]})["id"]]
        assert person["name"] == spec["name"]
        assert person["home_node_id"] == nodes[spec["home"]]["id"]
        assert person["created_by"] == "user:test-tenant_admin"
        wechat = next(c for c in person["contacts"] if c["channel"] == "wechat") if spec.get("wechat_openid") else None
        assert wechat is None or (wechat["verified"] and wechat["consent"] == "given")
        assert len(person["roles"]) == len(spec["roles"])

    # every kind of person is there, each grant where the demo territory says
    for role in ("street_secretary", "community_secretary", "grid_worker", "unit_liaison", "party_member",
                 "volunteer"):
        holders = all_items(tenants.list_people, {"role": role})
        assert holders, role
        for person in holders:
            for grant in (g for g in person["roles"] if g["role"] == role):
                if role == "unit_liaison":
                    assert grant["scope"] is None and grant["unit_id"] == org.admin.get_unit(grant["unit_id"])["id"]
                else:
                    kind = {"street_secretary": "street", "community_secretary": "community",
                            "grid_worker": "grid"}.get(role)
                    node = next(n for n in nodes.values() if n["path"] == grant["scope"])
                    assert kind is None or node["kind"] == kind
                    assert grant["granted_by"] == "user:test-tenant_admin"
    assert len(all_items(tenants.list_people, {"role": "unit_liaison"})) == sum(
        "unit_liaison" in s["roles"] for s in specs)
    in_service = [s for s in specs if {r.split("@")[0] for r in s["roles"]} == {"party_member", "volunteer"}]
    assert len(in_service) >= 2  # 在职党员
