"""Statistics of a subtree — the figures the case studies report: organisations, units reported
in, alliances, whistles and cases by status, on-time rates, ratings and satisfaction. Every count
is one aggregate query restricted by ``path <@ root`` (GiST index on nodes.path)."""

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import aliased

from services.organizations import access, domain
from services.organizations.handlers.common import now, within
from services.organizations.handlers.territory import get_node_row
from services.organizations.models import (
    ActivityDay,
    Agreement,
    Alliance,
    AllianceMember,
    Case,
    Commitment,
    Consultation,
    Decision,
    DecisionCase,
    Need,
    Node,
    Pairing,
    PartyOrg,
    Rating,
    ReportIn,
    Response,
    Seat,
    Unit,
    Whistle,
)


def _rate(numerator, denominator):
    return round(numerator / denominator, 4) if denominator else None


def _grouped(session, statement):
    return {key: count for key, count in session.execute(statement).all()}


def get_statistics(scope, data):
    session = scope.session
    root = get_node_row(session, data["node_id"])
    scope.caller.require(access.STAFF, path=root.path)
    inside = within(Node.path, root.path)
    year = data["year"]
    window = domain.year_bounds(year, scope.tenant.timezone) if year else None
    at = now()

    def where_node(statement, column):
        return statement.join(Node, Node.id == column).where(inside)

    nodes = _grouped(session, select(Node.kind, func.count()).where(
        inside, Node.archived_at.is_(None), Node.id != root.id).group_by(Node.kind))
    figures = session.execute(select(Node.kind, func.sum(Node.population), func.sum(Node.households))
                              .where(inside, Node.archived_at.is_(None)).group_by(Node.kind)).all()

    orgs = _grouped(session, where_node(select(PartyOrg.kind, func.count()), PartyOrg.node_id).where(
        PartyOrg.dissolved_at.is_(None)).group_by(PartyOrg.kind))
    seats = _grouped(session, where_node(
        select(Seat.role, func.count()).join(PartyOrg, PartyOrg.id == Seat.org_id), PartyOrg.node_id
    ).where(Seat.ended_on.is_(None), PartyOrg.dissolved_at.is_(None)).group_by(Seat.role))

    reports = _grouped(session, where_node(select(ReportIn.status, func.count()), ReportIn.community_id)
                       .group_by(ReportIn.status))
    units_reported = session.execute(where_node(
        select(func.count(distinct(ReportIn.unit_id))), ReportIn.community_id
    ).where(ReportIn.status == domain.CONFIRMED)).scalar()
    unit_kinds = _grouped(session, where_node(
        select(Unit.kind, func.count(distinct(Unit.id))).join(ReportIn, ReportIn.unit_id == Unit.id),
        ReportIn.community_id).where(ReportIn.status == domain.CONFIRMED).group_by(Unit.kind))

    alliances = session.execute(where_node(select(func.count()).select_from(Alliance), Alliance.community_id)
                                .where(Alliance.archived_at.is_(None))).scalar()
    members = session.execute(where_node(
        select(func.count(distinct(AllianceMember.unit_id))).join(Alliance, Alliance.id == AllianceMember.alliance_id),
        Alliance.community_id).where(AllianceMember.left_on.is_(None), Alliance.archived_at.is_(None))).scalar()
    activity_days = session.execute(where_node(
        select(func.count()).select_from(ActivityDay).join(Alliance, Alliance.id == ActivityDay.alliance_id),
        Alliance.community_id)).scalar()
    pairings = session.execute(where_node(select(func.count()).select_from(Pairing), Pairing.community_id)
                               .where(Pairing.ended_on.is_(None))).scalar()
    agreements = _grouped(session, where_node(select(Agreement.status, func.count()), Agreement.community_id)
                          .group_by(Agreement.status))
    today = domain.local_date(at, scope.tenant.timezone)
    state = case((Commitment.status == domain.DONE, domain.DONE),
                 (Commitment.due_on < today, domain.OVERDUE), else_=domain.PENDING)
    commitments = _grouped(session, where_node(
        select(state, func.count()).join(Agreement, Agreement.id == Commitment.agreement_id),
        Agreement.community_id).where(Agreement.status != domain.DRAFT).group_by(state))
    needs = _grouped(session, where_node(select(Need.status, func.count()), Need.community_id)
                     .group_by(Need.status))

    return {
        "node": {"id": str(root.id), "kind": root.kind, "name": root.name, "path": root.path},
        "year": year,
        "territory": {"nodes": nodes,
                      "population": {kind: int(p) for kind, p, _ in figures if p is not None},
                      "households": {kind: int(h) for kind, _, h in figures if h is not None}},
        "party": {"organisations": orgs, "total_organisations": sum(orgs.values()), "seats": seats,
                  "part_time_members": seats.get("part_time_member", 0)},
        "units": {"reported_in": units_reported, "report_ins": reports, "reported_by_kind": unit_kinds},
        "alliances": {"count": alliances, "member_units": members, "activity_days": activity_days,
                      "pairings": pairings},
        "agreements": {"by_status": agreements,
                       "commitments": {k: commitments.get(k, 0) for k in (domain.DONE, domain.OVERDUE,
                                                                          domain.PENDING)},
                       "needs": needs},
        "whistles": _whistle_figures(session, inside, window, at),
        "cases": _case_figures(session, root, window),
        "consultations": _consultation_figures(session, inside, window),
    }


def _whistle_figures(session, inside, window, at):
    scoped = [inside]
    if window:
        scoped += [Whistle.raised_at >= window[0], Whistle.raised_at < window[1]]
    by_status = _grouped(session, select(Whistle.status, func.count()).join(
        Node, Node.id == Whistle.community_id).where(*scoped).group_by(Whistle.status))
    levels = _grouped(session, select(Whistle.escalation_level, func.count()).join(
        Node, Node.id == Whistle.community_id).where(*scoped, Whistle.escalation_level > 0)
        .group_by(Whistle.escalation_level))
    live = Whistle.status != domain.CANCELLED
    steps = {}
    columns = []
    for step, done in (("acknowledge", Response.acknowledged_at), ("arrive", Response.arrived_at),
                       ("resolve", Response.resolved_at)):
        due = getattr(Response, f"{step}_due")
        columns += [func.count().filter(and_(done.isnot(None), done <= due)),
                    func.count().filter((done.isnot(None)) | (due < at))]
    row = session.execute(select(func.count(), *columns).select_from(Response)
                          .join(Whistle, Whistle.id == Response.whistle_id)
                          .join(Node, Node.id == Whistle.community_id).where(*scoped, live)).one()
    for index, step in enumerate(domain.STEPS):
        steps[step] = _rate(row[1 + 2 * index], row[2 + 2 * index])
    rating = session.execute(select(func.count(), func.avg(Rating.score)).select_from(Rating)
                             .join(Whistle, Whistle.id == Rating.whistle_id)
                             .join(Node, Node.id == Whistle.community_id).where(*scoped)).one()
    return {"by_status": by_status, "total": sum(by_status.values()), "responses": row[0],
            "escalated": {domain.LEVELS[level]: count for level, count in levels.items()},
            "on_time_rate": steps, "ratings": rating[0],
            "average_rating": round(float(rating[1]), 2) if rating[1] is not None else None}


def _case_figures(session, root, window):
    place = aliased(Node)
    statement_base = [within(place.path, root.path)]
    if window:
        statement_base += [Case.requested_datetime >= window[0], Case.requested_datetime < window[1]]

    def grouped(column):
        return _grouped(session, select(column, func.count()).join(place, place.id == Case.node_id)
                        .where(*statement_base).group_by(column))

    by_status = grouped(Case.status)
    answered = Case.replied_at.isnot(None)
    row = session.execute(select(
        func.count().filter(answered),
        func.count().filter(and_(answered, Case.replied_at <= Case.expected_datetime)),
        func.count(Case.rating), func.avg(Case.rating), func.count().filter(Case.rating >= 4),
    ).join(place, place.id == Case.node_id).where(*statement_base)).one()
    return {"by_status": by_status, "total": sum(by_status.values()), "by_level": grouped(Case.level),
            "by_source": grouped(Case.source), "replied": row[0],
            "replied_on_time_rate": _rate(row[1], row[0]), "ratings": row[2],
            "average_rating": round(float(row[3]), 2) if row[3] is not None else None,
            "satisfaction_rate": _rate(row[4], row[2])}


def _consultation_figures(session, inside, window):
    scoped = [inside]
    if window:
        scoped += [Consultation.held_at >= window[0], Consultation.held_at < window[1]]
    row = session.execute(select(func.count(distinct(Consultation.id)), func.count(distinct(Decision.id)))
                          .select_from(Consultation).join(Node, Node.id == Consultation.community_id)
                          .outerjoin(Decision, Decision.consultation_id == Consultation.id).where(*scoped)).one()
    settled = session.execute(select(func.count(distinct(DecisionCase.case_id)))
                              .select_from(DecisionCase).join(Decision, Decision.id == DecisionCase.decision_id)
                              .join(Consultation, Consultation.id == Decision.consultation_id)
                              .join(Node, Node.id == Consultation.community_id)
                              .where(*scoped, Decision.resolves.is_(True))).scalar()
    by_format = _grouped(session, select(Consultation.format, func.count())
                         .join(Node, Node.id == Consultation.community_id).where(*scoped)
                         .group_by(Consultation.format))
    return {"count": row[0], "decisions": row[1], "cases_settled": settled, "by_format": by_format}
