import pytest

from shared.caller import ALL_TENANTS, Caller, Grant, path_within
from shared.errors import Forbidden

STREET = "aa"
COMMUNITY = "aa.bb"
GRID = "aa.bb.cc"
OTHER_COMMUNITY = "aa.bz"


def test_path_within_is_label_aware():
    assert path_within(GRID, COMMUNITY)
    assert path_within(COMMUNITY, COMMUNITY)
    assert not path_within("aa.bbx", COMMUNITY)  # a sibling whose label merely starts the same
    assert not path_within(STREET, COMMUNITY)
    assert path_within(GRID, None)
    assert not path_within(None, COMMUNITY)


def test_scoped_secretary_acts_only_inside_their_subtree():
    secretary = Caller("u1", "tongling", (Grant("community_secretary", COMMUNITY),))
    assert secretary.can({"community_secretary"}, path=GRID)
    assert not secretary.can({"community_secretary"}, path=OTHER_COMMUNITY)
    assert not secretary.can({"street_secretary"}, path=GRID)
    with pytest.raises(Forbidden):
        secretary.require({"community_secretary"}, path=OTHER_COMMUNITY)
    assert secretary.scopes({"community_secretary"}) == [COMMUNITY]


def test_unit_liaison_acts_only_for_their_unit():
    liaison = Caller("u2", "tongling", (Grant("unit_liaison", unit_id="u-1"),))
    assert liaison.can({"unit_liaison"}, unit_id="u-1")
    assert not liaison.can({"unit_liaison"}, unit_id="u-2")


def test_admins_operators_and_system_act_everywhere():
    for role in ("tenant_admin", "platform_operator", "system"):
        caller = Caller("x", "tongling", (Grant(role),))
        assert caller.is_admin
        assert caller.can({"community_secretary"}, path=OTHER_COMMUNITY)
        assert caller.scopes({"community_secretary"}) is None


def test_only_operators_span_tenants():
    operator = Caller("op", ALL_TENANTS, (Grant("platform_operator"),))
    assert operator.may_act_in("tongling") and operator.may_act_in("huayin")
    admin = Caller("a", "tongling", (Grant("tenant_admin"),))
    assert admin.may_act_in("tongling") and not admin.may_act_in("huayin")
    not_operator = Caller("x", ALL_TENANTS, (Grant("tenant_admin"),))
    assert not not_operator.may_act_in("tongling")
    with pytest.raises(Forbidden):
        admin.require_operator()


def test_grant_claims_round_trip():
    grant = Grant("community_secretary", COMMUNITY, None)
    assert Grant.from_claim(grant.as_claim()) == grant
    assert Grant("unit_liaison", unit_id="u").as_claim() == {"role": "unit_liaison", "unit_id": "u"}
