"""Helpers for organizations tests (integration and e2e): a tenant with clients per role, a
small territory, unit factories with valid credit codes, and a reader of the outbox."""

import itertools
import random

from services.organizations.domain import USCC_CHARSET, uscc_check_digit
from shared.errors import TenantUnavailable
from shared.testing.helpers import wait_for

_serial = itertools.count(1)


def credit_code(seed=None):
    """A valid unified social credit code (random body, computed check digit)."""
    rng = random.Random(seed)
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
        rng.choice(USCC_CHARSET) for _ in range(9))
    return body + uscc_check_digit(body)


class OrgTenant:
    """One onboarded tenant seen through the organizations service."""

    def __init__(self, slug, rpc_client, tokens):
        self.slug = slug
        self._rpc_client = rpc_client
        self.tokens = tokens
        self.admin = self.client("tenant_admin")
        # onboard() waits for the tenants service; this service learns of the activation from an
        # event a moment later.
        wait_for(self._ready, timeout=20, message=f"organizations to see {slug} active")

    def _ready(self):
        try:
            self.admin.list_nodes({"limit": 1})
        except TenantUnavailable:
            return False
        return True

    def client(self, role="tenant_admin", scope=None, unit_id=None, subject=None):
        token = self.tokens.make(self.slug, role, scope=scope, unit_id=str(unit_id) if unit_id else None,
                                 subject=subject)
        return self._rpc_client(self.slug, token).organizations

    def secretary(self, node, role=None):
        role = role or f"{node['kind']}_secretary"
        return self.client(role, scope=node["path"])

    def liaison(self, unit):
        return self.client("unit_liaison", unit_id=unit["id"], subject=f"user:liaison-{unit['id'][:8]}")

    def node(self, kind, name, parent=None, code=None, **fields):
        return self.admin.create_node({
            "kind": kind, "name": name, "parent_id": parent["id"] if parent else None,
            "code": code or f"{kind[:2].upper()}{next(_serial)}", **fields})

    def tree(self, prefix=""):
        """street › community › grid › compound › building."""
        street = self.node("street", f"{prefix}龙泉街道", code=f"S{next(_serial)}",
                           location={"lat": 30.87, "lng": 120.09})
        community = self.node("community", f"{prefix}白鱼潭社区", street)
        grid = self.node("grid", f"{prefix}第一网格", community)
        compound = self.node("compound", f"{prefix}白鱼潭小区", grid, population=1200, households=400)
        building = self.node("building", f"{prefix}1幢", compound, population=90, households=30)
        return {"street": street, "community": community, "grid": grid, "compound": compound,
                "building": building}

    def unit(self, name=None, kind="company", **fields):
        return self.admin.register_unit({"name": name or f"共建单位{next(_serial)}", "kind": kind,
                                         "credit_code": credit_code(), **fields})

    def reported_unit(self, community, **fields):
        unit = self.unit(**fields)
        report = self.admin.request_report_in({"unit_id": unit["id"], "community_id": community["id"]})
        self.admin.confirm_report_in({"report_id": report["id"]})
        return unit

