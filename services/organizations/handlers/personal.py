"""Personal data of one person in organizations (PIPL; the contract is in shared/personal_data.py).

A person appears here by their subject ``person:<uuid>``:

- ``cases``: cases they reported (``reporter_subject``), with the reporter's name and phone, the
  rating comment and the case's history (what get_case shows the reporter).
- ``case_history``: entries they made themselves (reporting, rating, or handling as staff).
- ``whistle_ratings``: their ratings of whistle responses.
- ``whistle_timeline``: whistle timeline entries they made.
- ``references``: other records naming them as the one who acted (units created, report-ins
  requested or decided, agreements created or signed, whistles raised or closed, cases dispatched
  to them as grid worker, consultations recorded, response rules changed).

Erasure puts one pseudonym in every one of those subject columns; the reporter's name becomes
ERASED_NAME, the phone NULL; the person's own words — case rating comments (also the note of the
case's "rate" entries), whistle rating comments (also the "rated" timeline notes) — become NULL.
Descriptions, places, statuses, levels, times and scores stay, so statistics, on-time rates,
satisfaction and scorecards are unchanged.

Not reachable by subject, so neither exported nor erased here: names typed in by staff
(party_org_seats.person_name, consultation participants, alliance liaisons, unit contacts) and
cases a hotline integration reported on a citizen's behalf (their reporter is the integration).
"""

from sqlalchemy import case, null, or_, select

from services.organizations.models import (
    Agreement,
    Case,
    CaseEntry,
    Consultation,
    Rating,
    ReportIn,
    ResponseRules,
    TimelineEntry,
    Unit,
    Whistle,
)
from shared.personal_data import (
    ERASED_NAME,
    Reference,
    erase_references,
    export_references,
    pseudonym,
    row_dict,
    update_rows,
)

SECTIONS = ("cases", "case_history", "whistle_ratings", "whistle_timeline", "references")

REFERENCES = (
    Reference(Unit, "created_by", "created_at"),
    Reference(ReportIn, "requested_by", "requested_at"),
    Reference(ReportIn, "decided_by", "decided_at"),
    Reference(Agreement, "created_by", "created_at"),
    Reference(Agreement, "signed_by", "signed_at"),
    Reference(Whistle, "raised_by", "raised_at"),
    Reference(Whistle, "closed_by", "closed_at"),
    Reference(Case, "dispatch_target", "dispatched_at", where=(Case.dispatch_kind == "grid_worker",)),
    Reference(Consultation, "recorded_by", "created_at"),
    Reference(ResponseRules, "updated_by", "updated_at"),
)

RATE_ACTION = "rate"  # a case history entry whose note is the reporter's rating comment
RATED_PREFIX = "rated "  # whistle timeline: "rated 4", note = the rater's comment


def export_person(scope, subject):
    session = scope.session
    cases = session.execute(select(Case).where(Case.reporter_subject == subject)
                            .order_by(Case.requested_datetime, Case.id)).scalars().all()
    histories = {}
    if cases:
        for entry in session.execute(select(CaseEntry).where(CaseEntry.case_id.in_([c.id for c in cases]))
                                     .order_by(CaseEntry.id)).scalars():
            histories.setdefault(entry.case_id, []).append(row_dict(entry, exclude=("case_id",)))
    own_entries = session.execute(select(CaseEntry).where(CaseEntry.actor == subject)
                                  .order_by(CaseEntry.id)).scalars().all()
    ratings = session.execute(select(Rating).where(Rating.rated_by == subject)
                              .order_by(Rating.rated_at, Rating.id)).scalars().all()
    timeline = session.execute(select(TimelineEntry).where(TimelineEntry.actor == subject)
                               .order_by(TimelineEntry.id)).scalars().all()
    return {
        "cases": [{**row_dict(c), "history": histories.get(c.id, [])} for c in cases],
        "case_history": [row_dict(e) for e in own_entries],
        "whistle_ratings": [row_dict(r) for r in ratings],
        "whistle_timeline": [row_dict(e) for e in timeline],
        "references": export_references(session, REFERENCES, subject),
    }


def erase_person(scope, subject):
    session = scope.session
    alias = pseudonym()
    their_cases = select(Case.id).where(Case.reporter_subject == subject).scalar_subquery()
    # History first, while the cases still name the reporter: their own entries get the alias,
    # and the "rate" notes of their cases (the reporter's comment, whoever typed it) go.
    history = update_rows(session, CaseEntry, or_(
        CaseEntry.actor == subject,
        (CaseEntry.action == RATE_ACTION) & CaseEntry.case_id.in_(their_cases) & CaseEntry.note.is_not(None)), {
        "actor": case((CaseEntry.actor == subject, alias), else_=CaseEntry.actor),
        "note": case((CaseEntry.action == RATE_ACTION, null()), else_=CaseEntry.note),
    })
    cases = update_rows(session, Case, Case.reporter_subject == subject, {
        "reporter_subject": alias,
        "reporter_name": case((Case.reporter_name.is_(None), null()), else_=ERASED_NAME),
        "reporter_phone": None,
        "rating_comment": None,
    })
    ratings = update_rows(session, Rating, Rating.rated_by == subject, {"rated_by": alias, "comment": None})
    timeline = update_rows(session, TimelineEntry, TimelineEntry.actor == subject, {
        "actor": alias,
        "note": case((TimelineEntry.action.startswith(RATED_PREFIX), null()), else_=TimelineEntry.note),
    })
    return {
        "cases": cases,
        "case_history": history,
        "whistle_ratings": ratings,
        "whistle_timeline": timeline,
        "references": erase_references(session, REFERENCES, subject, alias),
    }
