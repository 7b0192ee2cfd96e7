"""Bulk imports (the database side): every row is checked first (importing.py); then the whole
file is written in one transaction with set-based statements — one multi-row INSERT for the new
nodes, one executemany UPDATE for the changed ones, one multi-row INSERT of their events into
the outbox. A file with any bad row writes nothing; a file imported twice changes nothing the
second time (nodes are found by code path, units by credit code)."""

import base64
import binascii
import json
import uuid
from collections import Counter

import psycopg
from sqlalchemy import bindparam, insert, select, update

from services.organizations import domain, importing, schemas
from services.organizations.handlers.common import now
from services.organizations.models import Node, ReportIn, Unit
from shared import platform_tables
from shared.errors import Conflict, ValidationError
from shared.outbox import envelope
from shared.types import path_label

NODE_EVENT = schemas.NodeEvent()
UNIT_EVENT = schemas.UnitEvent()
REPORT_EVENT = schemas.UnitReportEvent()


def copy_rows(session, table, columns, rows):
    """COPY ``rows`` into ``table`` (schema-qualified) on the session's connection, inside its
    transaction: the one set-based write that stays fast with the pure-Python driver (an
    executemany sends one statement per row)."""
    session.flush()
    connection = session.connection().connection.driver_connection
    try:
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:  # e.g. a sibling without a code has the name
        raise Conflict("the import clashes with existing records; nothing was imported",
                       {"constraint": exc.diag.constraint_name}) from None


def emit_many(scope, event_type, items):
    """Stage many events in the outbox with one COPY (scope.emit writes one row per call); the
    relay publishes them after commit like any other event."""
    if not items:
        return
    outbox = platform_tables.outbox
    rows = []
    for data in items:
        payload = envelope(event_type, scope.tenant_slug, data)
        rows.append((payload["event_id"], scope.tenant_slug, event_type, json.dumps(payload, ensure_ascii=False),
                     scope.call_id))
    copy_rows(scope.session, f'"{outbox.schema}"."{outbox.name}"',
              ("event_id", "tenant", "event_type", "payload", "call_id"), rows)
    scope.after_commit(scope.context.relay.wake)


def _rows(data, columns, required):
    if data["rows"] is not None:
        return importing.normalize_rows(data["rows"]), {}
    try:
        content = base64.b64decode(data["content"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("invalid file", {"content": ["not base64"]}) from None
    try:
        return importing.read_table(content, data["format"], columns, required)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is the caller's problem to fix
        raise ValidationError("unreadable file", {"content": [f"cannot read the {data['format']} file: {exc}"]}) from None


def _refuse(problems, total):
    raise ValidationError(
        f"{len(problems)} of {total} rows are invalid; nothing was imported",
        {"rows": {str(line): fields for line, fields in problems.items()}})


def _summary(total, created, updated, unchanged, kinds, dry_run, **extra):
    return {"rows": total, "created": created, "updated": updated, "unchanged": unchanged,
            "by_kind": dict(kinds), "dry_run": dry_run, **extra}


def _existing_nodes(session, with_names=False):
    """code path → active node; with ``with_names`` also (parent code path, name) → holder for
    every active node under a parent that has a code path (nodes without a code included)."""
    nodes = session.execute(
        select(Node.id, Node.kind, Node.code, Node.parent_id, Node.name, Node.path, Node.lat, Node.lng,
               Node.population, Node.households).where(Node.archived_at.is_(None))
    ).all()
    known = importing.code_paths(nodes)
    if not with_names:
        return known
    key_of = {n.id: key for key, n in known.items()}
    taken = {}
    for n in nodes:
        if n.parent_id is None or n.parent_id in key_of:
            parent_key = key_of.get(n.parent_id, "")
            taken[(parent_key, n.name)] = key_of.get(n.id, f"{parent_key}/(a {n.kind} without a code)")
    return known, taken


def import_nodes(scope, data):
    scope.caller.require_admin()
    session = scope.session
    rows, problems = _rows(data, importing.NODE_COLUMNS, importing.NODE_REQUIRED)
    if problems:
        _refuse(problems, len(rows) or 1)
    known, taken = _existing_nodes(session, with_names=True)
    existing = {key: importing.Existing(n.id, n.kind, n.name, n.path, n.lat, n.lng, n.population, n.households)
                for key, n in known.items()}
    try:
        plan = importing.plan_nodes(rows, existing, taken)
    except importing.ImportProblems as exc:
        _refuse(exc.problems, exc.total)
    kinds = Counter(node.kind for node in plan.create)
    if data["dry_run"]:
        return _summary(len(rows), len(plan.create), len(plan.update), plan.unchanged, kinds, True)

    parents = {existing[n.parent].id for n in plan.create if n.parent in existing}
    if parents:  # a concurrent move must not rewrite these paths under our feet
        session.execute(select(Node.id).where(Node.id.in_(parents)).with_for_update(read=True)).all()
    at = now()
    placed = {key: (info.id, info.path) for key, info in existing.items()}
    created = []
    for node in plan.create:  # parents come first
        parent_id, parent_path = placed[node.parent] if node.parent else (None, None)
        node_id = uuid.uuid4()
        path = domain.child_path(parent_path, path_label(node_id))
        placed[node.key] = (node_id, path)
        created.append({"id": node_id, "kind": node.kind, "name": node.name, "code": node.code,
                        "parent_id": parent_id, "parent_kind": domain.PARENT_KIND[node.kind],
                        "path": path, "lat": node.lat, "lng": node.lng, "population": node.population,
                        "households": node.households, "created_at": at, "updated_at": at})
    if created:
        columns = list(created[0])
        copy_rows(session, f'"{scope.tenant.schema}".nodes', columns, ([row[c] for c in columns] for row in created))
    changes = [{"b_id": current.id, "name": node.name, "lat": node.lat, "lng": node.lng,
                "population": node.population, "households": node.households, "updated_at": at}
               for current, node in plan.update]
    if changes:
        table = Node.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            name=bindparam("name"), lat=bindparam("lat"), lng=bindparam("lng"),
            population=bindparam("population"), households=bindparam("households"),
            updated_at=bindparam("updated_at")), changes)
    emit_many(scope, "node_created", NODE_EVENT.dump(created, many=True))
    emit_many(scope, "node_updated", NODE_EVENT.dump([
        {"id": current.id, "kind": node.kind, "name": node.name, "code": node.code,
         "parent_id": known[node.parent].id if node.parent else None, "path": current.path,
         "lat": node.lat, "lng": node.lng, "population": node.population, "households": node.households}
        for current, node in plan.update], many=True))
    return _summary(len(rows), len(created), len(changes), plan.unchanged, kinds, False)


def import_units(scope, data):
    scope.caller.require_admin()
    session = scope.session
    rows, problems = _rows(data, importing.UNIT_COLUMNS, importing.UNIT_REQUIRED)
    if problems:
        _refuse(problems, len(rows) or 1)
    communities = {key: node for key, node in _existing_nodes(session).items()
                   if node.kind == domain.COMMUNITY}
    try:
        parsed = importing.plan_units(rows, communities)
    except importing.ImportProblems as exc:
        _refuse(exc.problems, exc.total)
    current = {u.credit_code: u for u in session.execute(
        select(Unit).where(Unit.credit_code.in_([r.credit_code for r in parsed]))).scalars()}
    new = [r for r in parsed if r.credit_code not in current]
    changed = [(current[r.credit_code], r) for r in parsed if r.credit_code in current and any(
        getattr(current[r.credit_code], k) != v for k, v in r.fields().items())]
    live = {}
    if parsed:
        for report in session.execute(select(ReportIn).where(
                ReportIn.status.in_(domain.LIVE_REPORT_IN),
                ReportIn.unit_id.in_([u.id for u in current.values()]))).scalars():
            live[(report.unit_id, report.community_id)] = report
    reporting = [r for r in parsed if r.community]
    kinds = Counter(r.kind for r in new)
    if data["dry_run"]:
        return _summary(len(rows), len(new), len(changed), len(parsed) - len(new) - len(changed), kinds, True)

    at, subject = now(), scope.caller.subject
    ids = {code: unit.id for code, unit in current.items()}
    inserted = []
    for row in new:
        ids[row.credit_code] = uuid.uuid4()
        inserted.append({"id": ids[row.credit_code], "credit_code": row.credit_code, **row.fields(),
                         "created_by": subject, "created_at": at, "updated_at": at})
    if inserted:
        session.execute(insert(Unit.__table__), inserted)
    for unit, row in changed:
        for key, value in row.fields().items():
            setattr(unit, key, value)
        unit.updated_at = at
    confirmations = []
    for row in reporting:
        unit_id, community = ids[row.credit_code], communities[row.community]
        report = live.get((unit_id, community.id))
        if report is not None and report.status == domain.CONFIRMED:
            continue
        if report is None:
            report = ReportIn(id=uuid.uuid4(), unit_id=unit_id, community_id=community.id,
                              requested_by=subject, requested_at=at, note="bulk import")
            session.add(report)
        report.status, report.decided_at, report.decided_by = domain.CONFIRMED, at, subject
        confirmations.append((report, row, community))
    session.flush()
    emit_many(scope, "unit_registered", UNIT_EVENT.dump(inserted, many=True))
    emit_many(scope, "unit_updated", UNIT_EVENT.dump([unit for unit, _ in changed], many=True))
    emit_many(scope, "unit_reported_in", REPORT_EVENT.dump([
        {"report_id": report.id, "unit_id": report.unit_id, "name": row.name, "kind": row.kind,
         "credit_code": row.credit_code, "community_id": community.id, "community_path": community.path,
         "status": report.status} for report, row, community in confirmations], many=True))
    return _summary(len(rows), len(inserted), len(changed), len(parsed) - len(inserted) - len(changed), kinds,
                    False, reported_in=len(confirmations))
