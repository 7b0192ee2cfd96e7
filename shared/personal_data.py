"""Personal data of one person (PIPL arts. 44–47): every service can export what it holds about a
person and erase it. The ``tenants`` service orchestrates a request (it fans out to every service
with the tenant admin's context and records each service's answer); this module is the service
side, mixed into every service by ``shared.service.GongjianService``:

    export_personal_data({"person_id": "<uuid>"})   @query, tenant admins (and system/operators)
      → {"service": "venues", "person_id": "<uuid>", "sections": {"bookings": [{…}, …], …}}
    erase_personal_data({"person_id": "<uuid>"})    @command, same permission, one transaction
      → {"service": "venues", "person_id": "<uuid>", "erased": {"bookings": 3, …}}

A person is known to services by the token subject ``person:<uuid>``. A service declares what it
holds with two functions ``(scope, subject) -> dict``:

    class VenuesService(GongjianService):
        personal_data = PersonalDataHooks(export=personal.export_person, erase=personal.erase_person)

Without hooks a service answers with empty sections (it holds nothing about people).

The contract every hook keeps
-----------------------------
- **Export reads only.** It returns ``{section: [row, …]}``, one section per kind of record, every
  section present even when empty. Rows may hold datetimes, dates, UUIDs and decimals:
  ``jsonable`` turns the whole answer into JSON (times ISO-8601 in UTC, UUIDs as strings, decimals
  as exact strings). Export what the person may see about themselves — not other people's
  identities beyond what the service already shows them.
- **Erasure anonymises, it does not delete.** Names become ``ERASED_NAME`` ("已注销用户", the
  placeholder tenants uses for an erased person), contact points (phones) and addresses the
  person gave become NULL, free text that is the person's own words about themselves (rating
  comments, their own cancellation reasons) becomes NULL. Ids, counts, times, statuses, ratings
  (the score), attendance and money stay, so statistics, scorecards, utilisation and balances
  add up exactly as before. The content of a public-service record (a case's description and
  place, an activity's purpose) stays: it is what others acted on, and once the link to the
  person is gone it no longer relates to an identified person (staff must redact a text that
  names someone by hand).
- **Subjects become a pseudonym.** Every column that holds the person's subject (reporter,
  booker, rated_by, actor, created_by, …) gets ``pseudonym()`` — ``erased:<32 hex>``, one fresh
  random value per erasure run, shared by all of that run's rows in the service. Why not keep
  ``person:<uuid>``: it would keep linking the person's records inside and across services (a
  profile), and ``person:`` subjects are parsed as person ids elsewhere. Why not one constant
  such as ``person:erased``: unique constraints include subject columns (a whistle response is
  rated once per rater), and two erased people must not collide; a per-run value also keeps the
  person's rows grouped (per-person counts stay right). The value is random, not derived from
  the person id, so it cannot be recomputed to re-identify them.
- **Idempotent.** Every update selects rows by the person's subject, which the first run replaced:
  a second run changes nothing and answers with the same sections, all 0. A run that failed
  rolled back completely (one transaction, committed by ``@command``), so the orchestrator may
  simply call again until every service has confirmed.

Besides the hooks, erasure cleans the service's platform copies for the tenant
(``scrub_platform``): delivered outbox events that name the person are deleted (they are only
kept 72 h for diagnosis), and a stored idempotency response that names the person is replaced by
``ERASED_RESPONSE`` (a retry with that key still changes nothing). Parked events (dead letters)
are left for the operator to replay or discard.

The export also carries the person's audit-trail rows under ``"audit"`` (``audit_section``,
once the service's tenant schema has an ``audit_log``). Erasure leaves the audit trail alone: it
holds ids and codes only, PostgreSQL refuses to change it, and it is kept as the record of who
did what (see shared/audit.py).
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal

from marshmallow import fields
from sqlalchemy import Text, and_, cast, delete, func, inspect, select, update

from shared import platform_tables
from shared.audit import entries_for_subject
from shared.caller import PERSON_PREFIX
from shared.endpoints import command, query
from shared.rpc import rpc
from shared.schemas import Input

PSEUDONYM_PREFIX = "erased:"
ERASED_NAME = "已注销用户"
ERASED_RESPONSE = {"personal_data": "erased"}
AUDIT_LIMIT = 10_000


class PersonRef(Input):
    """Payload of export_personal_data / erase_personal_data."""

    person_id = fields.UUID(required=True)


@dataclass(frozen=True)
class PersonalDataHooks:
    """What a service holds about people: ``export(scope, subject) -> {section: [rows]}`` and
    ``erase(scope, subject) -> {section: rows anonymised}``. None = holds nothing."""

    export: Callable | None = None
    erase: Callable | None = None


# -- plain helpers ------------------------------------------------------------------------------


def subject_of(person_id):
    """The token subject of a person: ``person:<uuid>``."""
    return f"{PERSON_PREFIX}{uuid.UUID(str(person_id))}"


def pseudonym():
    """A fresh subject that stands for an erased person: ``erased:<32 hex>`` (random)."""
    return f"{PSEUDONYM_PREFIX}{uuid.uuid4().hex}"


def is_pseudonym(subject):
    return isinstance(subject, str) and subject.startswith(PSEUDONYM_PREFIX)


def jsonable(value):
    """``value`` with every datetime, date, UUID, decimal, row and tuple made JSON-ready. Aware
    datetimes are given in UTC, like every answer of the platform."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "_mapping"):  # a SQLAlchemy Row
        return jsonable(dict(value._mapping))
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return str(value)


def row_dict(obj, exclude=()):
    """A mapped object's columns as a dict (generated columns such as PostGIS ``location`` and
    the names in ``exclude`` left out)."""
    mapper = inspect(obj).mapper
    data = {}
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if attribute.key in exclude or getattr(column, "computed", None) is not None:
            continue
        data[attribute.key] = getattr(obj, attribute.key)
    return data


def update_rows(session, model, condition, values):
    """``UPDATE model SET values WHERE condition``; the number of rows changed. Right-hand sides
    see the rows' old values, so one statement can test and replace the same column."""
    statement = update(model).where(condition).values(values).execution_options(synchronize_session=False)
    return session.execute(statement).rowcount


@dataclass(frozen=True)
class Reference:
    """A column that records who did something (``created_by``, ``decided_by`` …): exported as
    ``{"table", "key", "column", "at"}``, erased by putting the pseudonym in its place."""

    model: type
    column: str
    at: str | None = None  # the column that dates the act
    where: tuple = ()  # extra conditions (e.g. only when dispatched to a person)

    def condition(self, subject):
        return and_(getattr(self.model, self.column) == subject, *self.where)


def export_references(session, references, subject):
    rows = []
    for ref in references:
        table = ref.model.__table__
        keys = [c.key for c in table.primary_key.columns]
        at = getattr(ref.model, ref.at) if ref.at else None
        columns = [getattr(ref.model, k) for k in keys] + ([at] if at is not None else [])
        statement = select(*columns).where(ref.condition(subject))
        for row in session.execute(statement.order_by(*columns[:len(keys)])).all():
            rows.append({"table": table.name, "key": dict(zip(keys, row[:len(keys)], strict=True)),
                         "column": ref.column, "at": row[len(keys)] if at is not None else None})
    return rows


def erase_references(session, references, subject, alias):
    """Put ``alias`` in every reference column naming ``subject``; the number of values replaced."""
    return sum(update_rows(session, ref.model, ref.condition(subject), {ref.column: alias})
               for ref in references)


def _names(column, subject):
    """``column`` (JSONB) mentions ``subject`` as a JSON string."""
    return func.strpos(cast(column, Text), f'"{subject}"') > 0


def scrub_platform(session, tenant, subject):
    """The service's platform copies for this tenant: delivered outbox events naming the person
    are deleted; stored idempotency responses naming them become ERASED_RESPONSE."""
    outbox, keys = platform_tables.outbox, platform_tables.idempotency
    events = session.execute(delete(outbox).where(
        outbox.c.tenant == tenant, outbox.c.published_at.is_not(None), _names(outbox.c.payload, subject))).rowcount
    responses = session.execute(update(keys).where(
        keys.c.tenant == tenant, keys.c.response.is_not(None), _names(keys.c.response, subject),
    ).values(response=ERASED_RESPONSE)).rowcount
    return {"outbox_events": events, "idempotency_responses": responses}


def audit_section(scope, subject):
    """The person's audit-trail rows (``shared.audit.entries_for_subject``: ids and codes only,
    oldest first), or None while this tenant's schema has no ``audit_log`` yet (a service whose
    audit revision has not run). The one call site of the audit trail in the export."""
    session = scope.session
    if session.execute(select(func.to_regclass(f"{scope.tenant.schema}.audit_log"))).scalar() is None:
        return None
    return entries_for_subject(session, subject, limit=AUDIT_LIMIT)


# -- the RPCs every service has -----------------------------------------------------------------


def export_with(scope, hooks, person_id):
    """A service's export answer (the body of ``export_personal_data``)."""
    subject = subject_of(person_id)
    sections = dict(hooks.export(scope, subject)) if hooks.export is not None else {}
    audit = audit_section(scope, subject)
    if audit is not None:
        sections["audit"] = list(audit)
    return {"service": scope.service, "person_id": str(person_id), "sections": jsonable(sections)}


def erase_with(scope, hooks, person_id):
    """A service's erasure answer (the body of ``erase_personal_data``), in the caller's transaction."""
    subject = subject_of(person_id)
    erased = dict(hooks.erase(scope, subject)) if hooks.erase is not None else {}
    erased.update(scrub_platform(scope.session, scope.tenant_slug, subject))
    return {"service": scope.service, "person_id": str(person_id), "erased": erased}


def run_locally(scope, hooks, method, person_id):
    """``export_personal_data`` / ``erase_personal_data`` of the calling service itself, inside
    the current call (the orchestrating service answers its own part without an RPC to itself)."""
    return {"export_personal_data": export_with, "erase_personal_data": erase_with}[method](scope, hooks, person_id)


class PersonalData:
    """Mixed into every service by ``shared.service.GongjianService``."""

    personal_data = PersonalDataHooks()

    @rpc
    @query(PersonRef())
    def export_personal_data(self, scope, data):
        scope.caller.require_admin()
        return export_with(scope, self.personal_data, data["person_id"])

    @rpc
    @command(PersonRef())
    def erase_personal_data(self, scope, data):
        scope.caller.require_admin()
        return erase_with(scope, self.personal_data, data["person_id"])
