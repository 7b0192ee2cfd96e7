"""The audit trail: who did what to which objects, when, and how it ended — for every command RPC
of every service, in the same transaction as the change.

Each service keeps an append-only ``audit_log`` table in every tenant schema (one migration per
service calls ``create_audit_log()``) and ``platform.audit_log`` for commands outside any tenant
(``tenant=False``: create_tenant, suspend_tenant, …). ``shared.endpoints`` writes the rows; a
service's code only adds what the decorator cannot see:

    audit.note(scope, person_id)                       # more object ids for this call's row
    audit.note(scope, subject=f"client:{client.id}")   # who, on an authenticated=False endpoint
    audit.record_access(scope, "get_person", person_id, detail={"revealed": ["phone"]})

A row holds ids and codes only — subject id, role claims, object ids, the call id, the outcome
('ok' or the error's code) and a small ``detail`` — never names, phones or payload bodies.
PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the table (a trigger), so the trail cannot be
edited by a service, a bug or a careless operator with the service's credentials.
"""

import logging
import re
import uuid
from datetime import datetime, timezone

from marshmallow import fields, validate
from sqlalchemy import (
    BigInteger,
    MetaData,
    Table,
    insert,
    literal,
    select,
    text,
    tuple_,
)

from shared import platform_tables
from shared.errors import GongjianError, ValidationError
from shared.pagination import decode_cursor, encode_cursor
from shared.schemas import PageInput, aware_datetime

log = logging.getLogger(__name__)

OK = "ok"
ANONYMOUS = "anonymous"
MAX_OBJECT_IDS = 100  # a bulk command lists the first ones; the rest are in its own records
MAX_ID_LENGTH = 100
LAST_ID = 2**63 - 1  # larger than any bigserial id: "every row of that instant"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# The columns of both audit tables (fresh objects each call: a migration needs its own).
columns = platform_tables.audit_columns


# The tenant table: no schema, resolved to t_<slug> by the session (like every tenant table).
audit_log = Table("audit_log", MetaData(), *columns())
platform_audit_log = platform_tables.audit_log

# Built once: the decorator's only added cost per command is this one INSERT.
INSERT = insert(audit_log)
INSERT_PLATFORM = insert(platform_audit_log)


# -- migrations ----------------------------------------------------------------------------------

def create_audit_log():
    """The body of every service's audit revision (runs with search_path = the tenant schema)."""
    from alembic import op

    op.create_table("audit_log", *columns())
    op.create_index("audit_log_at", "audit_log", [text("at DESC"), text("id DESC")])
    op.create_index("audit_log_subject", "audit_log", ["subject", text("at DESC"), text("id DESC")])
    op.create_index("audit_log_object_ids", "audit_log", ["object_ids"], postgresql_using="gin")
    # Unqualified names land in the tenant schema (first on search_path); the trigger binds to it.
    for statement in platform_tables.append_only_ddl("audit_log", "audit_log_refuse_change"):
        op.execute(statement)


def drop_audit_log():
    from alembic import op

    op.drop_table("audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")


# -- what a handler adds to its call's row ---------------------------------------------------------

class Pending:
    """Object ids, detail and (unauthenticated endpoints) subject noted during one call."""

    __slots__ = ("object_ids", "detail", "subject")

    def __init__(self):
        self.object_ids = []
        self.detail = {}
        self.subject = None


def note(scope, *object_ids, subject=None, detail=None):
    """Add object ids / detail (ids and codes only, never personal data) to this call's audit
    row; ``subject`` names the caller of an ``authenticated=False`` endpoint (e.g. the token
    exchange: ``"client:<id>"``) and is ignored where the token already says who calls."""
    pending = scope.audit_pending
    if pending is None:
        pending = scope.audit_pending = Pending()
    pending.object_ids.extend(_id_text(value) for value in object_ids if value is not None)
    if detail:
        pending.detail.update(detail)
    if subject is not None:
        pending.subject = str(subject)


def record_access(scope, method, *object_ids, detail=None):
    """Audit a read (e.g. a @query revealing personal data): one row in its own short write
    transaction, committed before this returns. Raises when the row cannot be written, so the
    caller reveals nothing it could not audit (fail closed)."""
    if scope.tenant is None:
        raise RuntimeError("record_access needs a call bound to a tenant")
    values = _values(scope, method, True, OK, [_id_text(v) for v in object_ids if v is not None],
                     detail or {}, None)
    session = scope.context.database.session(scope.tenant.schema)
    try:
        session.execute(INSERT, values)
        session.commit()
    finally:
        session.close()


# -- what the endpoint decorators write ------------------------------------------------------------

def record_success(scope, method, arguments, result, authenticated=True):
    """The 'ok' row of a command, in the command's own session (commits with the change)."""
    pending = scope.audit_pending
    ids = object_ids(arguments, result, pending.object_ids if pending else ())
    detail = pending.detail if pending else {}
    if scope.tenant is not None:
        scope.session.execute(INSERT, _values(scope, method, authenticated, OK, ids, detail, pending))
    else:
        values = _values(scope, method, authenticated, OK, ids, detail, pending)
        values["tenant"] = scope.tenant_slug or _platform_tenant(arguments, result)
        scope.session.execute(INSERT_PLATFORM, values)


def record_failure(scope, method, arguments, error, pending=None, authenticated=True):
    """The row of a command that failed, in a transaction of its own (the command's was rolled
    back). Best effort: a failure to write it is logged, never raised over the command's error."""
    outcome = error.code if isinstance(error, GongjianError) else "error"
    ids = object_ids(arguments, None, pending.object_ids if pending else ())
    try:
        values = _values(scope, method, authenticated, outcome, ids,
                         pending.detail if pending else {}, pending)
        if scope.tenant is not None:
            statement, schema = INSERT, scope.tenant.schema
        else:
            statement, schema = INSERT_PLATFORM, None
            values["tenant"] = scope.tenant_slug or _platform_tenant(arguments, None)
        session = scope.context.database.session(schema)
        try:
            session.execute(statement, values)
            session.commit()
        finally:
            session.close()
    except Exception:  # noqa: BLE001 - the command's own error is what the caller must see
        log.exception("could not audit the failure of %s", method)


def _values(scope, method, authenticated, outcome, ids, detail, pending):
    if authenticated:
        caller = scope.caller
        subject, roles = caller.subject, [grant.as_claim() for grant in caller.grants]
    else:
        subject, roles = (pending.subject if pending and pending.subject else ANONYMOUS), []
    return {
        "service": scope.service,
        "method": method,
        "subject": subject,
        "roles": roles,
        "object_ids": ids,
        "call_id": scope.call_id,
        "outcome": outcome,
        "detail": detail,
    }


# -- object ids ------------------------------------------------------------------------------------

def is_id_key(key):
    return isinstance(key, str) and (key == "id" or key.endswith("_id") or key.endswith("_ids"))


def object_ids(arguments, result=None, noted=()):
    """The ids a call touched: UUID-looking values of ``id`` / ``*_id`` / ``*_ids`` arguments
    (bare, in the payload and one level below it), of the result's top-level keys, and the
    ids noted by the handler; canonical lower-case, in order, without repeats, at most
    MAX_OBJECT_IDS."""
    found = []
    for name, value in (arguments or {}).items():
        if is_id_key(name):
            _collect(found, value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if is_id_key(key):
                    _collect(found, inner)
                elif isinstance(inner, dict):
                    for deep_key, deep in inner.items():
                        if is_id_key(deep_key):
                            _collect(found, deep)
    if isinstance(result, dict):
        for key, value in result.items():
            if is_id_key(key):
                _collect(found, value)
    found.extend(noted)
    unique = list(dict.fromkeys(found))
    return unique[:MAX_OBJECT_IDS]


def _collect(found, value):
    if isinstance(value, (list, tuple)):
        for item in value[:MAX_OBJECT_IDS]:
            _collect_one(found, item)
    else:
        _collect_one(found, value)


def _collect_one(found, value):
    if isinstance(value, uuid.UUID):
        found.append(str(value))
    elif isinstance(value, str) and len(value) == 36 and _UUID.match(value):
        found.append(value.lower())


def _id_text(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    value = str(value)[:MAX_ID_LENGTH]
    return value.lower() if _UUID.match(value) else value


def _platform_tenant(arguments, result):
    """The tenant a platform command was about: its ``slug`` argument or result."""
    for name, value in (arguments or {}).items():
        if name == "slug" and isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("slug"), str):
            return value["slug"]
    if isinstance(result, dict) and isinstance(result.get("slug"), str):
        return result["slug"]
    return None


# -- reading ---------------------------------------------------------------------------------------

class AuditFilter(PageInput):
    """Filters of a service's ``audit_entries`` (newest first; ``since`` inclusive, ``until``
    exclusive)."""

    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200))
    object_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, MAX_ID_LENGTH))
    since = aware_datetime(load_default=None, allow_none=True)
    until = aware_datetime(load_default=None, allow_none=True)
    method = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50))


def entry(row):
    """One row as JSON-ready data."""
    return {
        "id": row.id,
        "at": row.at.astimezone(timezone.utc).isoformat(),
        "service": row.service,
        "method": row.method,
        "subject": row.subject,
        "roles": row.roles,
        "object_ids": list(row.object_ids),
        "call_id": row.call_id,
        "outcome": row.outcome,
        "detail": row.detail,
    }


def encode_position(at, row_id):
    """A cursor for ``list_entries``: rows strictly older than (at, id) come next."""
    return encode_cursor([at.astimezone(timezone.utc).isoformat(), int(row_id)])


def decode_position(cursor):
    raw_at, raw_id = decode_cursor(cursor, 2)
    try:
        at = datetime.fromisoformat(raw_at)
        row_id = int(raw_id)
    except (TypeError, ValueError):
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]}) from None
    if at.tzinfo is None:
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]})
    return at, row_id


def filtered(statement, table, data):
    """Apply the AuditFilter fields (all optional) to a select over ``table``."""
    if data.get("subject"):
        statement = statement.where(table.c.subject == data["subject"])
    if data.get("object_id"):
        statement = statement.where(table.c.object_ids.contains([_id_text(data["object_id"])]))
    if data.get("since"):
        statement = statement.where(table.c.at >= data["since"])
    if data.get("until"):
        statement = statement.where(table.c.at < data["until"])
    if data.get("method"):
        statement = statement.where(table.c.method == data["method"])
    if data.get("outcome"):
        statement = statement.where(table.c.outcome == data["outcome"])
    return statement


def list_entries(session, data, table=audit_log):
    """A page of audit rows, newest first (keyset on (at, id)): ``{"items", "next_cursor"}``."""
    limit = data.get("limit") or 50
    statement = filtered(select(table), table, data)
    if data.get("cursor"):
        at, row_id = decode_position(data["cursor"])
        statement = statement.where(tuple_(table.c.at, table.c.id) < tuple_(
            literal(at, type_=table.c.at.type), literal(row_id, type_=BigInteger())))
    statement = statement.order_by(table.c.at.desc(), table.c.id.desc()).limit(limit + 1)
    rows = session.execute(statement).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [entry(row) for row in rows],
        "next_cursor": encode_position(rows[-1].at, rows[-1].id) if more and rows else None,
    }


def entries_for_subject(session, subject, limit=10000):
    """Everything ``subject`` did in this service's tenant schema, oldest first (personal-data
    export): a list of JSON-ready dicts."""
    rows = session.execute(
        select(audit_log).where(audit_log.c.subject == subject)
        .order_by(audit_log.c.at, audit_log.c.id).limit(limit)
    ).all()
    return [entry(row) for row in rows]
