"""Response scorecards (积分评价): per unit and year, on-time rates for acknowledging, arriving
and resolving, average rating and points (rules in domain.STEP_POINTS / RATING_POINTS), and the
ranking of an alliance's member units at year end."""

from collections import defaultdict

from sqlalchemy import select

from services.organizations import access, domain
from services.organizations.handlers.alliances import alliance_units
from services.organizations.handlers.common import load, now
from services.organizations.handlers.units import get_unit_row
from services.organizations.models import Alliance, AllianceMember, Rating, Response, Unit, Whistle
from shared.errors import Forbidden


def _year(scope, data):
    return data["year"] or domain.local_date(now(), _timezone(scope)).year


def _timezone(scope):
    return scope.tenant.timezone if scope.tenant else "Asia/Shanghai"


def unit_cards(scope, unit_ids, year):
    """unit id → scorecard of the whistles raised in ``year`` (tenant time zone), cancelled
    whistles left out."""
    session = scope.session
    start, end = domain.year_bounds(year, _timezone(scope))
    responses = session.execute(
        select(Response).join(Whistle, Whistle.id == Response.whistle_id)
        .where(Response.unit_id.in_(list(unit_ids)), Whistle.raised_at >= start, Whistle.raised_at < end,
               Whistle.status != domain.CANCELLED)
    ).scalars().all()
    scores = defaultdict(list)
    if responses:
        for response_id, score in session.execute(select(Rating.response_id, Rating.score).where(
                Rating.response_id.in_([r.id for r in responses]))):
            scores[response_id].append(score)
    records = defaultdict(list)
    for response in responses:
        records[response.unit_id].append(domain.ResponseRecord(
            due={step: getattr(response, f"{step}_due") for step in domain.STEPS},
            done={"acknowledge": response.acknowledged_at, "arrive": response.arrived_at,
                  "resolve": response.resolved_at},
            ratings=tuple(scores[response.id])))
    moment = now()
    return {unit_id: domain.scorecard(records[unit_id], moment) for unit_id in unit_ids}


def ranking(scope, alliance, year):
    session = scope.session
    members = alliance_units(session, alliance.id)
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(members))).all()) if members else {}
    cards = unit_cards(scope, members, year) if members else {}
    return domain.rank([{**card, "unit_id": str(unit_id), "unit_name": names[unit_id]}
                        for unit_id, card in cards.items()])


def get_unit_scorecard(scope, data):
    session = scope.session
    unit = get_unit_row(session, data["unit_id"])
    caller = scope.caller
    if not (access.is_staff(caller) or access.acts_for_unit(caller, unit.id)):
        raise Forbidden("staff and the unit's liaison only", {"roles": sorted(caller.roles)})
    year = _year(scope, data)
    card = unit_cards(scope, [unit.id], year)[unit.id]
    ranks = []
    alliances = session.execute(
        select(Alliance).join(AllianceMember, AllianceMember.alliance_id == Alliance.id)
        .where(AllianceMember.unit_id == unit.id, AllianceMember.left_on.is_(None),
               Alliance.archived_at.is_(None)).order_by(Alliance.name)
    ).scalars().all()
    for alliance in alliances:
        ranked = ranking(scope, alliance, year)
        mine = next(c for c in ranked if c["unit_id"] == str(unit.id))
        ranks.append({"alliance_id": str(alliance.id), "alliance_name": alliance.name,
                      "rank": mine["rank"], "of": len(ranked)})
    return {"unit_id": str(unit.id), "unit_name": unit.name, "year": year, **card, "ranks": ranks,
            "points_rule": points_rule()}


def get_alliance_ranking(scope, data):
    session = scope.session
    alliance = load(session, Alliance, data["alliance_id"], "alliance")
    caller = scope.caller
    members = {str(u) for u in alliance_units(session, alliance.id)}
    if not (access.is_staff(caller) or access.liaison_units(caller) & members):
        raise Forbidden("staff and member units' liaisons only", {"roles": sorted(caller.roles)})
    year = _year(scope, data)
    return {"alliance_id": str(alliance.id), "alliance_name": alliance.name, "year": year,
            "items": ranking(scope, alliance, year), "points_rule": points_rule()}


def points_rule():
    return {"steps": domain.STEP_POINTS,
            "rating": {str(score): points for score, points in domain.RATING_POINTS.items()}}
