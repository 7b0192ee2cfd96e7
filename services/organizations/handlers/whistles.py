"""Whistle and report (吹哨报到): a community raises a whistle and summons paired/alliance units;
each unit acknowledges, arrives (or acts) and resolves within deadlines set by the urgency; a
sweep escalates missed deadlines community → street → district; the community closes the
whistle and residents or the community rate each unit's response.

Every transition locks the whistle row first (then its responses), so two units resolving at
the same moment are serialised and exactly one of them sees the whistle become resolved.
"""

from sqlalchemy import and_, func, or_, select

from services.organizations import access, domain, schemas
from services.organizations.handlers.alliances import connected_units
from services.organizations.handlers.common import as_uuid, keyset, load, now, paged, within
from services.organizations.handlers.rules import current_limits
from services.organizations.handlers.territory import active_node, ancestor_of_kind, get_node_row
from services.organizations.handlers.units import active_unit
from services.organizations.models import Node, Rating, Response, TimelineEntry, Unit, Whistle
from shared.errors import Conflict, Forbidden, NotFound, ValidationError

WHISTLE = schemas.Whistle()
WHISTLE_EVENT = schemas.WhistleEvent()
DONE_AT = {"acknowledge": "acknowledged_at", "arrive": "arrived_at", "resolve": "resolved_at"}
WHISTLE_ACTION = {"acknowledge": "acknowledge", "arrive": "arrive at", "resolve": "resolve"}

# Functions called (scope, whistle) when a whistle is closed (cases hook in here).
CLOSE_HOOKS = []


def get_whistle_row(session, whistle_id, lock=None):
    return load(session, Whistle, whistle_id, "whistle", lock=lock)


def responses_of(session, whistle_id, lock=False):
    statement = select(Response).where(Response.whistle_id == whistle_id).order_by(Response.summoned_at,
                                                                                  Response.id)
    if lock:
        statement = statement.with_for_update()
    return session.execute(statement).scalars().all()


def log(session, whistle, action, actor, unit_id=None, note=None):
    session.add(TimelineEntry(whistle_id=whistle.id, at=now(), action=action, unit_id=unit_id,
                              actor=actor, note=note))


def whistle_event(whistle, community, node, unit_ids, **extra):
    data = {"whistle_id": whistle.id, "status": whistle.status, "urgency": whistle.urgency,
            "category": whistle.category, "community_id": whistle.community_id,
            "community_path": community.path, "node_id": whistle.node_id, "node_path": node.path,
            "unit_ids": [str(u) for u in unit_ids], "escalation_level": whistle.escalation_level,
            "escalation": domain.LEVELS[whistle.escalation_level], "case_id": whistle.case_id}
    data.update(extra)
    return WHISTLE_EVENT.dump(data)


def _places(session, whistle):
    community = get_node_row(session, whistle.community_id)
    node = community if whistle.node_id == whistle.community_id else get_node_row(session, whistle.node_id)
    return community, node


def _deadlines(response):
    return {step: getattr(response, f"{step}_due").isoformat() for step in domain.STEPS}


def _new_responses(session, whistle, community, unit_ids, at):
    unit_ids = list(dict.fromkeys(unit_ids))
    for unit_id in unit_ids:
        active_unit(session, unit_id, field="unit_ids")
    reachable = connected_units(session, community.id)
    strangers = [str(u) for u in unit_ids if u not in reachable]
    if strangers:
        raise ValidationError("only units paired with, allied to or reported in to the community can "
                              "be summoned", {"unit_ids": [f"{u} is not connected to the community"
                                                           for u in strangers]})
    responses = []
    deadlines, _ = current_limits(session)
    for unit_id in unit_ids:
        due = domain.whistle_deadlines(whistle.urgency, at, deadlines)
        responses.append(Response(whistle_id=whistle.id, unit_id=unit_id, status=domain.SUMMONED,
                                  summoned_at=at, acknowledge_due=due["acknowledge"],
                                  arrive_due=due["arrive"], resolve_due=due["resolve"]))
    session.add_all(responses)
    return responses


def raise_whistle(scope, data, case_id=None):
    session = scope.session
    node = active_node(session, data["node_id"], "attach to", lock="share")
    community = ancestor_of_kind(session, node, domain.COMMUNITY)
    if community is None:
        raise ValidationError("whistles are raised inside a community", {"node_id": [
            f"is a {node.kind}; name the community or a node inside it"]})
    domain.NODE.next(community.status, "attach to")
    access.require_manager(scope.caller, community.path)
    at = now()
    location = data["location"] or {}
    whistle = Whistle(community_id=community.id, node_id=node.id, title=data["title"],
                      category=data["category"], description=data["description"],
                      address=data["address"], lat=location.get("lat"), lng=location.get("lng"),
                      photos=data["photos"], urgency=data["urgency"], status=domain.RAISED,
                      case_id=case_id, raised_by=scope.caller.subject, raised_at=at, updated_at=at)
    session.add(whistle)
    session.flush()
    responses = _new_responses(session, whistle, community, data["unit_ids"], at)
    log(session, whistle, "raised", scope.caller.subject, note=data["title"])
    session.flush()
    scope.emit("whistle_raised", whistle_event(whistle, community, node, [r.unit_id for r in responses],
                                               deadlines=_deadlines(responses[0])))
    return whistle_view(scope, whistle, community, node)


def summon_units(scope, data):
    session = scope.session
    whistle = get_whistle_row(session, data["whistle_id"], lock="update")
    community, node = _places(session, whistle)
    access.require_manager(scope.caller, community.path)
    domain.WHISTLE.next(whistle.status, "summon units to")
    summoned = {r.unit_id for r in responses_of(session, whistle.id)}
    again = [str(u) for u in data["unit_ids"] if u in summoned]
    if again:
        raise Conflict("these units are already summoned", {"unit_ids": again})
    responses = _new_responses(session, whistle, community, data["unit_ids"], now())
    for response in responses:
        log(session, whistle, "summoned", scope.caller.subject, unit_id=response.unit_id)
    whistle.updated_at = now()
    session.flush()
    scope.emit("whistle_units_summoned", whistle_event(
        whistle, community, node, [r.unit_id for r in responses], deadlines=_deadlines(responses[0])))
    return whistle_view(scope, whistle, community, node)


def _acting_unit(caller, unit_id):
    """The unit a step is done for: the caller's own unit (liaison), or the one an admin names."""
    if unit_id is not None:
        if not (caller.is_admin or access.acts_for_unit(caller, unit_id)):
            raise Forbidden("only the unit's liaison may respond for it", {"unit_id": str(unit_id)})
        return unit_id
    units = access.liaison_units(caller)
    if len(units) == 1:
        return as_uuid(units.pop())
    if not units and not caller.is_admin:
        raise Forbidden("only summoned units' liaisons respond to whistles", {"roles": sorted(caller.roles)})
    raise ValidationError("which unit?", {"unit_id": ["required unless the token is for exactly one unit"]})


def respond(scope, data, step):
    """acknowledge / arrive / resolve for one summoned unit."""
    session = scope.session
    unit_id = _acting_unit(scope.caller, data["unit_id"])
    whistle = get_whistle_row(session, data["whistle_id"], lock="update")
    response = session.execute(select(Response).where(Response.whistle_id == whistle.id,
                                                      Response.unit_id == unit_id).with_for_update()
                               ).scalar_one_or_none()
    if response is None:
        raise NotFound("this unit was not summoned to the whistle", {"unit_id": str(unit_id)})
    status = domain.WHISTLE.next(whistle.status, WHISTLE_ACTION[step])
    response.status = domain.RESPONSE.next(response.status, step)
    at = now()
    setattr(response, DONE_AT[step], at)
    if step == "resolve" and data["note"]:
        response.resolution = data["note"]
    whistle.status = status
    responses = responses_of(session, whistle.id)
    if step == "resolve" and all(r.status == domain.RESOLVED for r in responses):
        whistle.status, whistle.resolved_at = domain.RESOLVED, at
    whistle.updated_at = at
    due = getattr(response, f"{step}_due")
    log(session, whistle, domain.STEP_DONE_STATUS[step], scope.caller.subject, unit_id=unit_id,
        note=data["note"])
    session.flush()
    community, node = _places(session, whistle)
    scope.emit(domain.STEP_EVENTS[step], whistle_event(
        whistle, community, node, [r.unit_id for r in responses], unit_id=unit_id,
        response_status=response.status, step=step, due_at=due, on_time=at <= due))
    return whistle_view(scope, whistle, community, node)


def close_whistle(scope, data):
    session = scope.session
    whistle = get_whistle_row(session, data["whistle_id"], lock="update")
    community, node = _places(session, whistle)
    access.require_manager(scope.caller, community.path)
    whistle.status = domain.WHISTLE.next(whistle.status, "close")
    whistle.closed_at, whistle.closed_by, whistle.closing_note = now(), scope.caller.subject, data["note"]
    whistle.updated_at = whistle.closed_at
    log(session, whistle, "closed", scope.caller.subject, note=data["note"])
    session.flush()
    for hook in CLOSE_HOOKS:
        hook(scope, whistle)
    scope.emit("whistle_closed", whistle_event(whistle, community, node,
                                               [r.unit_id for r in responses_of(session, whistle.id)]))
    return whistle_view(scope, whistle, community, node)


def cancel_whistle(scope, data):
    session = scope.session
    whistle = get_whistle_row(session, data["whistle_id"], lock="update")
    community, node = _places(session, whistle)
    access.require_manager(scope.caller, community.path)
    whistle.status = domain.WHISTLE.next(whistle.status, "cancel")
    whistle.cancelled_at, whistle.cancel_reason = now(), data["reason"]
    whistle.updated_at = whistle.cancelled_at
    log(session, whistle, "cancelled", scope.caller.subject, note=data["reason"])
    session.flush()
    scope.emit("whistle_cancelled", whistle_event(whistle, community, node,
                                                  [r.unit_id for r in responses_of(session, whistle.id)]))
    return whistle_view(scope, whistle, community, node)


def rate_whistle(scope, data):
    session = scope.session
    caller = scope.caller
    whistle = get_whistle_row(session, data["whistle_id"], lock="update")
    community, node = _places(session, whistle)
    if access.can_manage(caller, community.path):
        role = "community"
    elif access.resident_of(caller, community.path):
        role = "resident"
    else:
        raise Forbidden("the community and its residents rate whistles", {"roles": sorted(caller.roles)})
    domain.WHISTLE.next(whistle.status, "rate")
    responses = responses_of(session, whistle.id)
    if data["unit_id"] is not None:
        responses = [r for r in responses if r.unit_id == data["unit_id"]]
        if not responses:
            raise NotFound("this unit was not summoned to the whistle", {"unit_id": str(data["unit_id"])})
    rated = set(session.execute(select(Rating.response_id).where(
        Rating.response_id.in_([r.id for r in responses]), Rating.rated_by == caller.subject)).scalars())
    if rated:
        raise Conflict("you have already rated this response", {"whistle_id": str(whistle.id)})
    at = now()
    session.add_all([Rating(whistle_id=whistle.id, response_id=r.id, score=data["score"],
                            comment=data["comment"], rater_role=role, rated_by=caller.subject, rated_at=at)
                     for r in responses])
    log(session, whistle, f"rated {data['score']}", caller.subject, unit_id=data["unit_id"],
        note=data["comment"])
    session.flush()
    scope.emit("whistle_rated", whistle_event(whistle, community, node, [r.unit_id for r in responses],
                                              unit_id=data["unit_id"], score=data["score"]))
    return whistle_view(scope, whistle, community, node)


# -- reading --------------------------------------------------------------------------------


def _sees_internals(caller, community, unit_ids):
    return caller.can(access.STAFF, path=community.path) or any(
        access.acts_for_unit(caller, u) for u in unit_ids)


def whistle_view(scope, whistle, community=None, node=None):
    session = scope.session
    if community is None:
        community, node = _places(session, whistle)
    rows = session.execute(
        select(Response, Unit.name).join(Unit, Unit.id == Response.unit_id)
        .where(Response.whistle_id == whistle.id).order_by(Response.summoned_at, Unit.name)
    ).all()
    averages = dict(session.execute(
        select(Rating.response_id, func.avg(Rating.score)).where(Rating.whistle_id == whistle.id)
        .group_by(Rating.response_id)).all())
    summary = session.execute(select(func.count(), func.avg(Rating.score)).where(
        Rating.whistle_id == whistle.id)).one()
    responses = []
    for response, unit_name in rows:
        item = {c: getattr(response, c) for c in (
            "unit_id", "status", "summoned_at", "acknowledge_due", "arrive_due", "resolve_due",
            "acknowledged_at", "arrived_at", "resolved_at", "resolution")}
        item["unit_name"] = unit_name
        item["missed"] = [s for s in domain.STEPS if getattr(response, f"{s}_missed_at") is not None]
        average = averages.get(response.id)
        item["average_rating"] = round(float(average), 2) if average is not None else None
        responses.append(item)
    data = {c: getattr(whistle, c) for c in (
        "id", "community_id", "node_id", "title", "category", "description", "address", "lat", "lng",
        "photos", "urgency", "status", "escalation_level", "escalated_at", "case_id", "raised_at",
        "resolved_at", "closed_at", "closing_note", "cancelled_at", "cancel_reason")}
    data.update(community_name=community.name, community_path=community.path, node_path=node.path,
                responses=responses,
                ratings={"count": summary[0],
                         "average": round(float(summary[1]), 2) if summary[1] is not None else None})
    dumped = WHISTLE.dump(data)
    if _sees_internals(scope.caller, community, [r["unit_id"] for r in responses]):
        dumped["raised_by"] = whistle.raised_by
        dumped["timeline"] = schemas.TimelineEntry(many=True).dump(session.execute(
            select(TimelineEntry).where(TimelineEntry.whistle_id == whistle.id).order_by(TimelineEntry.id)
        ).scalars().all())
    else:
        dumped.pop("raised_by", None)
        dumped.pop("timeline", None)
        for response in dumped["responses"]:
            response.pop("resolution", None)
    return dumped


def get_whistle(scope, whistle_id):
    return whistle_view(scope, get_whistle_row(scope.session, whistle_id))


def list_whistles(scope, data):
    session = scope.session
    caller = scope.caller
    statement = select(Whistle).join(Node, Node.id == Whistle.community_id)
    if data["community_id"]:
        statement = statement.where(Whistle.community_id == as_uuid(data["community_id"], "community_id"))
    if data["subtree"]:
        root = get_node_row(session, data["subtree"], field="subtree")
        statement = statement.where(within(Node.path, root.path))
    if data["status"]:
        statement = statement.where(Whistle.status == data["status"])
    if data["urgency"]:
        statement = statement.where(Whistle.urgency == data["urgency"])
    if data["min_escalation_level"] is not None:
        statement = statement.where(Whistle.escalation_level >= data["min_escalation_level"])
    unit_ids = [data["unit_id"]] if data["unit_id"] else []
    liaison_only = not access.is_staff(caller) and access.liaison_units(caller)
    if liaison_only:  # a unit liaison sees the whistles that summoned their unit
        own = {as_uuid(u) for u in access.liaison_units(caller)}
        unit_ids = [u for u in unit_ids if u in own] if unit_ids else list(own)
        if not unit_ids:
            raise Forbidden("a unit liaison sees only their unit's whistles", {"unit_id": str(data["unit_id"])})
    if unit_ids:
        statement = statement.where(Whistle.id.in_(
            select(Response.whistle_id).where(Response.unit_id.in_(unit_ids))))
    statement = keyset(statement, data, [Whistle.raised_at, Whistle.id])
    rows = session.execute(statement).scalars().all()
    return paged(rows, data, lambda w: [w.raised_at.isoformat(), str(w.id)],
                 lambda w: whistle_view(scope, w))


# -- deadlines ------------------------------------------------------------------------------


def escalate_missed_deadlines(scope):
    """Sweep: stamp every deadline that passed undone, emit whistle_overdue for it, and raise the
    whistle's escalation level (whistle_escalated). Whistles locked by a transition right now are
    skipped and picked up by the next run."""
    session = scope.session
    at = now()
    missed = or_(*(and_(getattr(Response, f"{step}_missed_at").is_(None),
                        getattr(Response, DONE_AT[step]).is_(None),
                        getattr(Response, f"{step}_due") < at) for step in domain.STEPS))
    candidates = session.execute(
        select(Response.whistle_id).join(Whistle, Whistle.id == Response.whistle_id)
        .where(Whistle.status.in_(domain.OPEN_WHISTLE), missed).distinct()
    ).scalars().all()
    changed = 0
    for whistle_id in candidates:
        whistle = session.execute(select(Whistle).where(
            Whistle.id == whistle_id, Whistle.status.in_(domain.OPEN_WHISTLE)
        ).with_for_update(skip_locked=True)).scalar_one_or_none()
        if whistle is None:
            continue
        community, node = _places(session, whistle)
        responses = responses_of(session, whistle.id, lock=True)
        level, misses = whistle.escalation_level, []
        for response in responses:
            for step in domain.STEPS:
                due = getattr(response, f"{step}_due")
                if (getattr(response, DONE_AT[step]) is None and due < at
                        and getattr(response, f"{step}_missed_at") is None):
                    setattr(response, f"{step}_missed_at", at)
                    level = domain.escalation_after_miss(level, step)
                    misses.append((response, step, due))
                    log(session, whistle, f"missed {step} deadline", "system", unit_id=response.unit_id)
        if not misses:
            continue
        changed += 1
        previous = whistle.escalation_level
        if level > previous:
            whistle.escalation_level, whistle.escalated_at = level, at
            log(session, whistle, f"escalated to {domain.LEVELS[level]}", "system")
        whistle.updated_at = at
        session.flush()
        unit_ids = [r.unit_id for r in responses]
        for response, step, due in misses:
            scope.emit("whistle_overdue", whistle_event(
                whistle, community, node, unit_ids, unit_id=response.unit_id,
                response_status=response.status, step=step, due_at=due, on_time=False))
        if level > previous:
            scope.emit("whistle_escalated", whistle_event(
                whistle, community, node, unit_ids, step=misses[-1][1],
                unit_id=misses[-1][0].unit_id if len({r.unit_id for r, _, _ in misses}) == 1 else None))
    return changed
