"""A tenant's response rules: its own whistle deadlines per urgency and case SLA per level.
New summons and case transitions read them; deadlines already set stay as they were."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.organizations import access, domain, schemas
from services.organizations.handlers.common import now
from services.organizations.models import ResponseRules
from shared.errors import ValidationError

RULES = schemas.ResponseRulesOut()


def _stored(session, lock=False):
    statement = select(ResponseRules)
    if lock:
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


def _minutes(row):
    if row is None:
        return domain.default_rule_minutes()
    # Merge over the defaults: a level or urgency added to the platform later gets its default.
    return domain.merge_rule_minutes(domain.default_rule_minutes(),
                                     {"whistle_deadlines": row.whistle_deadlines, "case_sla": row.case_sla})


def current_limits(session):
    """(whistle deadlines by urgency and step, case SLA by level) as timedeltas."""
    return domain.rule_timedeltas(_minutes(_stored(session)))


def _view(row):
    return RULES.dump({**_minutes(row), "customised": row is not None,
                       "updated_at": row.updated_at if row is not None else None})


def get_response_rules(scope):
    """Anyone of the tenant may read them: summoned units need to know their deadlines."""
    return _view(_stored(scope.session))


def set_response_rules(scope, data):
    """Replace the limits the payload names; the rest keep their current value."""
    access.require_admin(scope.caller)
    session = scope.session
    # Create the row first so two admins changing different limits at once both keep theirs:
    # the second waits on the row lock and merges over the first's result.
    defaults = domain.default_rule_minutes()
    session.execute(insert(ResponseRules).values(
        id=1, whistle_deadlines=defaults["whistle_deadlines"], case_sla=defaults["case_sla"],
        updated_by=scope.caller.subject).on_conflict_do_nothing())
    row = _stored(session, lock=True)
    merged = domain.merge_rule_minutes(_minutes(row), data)
    problems = domain.rule_problems(merged)
    if problems:
        raise ValidationError("the time limits contradict each other", problems)
    row.whistle_deadlines, row.case_sla = merged["whistle_deadlines"], merged["case_sla"]
    row.updated_by, row.updated_at = scope.caller.subject, now()
    session.flush()
    view = _view(row)
    scope.emit("response_rules_updated", {k: view[k] for k in ("whistle_deadlines", "case_sla", "updated_at")})
    return view
