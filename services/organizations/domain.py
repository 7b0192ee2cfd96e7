"""Rules of the organizations service as plain functions and tables (no nameko, no session).

Every state machine is an explicit transition table; a refused transition raises a Conflict that
names the current state, e.g. ``Conflict("cannot resolve a whistle that is closed",
{"status": "closed"})``.
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from shared.errors import Conflict
from shared.state_machine import StateMachine

# -- territory ------------------------------------------------------------------------------

STREET, COMMUNITY, GRID, COMPOUND, BUILDING, UNIT = (
    "street", "community", "grid", "compound", "building", "unit")
NODE_KINDS = (STREET, COMMUNITY, GRID, COMPOUND, BUILDING, UNIT)
# kind → the kind its parent must have (None: top level). A compound belongs to one grid.
PARENT_KIND = {
    STREET: None,
    COMMUNITY: STREET,
    GRID: COMMUNITY,
    COMPOUND: GRID,
    BUILDING: COMPOUND,
    UNIT: BUILDING,
}
DEPTH = {kind: index + 1 for index, kind in enumerate(NODE_KINDS)}  # nlevel(path) per kind
NODE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
CODE_PATH_SEPARATOR = "/"


def parent_problem(kind, parent_kind):
    """Why a node of ``kind`` may not hang under a parent of ``parent_kind`` (None = top)."""
    expected = PARENT_KIND[kind]
    if expected is None and parent_kind is not None:
        return f"a {kind} is a top-level node and has no parent"
    if expected is not None and parent_kind is None:
        return f"a {kind} needs a parent {expected}"
    if expected != parent_kind:
        return f"a {kind} belongs under a {expected}, not under a {parent_kind}"
    return None


def child_path(parent_path, label):
    return label if not parent_path else f"{parent_path}.{label}"


def moved_path(path, old_prefix, new_prefix):
    """Where ``path`` (inside the subtree ``old_prefix``) ends up when that subtree moves."""
    if path == old_prefix:
        return new_prefix
    if not path.startswith(old_prefix + "."):
        raise ValueError(f"{path} is not inside {old_prefix}")
    return new_prefix + path[len(old_prefix):]


# -- state machines -------------------------------------------------------------------------


ACTIVE, ARCHIVED = "active", "archived"
NODE = StateMachine("node", {
    "update": ({ACTIVE}, None),
    "move": ({ACTIVE}, None),
    "archive": ({ACTIVE}, ARCHIVED),
    "attach to": ({ACTIVE}, None),  # a new child, party organisation, whistle or case
})

# -- resident units -------------------------------------------------------------------------

UNIT_KINDS = (
    "agency",  # 机关
    "soe",  # 国有企业
    "company",  # 企业
    "school",
    "hospital",
    "property_company",  # 物业服务企业
    "owners_committee",  # 业主委员会
    "social_org",  # 社会组织
    "business_district_org",  # 商圈联合党组织
    "public_institution",  # 事业单位
    "other",
)

PENDING, CONFIRMED, REJECTED, WITHDRAWN = "pending", "confirmed", "rejected", "withdrawn"
REPORT_IN = StateMachine("report-in", {
    "confirm": ({PENDING}, CONFIRMED),
    "reject": ({PENDING}, REJECTED),
    "withdraw": ({PENDING, CONFIRMED}, WITHDRAWN),
})
LIVE_REPORT_IN = (PENDING, CONFIRMED)

# Unified social credit code, GB 32100-2015.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_VALUE = {char: index for index, char in enumerate(USCC_CHARSET)}


def uscc_check_digit(first17):
    """The 18th character for the first 17 of a credit code."""
    total = sum(USCC_VALUE[char] * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    check = 31 - total % 31
    return USCC_CHARSET[0 if check == 31 else check]


def normalize_credit_code(code):
    return code.strip().upper() if isinstance(code, str) else code


def credit_code_problem(code):
    """Why ``code`` is not a valid unified social credit code, or None."""
    if not isinstance(code, str):
        return "must be a string"
    if len(code) != 18:
        return f"must be 18 characters, not {len(code)}"
    for position, char in enumerate(code, start=1):
        if char not in USCC_VALUE:
            return f"character {char!r} at position {position} is not allowed (I, O, S, V and Z never occur)"
    expected = uscc_check_digit(code[:17])
    if code[17] != expected:
        return f"check digit is {code[17]!r} but should be {expected!r}"
    return None


# -- party organisations --------------------------------------------------------------------

PARTY_ORG_KINDS = (
    "working_committee",  # 街道党工委 / 大工委
    "community_committee",  # 社区党委 / 大党委
    "general_branch",  # 党总支
    "branch",  # 党支部 (grid / compound / home / unit / business district)
    "group",  # 党小组 (building)
    "member_household",  # 党员中心户
)
# kind → node kinds it may be attached to
PARTY_ORG_NODES = {
    "working_committee": {STREET},
    "community_committee": {COMMUNITY},
    "general_branch": {COMMUNITY, GRID},
    "branch": {COMMUNITY, GRID, COMPOUND},
    "group": {GRID, COMPOUND, BUILDING},
    "member_household": {BUILDING, UNIT},
}
# kind → kinds its parent organisation may have (None allowed = top of the structure)
PARTY_ORG_PARENTS = {
    "working_committee": {None},
    "community_committee": {None, "working_committee"},
    "general_branch": {None, "working_committee", "community_committee"},
    "branch": {"working_committee", "community_committee", "general_branch"},
    "group": {"branch", "general_branch"},
    "member_household": {"group", "branch"},
}
BRANCH_TYPES = ("grid", "compound", "home", "unit", "business_district")
COMMITTEE_KINDS = ("working_committee", "community_committee", "general_branch")
SEAT_ROLES = ("secretary", "deputy_secretary", "member", "part_time_member")


def party_org_problem(kind, node_kind, parent_kind, branch_type, unit_id):
    """Why a party organisation of ``kind`` may not be set up like this, or None."""
    if node_kind not in PARTY_ORG_NODES[kind]:
        allowed = ", ".join(sorted(PARTY_ORG_NODES[kind]))
        return "node_id", f"a {kind} is attached to a {allowed} node, not a {node_kind}"
    if parent_kind not in PARTY_ORG_PARENTS[kind]:
        allowed = ", ".join(sorted(k or "none" for k in PARTY_ORG_PARENTS[kind]))
        return "parent_id", f"a {kind} sits under {allowed}, not under {parent_kind or 'nothing'}"
    if (branch_type is not None) != (kind == "branch"):
        return "branch_type", "branch_type is required for branches and only for them"
    if branch_type in ("unit", "business_district") and unit_id is None:
        return "unit_id", f"a {branch_type} branch names its resident unit"
    if unit_id is not None and branch_type not in ("unit", "business_district"):
        return "unit_id", "only unit and business-district branches belong to a resident unit"
    return None


def seat_problem(org_kind, role, unit_id):
    """Part-time committee members (兼职委员) come from resident units and sit on committees."""
    if role == "part_time_member":
        if unit_id is None:
            return "unit_id", "a part-time committee member represents a resident unit"
        if org_kind not in COMMITTEE_KINDS:
            return "role", f"part-time members sit on committees, not on a {org_kind}"
    return None


# -- alliances, pairings, agreements --------------------------------------------------------

COUNCIL_ROLES = ("chair", "vice_chair", "council_member")
RESOURCE_KINDS = ("space", "parking", "funding", "personnel", "equipment", "service", "other")
LENDABLE_RESOURCES = ("space", "parking")
NEED_CATEGORIES = ("elderly_care", "child_care", "environment", "safety", "culture", "health",
                   "employment", "space", "funding", "volunteers", "other")

DRAFT, SIGNED, TERMINATED = "draft", "signed", "terminated"
AGREEMENT = StateMachine("agreement", {
    "update": ({DRAFT, SIGNED}, None),
    "sign": ({DRAFT}, SIGNED),
    "terminate": ({SIGNED}, TERMINATED),
    "fulfil commitments of": ({SIGNED}, None),
})

DONE, OVERDUE = "done", "overdue"
COMMITMENT = StateMachine("commitment", {
    "fulfil": ({PENDING, OVERDUE}, DONE),
    "mark overdue": ({PENDING}, OVERDUE),
})

OPEN, MET = "open", "met"
NEED = StateMachine("need", {
    "meet": ({OPEN}, MET),
    "withdraw": ({OPEN}, WITHDRAWN),
})

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def window_problem(window):
    """Why a lending window {weekday, start, end} is invalid, or None."""
    if not HHMM.match(window["start"]) or not HHMM.match(window["end"]):
        return "start and end are HH:MM"
    if window["start"] >= window["end"]:
        return "start must be before end"
    return None


def windows_overlap(windows):
    """The first pair of windows on the same weekday that overlap, or None."""
    ordered = sorted(windows, key=lambda w: (w["weekday"], w["start"]))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before["weekday"] == after["weekday"] and after["start"] < before["end"]:
            return before, after
    return None


def commitment_state(status, due_on, today):
    """done / overdue / pending as the community sees it today (a sweep also marks overdue)."""
    if status == DONE:
        return DONE
    if status == OVERDUE or due_on < today:
        return OVERDUE
    return PENDING


# -- whistle and report ---------------------------------------------------------------------

URGENT, NORMAL, ROUTINE = "urgent", "normal", "routine"
URGENCIES = (URGENT, NORMAL, ROUTINE)
STEPS = ("acknowledge", "arrive", "resolve")
# How long a summoned unit has, from its summons, to acknowledge, arrive (or act) and resolve.
WHISTLE_DEADLINES = {
    URGENT: {"acknowledge": timedelta(minutes=30), "arrive": timedelta(hours=2),
             "resolve": timedelta(hours=24)},
    NORMAL: {"acknowledge": timedelta(hours=2), "arrive": timedelta(hours=24),
             "resolve": timedelta(days=3)},
    ROUTINE: {"acknowledge": timedelta(hours=24), "arrive": timedelta(days=3),
              "resolve": timedelta(days=7)},
}
WHISTLE_CATEGORIES = ("sanitation", "public_safety", "epidemic_prevention", "flood_control",
                      "fire_safety", "infrastructure", "property", "traffic", "elderly_care",
                      "neighbourhood_dispute", "other")

RAISED, RESPONDING, RESOLVED, CLOSED, CANCELLED = (
    "raised", "responding", "resolved", "closed", "cancelled")
WHISTLE = StateMachine("whistle", {
    "summon units to": ({RAISED, RESPONDING}, None),
    "acknowledge": ({RAISED, RESPONDING}, RESPONDING),
    "arrive at": ({RESPONDING}, None),
    "resolve": ({RESPONDING}, None),  # becomes resolved once every summoned unit has resolved
    "close": ({RESOLVED}, CLOSED),
    "cancel": ({RAISED, RESPONDING}, CANCELLED),
    "rate": ({CLOSED}, None),
})
OPEN_WHISTLE = (RAISED, RESPONDING)

SUMMONED, ACKNOWLEDGED, ARRIVED = "summoned", "acknowledged", "arrived"
RESPONSE = StateMachine("whistle response", {
    "acknowledge": ({SUMMONED}, ACKNOWLEDGED),
    "arrive": ({ACKNOWLEDGED}, ARRIVED),
    "resolve": ({ARRIVED}, RESOLVED),
})
STEP_DONE_STATUS = {"acknowledge": ACKNOWLEDGED, "arrive": ARRIVED, "resolve": RESOLVED}
STEP_EVENTS = {"acknowledge": "whistle_acknowledged", "arrive": "whistle_arrived",
               "resolve": "whistle_resolved"}

# Escalation: three levels. A missed acknowledge/arrive deadline brings the street in, a missed
# resolve deadline the district.
LEVELS = ("community", "street", "district")
STEP_ESCALATES_TO = {"acknowledge": 1, "arrive": 1, "resolve": 2}


def whistle_deadlines(urgency, summoned_at, deadlines=WHISTLE_DEADLINES):
    return {step: summoned_at + deadlines[urgency][step] for step in STEPS}


def escalation_after_miss(level, step):
    """The whistle's escalation level once ``step`` was missed (never lowered)."""
    return max(level, STEP_ESCALATES_TO[step])


# Points a unit earns per whistle response (积分评价). "missed": the deadline passed and the step
# is still not done; steps not yet due count 0.
STEP_POINTS = {
    "acknowledge": {"on_time": 2, "late": 0, "missed": -2},
    "arrive": {"on_time": 3, "late": 1, "missed": -3},
    "resolve": {"on_time": 5, "late": 2, "missed": -5},
}
# The response's average rating, rounded half up, adds:
RATING_POINTS = {5: 3, 4: 1, 3: 0, 2: -1, 1: -3}


def step_outcome(done_at, due_at, now):
    if done_at is not None:
        return "on_time" if done_at <= due_at else "late"
    return "missed" if now > due_at else "pending"


def round_half_up(value):
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ResponseRecord:
    """What the scorecard needs of one whistle response."""

    due: dict  # step → deadline
    done: dict  # step → time done or None
    ratings: tuple = ()  # scores 1..5 given to this response


def score_response(record, now):
    outcomes = {step: step_outcome(record.done[step], record.due[step], now) for step in STEPS}
    points = sum(STEP_POINTS[step].get(outcome, 0) for step, outcome in outcomes.items())
    rating = None
    if record.ratings:
        rating = sum(record.ratings) / len(record.ratings)
        points += RATING_POINTS[round_half_up(rating)]
    return {"outcomes": outcomes, "points": points, "rating": rating}


def scorecard(records, now):
    """On-time rates per step (on time ÷ steps done or overdue), average rating, points."""
    card = {"responses": 0, "resolved": 0, "points": 0, "ratings": 0}
    counts = {step: {"on_time": 0, "late": 0, "missed": 0, "pending": 0} for step in STEPS}
    rating_sum = 0.0
    for record in records:
        scored = score_response(record, now)
        card["responses"] += 1
        card["points"] += scored["points"]
        for step, outcome in scored["outcomes"].items():
            counts[step][outcome] += 1
        if record.done["resolve"] is not None:
            card["resolved"] += 1
        if record.ratings:
            card["ratings"] += len(record.ratings)
            rating_sum += sum(record.ratings)
    for step in STEPS:
        c = counts[step]
        due = c["on_time"] + c["late"] + c["missed"]
        card[f"{step}_on_time_rate"] = round(c["on_time"] / due, 4) if due else None
    card["steps"] = counts
    card["average_rating"] = round(rating_sum / card["ratings"], 2) if card["ratings"] else None
    return card


def rank(cards, key=None):
    """Competition ranking ("1, 1, 3") by points, then resolve on-time rate, then rating."""

    def sort_key(card):
        return (-card["points"], -(card["resolve_on_time_rate"] or 0), -(card["average_rating"] or 0))

    key = key or sort_key
    ordered = sorted(cards, key=lambda c: (key(c), str(c.get("unit_id"))))
    ranked, previous, position = [], None, 0
    for index, card in enumerate(ordered, start=1):
        if key(card) != previous:
            position, previous = index, key(card)
        ranked.append({**card, "rank": position})
    return ranked


def year_bounds(year, timezone):
    """[start, end) of a calendar year in the tenant's time zone, as aware datetimes."""
    zone = ZoneInfo(timezone)
    return (datetime.combine(datetime(year, 1, 1), time(), zone),
            datetime.combine(datetime(year + 1, 1, 1), time(), zone))


# -- cases (民情诉求 / 网格事件 / 12345 hotline tickets) ----------------------------------------

CASE_SOURCES = ("resident", "grid_worker", "hotline", "community")
ACCEPTED, DISPATCHED, HANDLED, REPLIED, RATED = (
    "accepted", "dispatched", "handled", "replied", "rated")
REPORTED = "reported"
CASE = StateMachine("case", {
    "accept": ({REPORTED}, ACCEPTED),
    "reject": ({REPORTED}, REJECTED),
    "dispatch": ({ACCEPTED}, DISPATCHED),
    "handle": ({ACCEPTED, DISPATCHED}, HANDLED),
    "reply to": ({HANDLED}, REPLIED),
    "rate": ({REPLIED}, RATED),
    "close": ({REPLIED, RATED}, CLOSED),
    "escalate": ({REPORTED, ACCEPTED, DISPATCHED, HANDLED, REPLIED, RATED}, REPORTED),
})
OPEN_CASE = (REPORTED, ACCEPTED, DISPATCHED)  # on the problem wall
ANSWERED_CASE = (REPLIED, RATED, CLOSED)  # on the echo wall
DISPATCH_TARGETS = ("grid_worker", "party_org", "unit", "whistle")
# Expected time to a reply once accepted, per level (三级三轮: each level is one round).
CASE_SLA = {"community": timedelta(days=3), "street": timedelta(days=5), "district": timedelta(days=7)}
DISSATISFIED = 2  # a rating at or below this sends the case to the next round

# -- response rules (a tenant's own time limits) --------------------------------------------
# A district may set its own limits (e.g. "arrive within 30 minutes" for urgent whistles); what
# it leaves out keeps the defaults above. Limits are whole minutes.
MAX_LIMIT_MINUTES = 90 * 24 * 60


def default_rule_minutes():
    return {
        "whistle_deadlines": {u: {step: int(WHISTLE_DEADLINES[u][step].total_seconds() // 60) for step in STEPS}
                              for u in URGENCIES},
        "case_sla": {level: int(CASE_SLA[level].total_seconds() // 60) for level in LEVELS},
    }


def merge_rule_minutes(current, change):
    """``current`` with the limits ``change`` names replaced (each urgency/step or level alone)."""
    merged = {"whistle_deadlines": {u: dict(steps) for u, steps in current["whistle_deadlines"].items()},
              "case_sla": dict(current["case_sla"])}
    for urgency, steps in (change.get("whistle_deadlines") or {}).items():
        merged["whistle_deadlines"][urgency].update(steps)
    merged["case_sla"].update(change.get("case_sla") or {})
    return merged


def rule_problems(minutes):
    """Field messages for limits that cannot work together (empty when the rules hold): a unit
    must be asked to acknowledge before it arrives and to arrive before it resolves."""
    problems = {}
    for urgency, steps in minutes["whistle_deadlines"].items():
        for earlier, later in zip(STEPS, STEPS[1:], strict=False):
            if steps[earlier] > steps[later]:
                problems.setdefault(f"whistle_deadlines.{urgency}", []).append(
                    f"{earlier} ({steps[earlier]} min) may not come after {later} ({steps[later]} min)")
    return problems


def rule_timedeltas(minutes):
    """The limits as timedeltas: (whistle deadlines by urgency and step, case SLA by level)."""
    whistles = {u: {step: timedelta(minutes=m) for step, m in steps.items()}
                for u, steps in minutes["whistle_deadlines"].items()}
    return whistles, {level: timedelta(minutes=m) for level, m in minutes["case_sla"].items()}

# Open311 service list (GET services): code → (name, group)
CASE_SERVICES = {
    "sanitation": ("环境卫生", "environment"),
    "greening": ("绿化养护", "environment"),
    "property": ("物业服务", "housing"),
    "parking": ("停车秩序", "traffic"),
    "road": ("道路设施", "infrastructure"),
    "lighting": ("路灯照明", "infrastructure"),
    "water_power": ("水电气暖", "infrastructure"),
    "noise": ("噪音扰民", "environment"),
    "neighbour_dispute": ("邻里纠纷", "mediation"),
    "elderly": ("养老助老", "social_services"),
    "safety": ("安全隐患", "safety"),
    "other": ("其他", "other"),
}


def next_level(level):
    index = LEVELS.index(level)
    if index + 1 >= len(LEVELS):
        return None
    return LEVELS[index + 1]


def case_escalation(status, level):
    """(status, level) after an escalation; Conflict when the case cannot go further."""
    target = CASE.next(status, "escalate")
    higher = next_level(level)
    if higher is None:
        raise Conflict("cannot escalate a case that is at district level (third round)",
                       {"status": status, "level": level})
    return target, higher


def open311_status(status):
    return "closed" if status in (CLOSED, REJECTED) else "open"


# -- consultations (四方会谈 / 协商议事) ------------------------------------------------------

PARTIES = ("party_org", "residents_committee", "owners_committee", "property_company",
           "resident_unit", "resident", "social_org", "other")
FOUR_PARTIES = ("party_org", "residents_committee", "owners_committee", "property_company")
CONSULTATION_FORMATS = ("four_party", "council", "hearing", "other")


def consultation_problem(meeting_format, parties):
    """A four-party talk needs the party organisation, the residents' committee, the owners'
    committee and the property company at the table."""
    if meeting_format == "four_party":
        missing = [p for p in FOUR_PARTIES if p not in set(parties)]
        if missing:
            return f"a four-party talk needs {', '.join(missing)}"
    return None


def local_date(moment, timezone):
    """The calendar date of ``moment`` in the tenant's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()
