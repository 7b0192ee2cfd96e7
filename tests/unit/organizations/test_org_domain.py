"""Rules of the organizations service without a broker or database: territory kinds, every
state machine's table (each valid and each invalid transition), whistle deadlines, escalation,
points, scorecards and ranking, lending windows, cases and consultations."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.organizations import domain
from shared.errors import Conflict

T0 = datetime(2026, 5, 1, 1, 0, tzinfo=timezone.utc)


# -- territory ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, parent", [
    ("street", None), ("community", "street"), ("grid", "community"), ("compound", "grid"),
    ("building", "compound"), ("unit", "building")])
def test_valid_parents(kind, parent):
    assert domain.parent_problem(kind, parent) is None


@pytest.mark.parametrize("kind, parent, problem", [
    ("street", "community", "top-level"), ("community", None, "needs a parent street"),
    ("grid", "street", "belongs under a community, not under a street"),
    ("compound", "community", "belongs under a grid"), ("unit", "compound", "belongs under a building"),
    ("building", "building", "belongs under a compound")])
def test_invalid_parents(kind, parent, problem):
    assert problem in domain.parent_problem(kind, parent)


def test_paths():
    assert domain.child_path(None, "a") == "a"
    assert domain.child_path("a.b", "c") == "a.b.c"
    assert domain.moved_path("a.b.c", "a.b", "x.b") == "x.b.c"
    assert domain.moved_path("a.b", "a.b", "x.b") == "x.b"
    with pytest.raises(ValueError):
        domain.moved_path("a.bc", "a.b", "x.b")
    assert [domain.DEPTH[k] for k in domain.NODE_KINDS] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("code, ok", [("S01", True), ("330502001001", True), ("G-1.a_b", True),
                                      ("", False), ("-G1", False), ("a/b", False), ("网格1", False),
                                      ("x" * 41, False)])
def test_node_codes(code, ok):
    assert bool(domain.NODE_CODE.match(code)) is ok


# -- state machines: every (state, action) pair ---------------------------------------------

MACHINES = {
    "node": (domain.NODE, {
        ("active", "update"): "active", ("active", "move"): "active",
        ("active", "archive"): "archived", ("active", "attach to"): "active"}),
    "report-in": (domain.REPORT_IN, {
        ("pending", "confirm"): "confirmed", ("pending", "reject"): "rejected",
        ("pending", "withdraw"): "withdrawn", ("confirmed", "withdraw"): "withdrawn"}),
    "agreement": (domain.AGREEMENT, {
        ("draft", "update"): "draft", ("signed", "update"): "signed", ("draft", "sign"): "signed",
        ("signed", "terminate"): "terminated", ("signed", "fulfil commitments of"): "signed"}),
    "commitment": (domain.COMMITMENT, {
        ("pending", "fulfil"): "done", ("overdue", "fulfil"): "done", ("pending", "mark overdue"): "overdue"}),
    "need": (domain.NEED, {("open", "meet"): "met", ("open", "withdraw"): "withdrawn"}),
    "whistle": (domain.WHISTLE, {
        ("raised", "summon units to"): "raised", ("responding", "summon units to"): "responding",
        ("raised", "acknowledge"): "responding", ("responding", "acknowledge"): "responding",
        ("responding", "arrive at"): "responding", ("responding", "resolve"): "responding",
        ("resolved", "close"): "closed", ("raised", "cancel"): "cancelled",
        ("responding", "cancel"): "cancelled", ("closed", "rate"): "closed"}),
    "whistle response": (domain.RESPONSE, {
        ("summoned", "acknowledge"): "acknowledged", ("acknowledged", "arrive"): "arrived",
        ("arrived", "resolve"): "resolved"}),
    "case": (domain.CASE, {
        ("reported", "accept"): "accepted", ("reported", "reject"): "rejected",
        ("accepted", "dispatch"): "dispatched", ("accepted", "handle"): "handled",
        ("dispatched", "handle"): "handled", ("handled", "reply to"): "replied", ("replied", "rate"): "rated",
        ("replied", "close"): "closed", ("rated", "close"): "closed",
        **{(s, "escalate"): "reported" for s in ("reported", "accepted", "dispatched", "handled", "replied",
                                                 "rated")}}),
}


def _pairs():
    for name, (machine, valid) in MACHINES.items():
        for state in sorted(machine.states()):
            for action in machine.transitions:
                yield pytest.param(machine, valid, state, action, id=f"{name}:{state}:{action}")


@pytest.mark.parametrize("machine, valid, state, action", _pairs())
def test_every_transition(machine, valid, state, action):
    if (state, action) in valid:
        assert machine.next(state, action) == valid[(state, action)]
        assert machine.allows(state, action)
    else:
        with pytest.raises(Conflict) as error:
            machine.next(state, action)
        assert error.value.message == f"cannot {action} {'an' if machine.noun[0] in 'aeiou' else 'a'} " \
                                      f"{machine.noun} that is {state}"
        assert error.value.details == {"status": state, "action": action}


def test_tables_list_every_valid_transition():
    for machine, valid in MACHINES.values():
        table = {(s, a) for a, (sources, _) in machine.transitions.items() for s in sources}
        assert table == set(valid)


def test_the_example_message():
    with pytest.raises(Conflict) as error:
        domain.WHISTLE.next("closed", "resolve")
    assert error.value.message == "cannot resolve a whistle that is closed"
    assert error.value.details["status"] == "closed"


# -- whistles: deadlines, escalation, points --------------------------------------------------


def test_deadlines_by_urgency():
    urgent = domain.whistle_deadlines("urgent", T0)
    assert urgent == {"acknowledge": T0 + timedelta(minutes=30), "arrive": T0 + timedelta(hours=2),
                      "resolve": T0 + timedelta(hours=24)}
    for urgency in domain.URGENCIES:
        due = domain.whistle_deadlines(urgency, T0)
        assert T0 < due["acknowledge"] <= due["arrive"] <= due["resolve"]
    assert domain.whistle_deadlines("routine", T0)["resolve"] > domain.whistle_deadlines("normal", T0)["resolve"]


def test_escalation_levels_never_go_down():
    assert domain.escalation_after_miss(0, "acknowledge") == 1
    assert domain.escalation_after_miss(0, "arrive") == 1
    assert domain.escalation_after_miss(1, "resolve") == 2
    assert domain.escalation_after_miss(2, "acknowledge") == 2
    assert domain.LEVELS == ("community", "street", "district")


def test_step_outcomes():
    due = T0 + timedelta(hours=1)
    assert domain.step_outcome(due, due, T0) == "on_time"
    assert domain.step_outcome(due + timedelta(seconds=1), due, T0) == "late"
    assert domain.step_outcome(None, due, due) == "pending"
    assert domain.step_outcome(None, due, due + timedelta(seconds=1)) == "missed"


def _record(done_offsets, ratings=(), urgency="urgent"):
    due = domain.whistle_deadlines(urgency, T0)
    done = {step: (T0 + offset if offset is not None else None)
            for step, offset in zip(domain.STEPS, done_offsets, strict=True)}
    return domain.ResponseRecord(due=due, done=done, ratings=tuple(ratings))


def test_points_per_response():
    later = T0 + timedelta(days=30)
    on_time = _record((timedelta(minutes=5), timedelta(hours=1), timedelta(hours=3)), ratings=(5,))
    assert domain.score_response(on_time, later)["points"] == 2 + 3 + 5 + 3
    late = _record((timedelta(hours=1), timedelta(hours=3), timedelta(hours=30)), ratings=(1, 2))
    assert domain.score_response(late, later)["points"] == 0 + 1 + 2 - 1  # average 1.5 rounds to 2
    missed = _record((None, None, None))
    assert domain.score_response(missed, later)["points"] == -2 - 3 - 5
    fresh = _record((None, None, None))
    assert domain.score_response(fresh, T0 + timedelta(minutes=1))["points"] == 0  # nothing due yet
    half = _record((timedelta(minutes=1), None, None))
    assert domain.score_response(half, T0 + timedelta(hours=3))["points"] == 2 - 3  # arrive missed


def test_rounding_is_half_up():
    assert domain.round_half_up(4.5) == 5 and domain.round_half_up(2.5) == 3 and domain.round_half_up(3.49) == 3


def test_scorecard_rates():
    later = T0 + timedelta(days=30)
    records = [_record((timedelta(minutes=5), timedelta(hours=1), timedelta(hours=3)), ratings=(5, 4)),
               _record((timedelta(hours=1), timedelta(hours=1, minutes=30), None), ratings=()),
               _record((None, None, None))]
    card = domain.scorecard(records, later)
    assert card["responses"] == 3 and card["resolved"] == 1
    assert card["acknowledge_on_time_rate"] == round(1 / 3, 4)
    assert card["arrive_on_time_rate"] == round(2 / 3, 4)
    assert card["resolve_on_time_rate"] == round(1 / 3, 4)
    assert card["average_rating"] == 4.5 and card["ratings"] == 2
    assert card["points"] == (2 + 3 + 5 + 3) + (0 + 3 - 5) + (-2 - 3 - 5)
    empty = domain.scorecard([], later)
    assert empty["acknowledge_on_time_rate"] is None and empty["points"] == 0 and empty["average_rating"] is None


def test_competition_ranking_with_ties():
    cards = [{"unit_id": u, "points": p, "resolve_on_time_rate": r, "average_rating": a}
             for u, p, r, a in (("a", 10, 1.0, 5), ("b", 10, 1.0, 5), ("c", 12, 0.5, 3), ("d", 10, 0.9, 5),
                                ("e", 0, None, None))]
    ranked = domain.rank(cards)
    assert [(c["unit_id"], c["rank"]) for c in ranked] == [("c", 1), ("a", 2), ("b", 2), ("d", 4), ("e", 5)]


def test_year_bounds_in_the_tenant_time_zone():
    start, end = domain.year_bounds(2026, "Asia/Shanghai")
    assert start == datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)
    assert domain.local_date(datetime(2026, 1, 1, 17, 0, tzinfo=timezone.utc), "Asia/Shanghai") == date(2026, 1, 2)


# -- agreements ----------------------------------------------------------------------------


def test_windows():
    assert domain.window_problem({"weekday": 1, "start": "09:00", "end": "12:00"}) is None
    assert domain.window_problem({"weekday": 1, "start": "18:00", "end": "24:00"}) is None
    assert domain.window_problem({"weekday": 1, "start": "12:00", "end": "09:00"}) == "start must be before end"
    assert domain.window_problem({"weekday": 1, "start": "9:00", "end": "12:00"}) == "start and end are HH:MM"
    assert domain.window_problem({"weekday": 1, "start": "09:00", "end": "24:30"}) == "start and end are HH:MM"
    windows = [{"weekday": 6, "start": "09:00", "end": "12:00"}, {"weekday": 7, "start": "09:00", "end": "12:00"},
               {"weekday": 6, "start": "12:00", "end": "13:00"}]
    assert domain.windows_overlap(windows) is None  # touching is fine
    windows.append({"weekday": 6, "start": "11:59", "end": "12:30"})
    assert domain.windows_overlap(windows)[0]["weekday"] == 6


def test_commitment_state():
    today = date(2026, 7, 1)
    assert domain.commitment_state("done", date(2026, 1, 1), today) == "done"
    assert domain.commitment_state("pending", date(2026, 6, 30), today) == "overdue"
    assert domain.commitment_state("pending", date(2026, 7, 1), today) == "pending"
    assert domain.commitment_state("overdue", date(2026, 6, 30), today) == "overdue"


# -- party organisations -------------------------------------------------------------------


def test_party_org_rules():
    assert domain.party_org_problem("community_committee", "community", None, None, None) is None
    assert domain.party_org_problem("branch", "grid", "community_committee", "grid", None) is None
    assert domain.party_org_problem("branch", "community", "general_branch", "business_district", "u") is None
    assert domain.party_org_problem("group", "building", "branch", None, None) is None
    assert domain.party_org_problem("group", "street", "branch", None, None)[0] == "node_id"
    assert domain.party_org_problem("group", "building", None, None, None)[0] == "parent_id"
    assert domain.party_org_problem("branch", "grid", "community_committee", None, None)[0] == "branch_type"
    assert domain.party_org_problem("branch", "grid", "community_committee", "unit", None)[0] == "unit_id"
    assert domain.party_org_problem("branch", "grid", "community_committee", "grid", "u")[0] == "unit_id"
    assert domain.seat_problem("community_committee", "part_time_member", None)[0] == "unit_id"
    assert domain.seat_problem("branch", "part_time_member", "u")[0] == "role"
    assert domain.seat_problem("working_committee", "part_time_member", "u") is None
    assert domain.seat_problem("branch", "secretary", None) is None


# -- cases and consultations ---------------------------------------------------------------


def test_three_levels_three_rounds():
    assert domain.case_escalation("rated", "community") == ("reported", "street")
    assert domain.case_escalation("accepted", "street") == ("reported", "district")
    with pytest.raises(Conflict, match="at district level"):
        domain.case_escalation("accepted", "district")
    with pytest.raises(Conflict, match="cannot escalate a case that is closed"):
        domain.case_escalation("closed", "community")
    assert domain.open311_status("rated") == "open" and domain.open311_status("rejected") == "closed"
    assert set(domain.CASE_SLA) == set(domain.LEVELS)


def test_four_party_talks_need_four_parties():
    four = ["party_org", "residents_committee", "owners_committee", "property_company"]
    assert domain.consultation_problem("four_party", four + ["resident"]) is None
    assert "property_company" in domain.consultation_problem("four_party", four[:3])
    assert domain.consultation_problem("council", ["party_org"]) is None


# -- response rules ----------------------------------------------------------------------------


def test_default_rules_are_the_platform_limits_in_minutes():
    minutes = domain.default_rule_minutes()
    assert minutes["whistle_deadlines"]["normal"] == {"acknowledge": 120, "arrive": 1440, "resolve": 4320}
    whistles, cases = domain.rule_timedeltas(minutes)
    assert whistles == domain.WHISTLE_DEADLINES and cases == domain.CASE_SLA


def test_a_change_replaces_only_the_limits_it_names():
    base = domain.default_rule_minutes()
    merged = domain.merge_rule_minutes(base, {"whistle_deadlines": {"urgent": {"arrive": 30}},
                                              "case_sla": {"district": 20160}})
    assert merged["whistle_deadlines"]["urgent"] == {"acknowledge": 30, "arrive": 30, "resolve": 1440}
    assert merged["whistle_deadlines"]["routine"] == base["whistle_deadlines"]["routine"]
    assert merged["case_sla"] == {"community": 4320, "street": 7200, "district": 20160}
    assert base["whistle_deadlines"]["urgent"]["arrive"] == 120  # the input is not changed


def test_steps_must_come_in_order():
    rules = domain.merge_rule_minutes(domain.default_rule_minutes(),
                                      {"whistle_deadlines": {"urgent": {"arrive": 2000}}})
    assert domain.rule_problems(rules) == {
        "whistle_deadlines.urgent": ["arrive (2000 min) may not come after resolve (1440 min)"]}
    assert domain.rule_problems(domain.default_rule_minutes()) == {}


def test_deadlines_from_given_limits():
    whistles, _ = domain.rule_timedeltas(domain.merge_rule_minutes(
        domain.default_rule_minutes(), {"whistle_deadlines": {"urgent": {"acknowledge": 5}}}))
    at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert domain.whistle_deadlines("urgent", at, whistles)["acknowledge"] == at + timedelta(minutes=5)
    assert domain.whistle_deadlines("urgent", at)["acknowledge"] == at + timedelta(minutes=30)
