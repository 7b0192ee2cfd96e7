"""Demo people for ``gongjian seed``: secretaries, grid workers, liaisons of the demo units, Party
members (some 在职党员), volunteers and residents of each demo tenant, with homes at demo nodes
and role grants scoped to them. The data is deploy/demo/people.yaml (all of it invented).

People live on organizations' territory and act for its units, so this loader needs
organizations' demo data first. ``tenants`` is installed (and so would be seeded) before
``organizations``; ``LOAD_AFTER`` tells ``gongjian seed`` to run this module after it, and
without a territory ``load`` does nothing. Nodes and units are found by code path and name
through organizations' RPCs, never by id.

Idempotent: a person is found by phone before being registered; grants, verification and
consent are compared with what the person already has, so a second run calls only queries.
"""

from collections import Counter

import yaml

from shared.config import REPO_ROOT
from shared.demo import all_items, nodes_by_code_path
from shared.errors import Conflict, NotFound

LOAD_AFTER = ("organizations",)  # honoured by cli/seed.py
PEOPLE_FILE = REPO_ROOT / "deploy" / "demo" / "people.yaml"
WECHAT_SOURCE = "小程序授权"  # they signed in through the mini-program
FORM_SOURCE = "社区登记表"  # consent given on the community's paper form


def people_of(tenant):
    """The demo people of a demo tenant (a list of dicts), or None."""
    return yaml.safe_load(PEOPLE_FILE.read_text(encoding="utf-8"))["tenants"].get(tenant)


def load(proxy, tenant, report):
    people = people_of(tenant)
    if people is None:
        report("no demo people for this tenant")
        return
    load_data(proxy, people, report)


def load_data(proxy, people, report):
    org, tenants = proxy.organizations, proxy.tenants
    nodes = nodes_by_code_path(org)
    if not nodes:
        report("no territory yet (organizations' demo data loads first); no people loaded")
        return
    units = {u["name"]: u for u in all_items(org.list_units, {})}
    counts = Counter()
    for spec in people:
        person = _person(tenants, spec, nodes, counts)
        if person["status"] == "active":
            person = _grants(tenants, person, spec, nodes, units, counts)
        person = _contacts(tenants, person, spec, counts)
        if spec.get("status") == "deactivated" and person["status"] == "active":
            tenants.deactivate_person({"person_id": person["id"]})
            counts["deactivated"] += 1
    report("people", **{key: counts[key] for key in ("created", "found", "granted", "consents", "verified",
                                                     "deactivated")})


def _node(nodes, code_path, spec):
    try:
        return nodes[code_path]
    except KeyError:
        raise LookupError(f"demo person {spec['name']}: no node {code_path} (organizations' demo data?)") from None


def _person(tenants, spec, nodes, counts):
    try:
        person = tenants.find_person({"phone": spec["phone"]})
        counts["found"] += 1
        return person
    except NotFound:
        pass
    payload = {"name": spec["name"], "phone": spec["phone"], "home_node_id": _node(nodes, spec["home"], spec)["id"]}
    if spec.get("wechat_openid"):
        payload["wechat_openid"] = spec["wechat_openid"]
    counts["created"] += 1
    return tenants.register_person(payload)


def _wanted_grants(spec, nodes, units):
    """(role, scope path, unit id) for each of the spec's roles: ``role@code path`` or the
    liaison's ``unit_liaison`` for ``unit``."""
    for text in spec.get("roles") or ():
        role, _, code_path = text.partition("@")
        if code_path:
            yield role, _node(nodes, code_path, spec)["path"], None
        elif role == "unit_liaison":
            unit = units.get(spec.get("unit"))
            if unit is None:
                raise LookupError(f"demo person {spec['name']}: no unit {spec.get('unit')!r}")
            yield role, None, unit["id"]
        else:
            yield role, None, None


def _grants(tenants, person, spec, nodes, units, counts):
    held = {(g["role"], g["scope"], g["unit_id"]) for g in person["roles"]}
    for role, scope, unit_id in _wanted_grants(spec, nodes, units):
        if (role, scope, unit_id) in held:
            continue
        try:
            person = tenants.grant_role({"person_id": person["id"], "role": role, "scope": scope,
                                         "unit_id": unit_id})
            counts["granted"] += 1
        except Conflict:  # granted meanwhile (another seed running at the same time)
            pass
    return person


def _contacts(tenants, person, spec, counts):
    contacts = {c["channel"]: c for c in person["contacts"]}
    consents = {channel: FORM_SOURCE for channel in spec.get("consent") or ()}
    if spec.get("wechat_openid"):
        consents["wechat"] = WECHAT_SOURCE
        if not contacts["wechat"]["verified"]:
            person = tenants.verify_contact({"person_id": person["id"], "channel": "wechat"})
            counts["verified"] += 1
    for channel, source in consents.items():
        if contacts[channel]["consent"] != "given":
            person = tenants.set_consent({"person_id": person["id"], "channel": channel, "consent": "given",
                                          "source": source})
            counts["consents"] += 1
    return person
