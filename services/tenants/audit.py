"""``tenants.list_audit``: a tenant admin's view of the audit trail across every service.

Each service keeps its own rows (shared.audit) and answers ``audit_entries`` for its part; this
module asks every installed service at once (the tenants service answers its own part locally),
merges the pages newest first and hands out one cursor for the merged order
``(at DESC, service, id DESC)``. A service that does not answer in time is named in
``unavailable`` instead of failing the listing; its rows are then missing from that page.
"""

import logging
from datetime import datetime, timedelta, timezone

import eventlet
from marshmallow import fields, validate
from nameko.exceptions import RemoteError, UnknownService

from shared import audit
from shared.errors import Forbidden, GongjianError, Unauthenticated, ValidationError
from shared.pagination import decode_cursor, encode_cursor
from shared.services import installed_services

log = logging.getLogger(__name__)

FILTERS = ("subject", "object_id", "since", "until", "method", "outcome")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Errors that are the caller's, not a service's: they fail the listing instead of being skipped.
CALLER_ERRORS = (ValidationError, Forbidden, Unauthenticated)


class ListAudit(audit.AuditFilter):
    """``list_audit`` payload: the ``audit_entries`` filters plus ``service`` (one service only)."""

    service = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50))


def list_audit(scope, data, services):
    """``{"items": [...], "next_cursor": str | None, "unavailable": [service, ...]}``."""
    scope.caller.require_admin()
    names = installed_services()
    if data["service"] is not None:
        if data["service"] not in names:
            raise ValidationError("unknown service", {"service": [f"one of {', '.join(names)}"]})
        names = (data["service"],)
    position = _decode(data["cursor"])
    limit = data["limit"]
    wire = {key: _wire(data[key]) for key in FILTERS if data[key] is not None}

    def ask(name):
        payload = {**wire, "limit": limit, "cursor": _service_cursor(position, name)}
        if name == scope.service:
            loaded = {key: data[key] for key in FILTERS}
            return audit.list_entries(scope.session, {**loaded, "limit": limit, "cursor": payload["cursor"]})
        return services[name].audit_entries(payload)

    pile = eventlet.GreenPile(len(names))
    for name in names:
        pile.spawn(_answer, ask, name)
    items, more, unavailable = [], False, []
    for name, page in zip(names, pile, strict=True):
        if page is None:
            unavailable.append(name)
            continue
        items.extend(page["items"])
        more = more or page["next_cursor"] is not None
    items.sort(key=_order)
    more = more or len(items) > limit
    items = items[:limit]
    last = items[-1] if items else None
    return {
        "items": items,
        "next_cursor": encode_cursor([last["at"], last["service"], last["id"]]) if more and last else None,
        "unavailable": unavailable,
    }


def _answer(ask, name):
    """A service's page, or None when it cannot answer (down, too slow, tenant not there)."""
    try:
        return ask(name)
    except CALLER_ERRORS:
        raise
    except (GongjianError, UnknownService, RemoteError) as exc:
        log.warning("audit listing without %s: %s", name, exc)
        return None


def _order(item):
    """Newest first, then by service, then by id descending (the cursor's order)."""
    at = datetime.fromisoformat(item["at"])
    return (-((at - EPOCH) // timedelta(microseconds=1)), item["service"], -item["id"])


def _decode(cursor):
    if cursor is None:
        return None
    raw_at, service, row_id = decode_cursor(cursor, 3)
    try:
        at = datetime.fromisoformat(raw_at)
        row_id = int(row_id)
    except (TypeError, ValueError):
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]}) from None
    if at.tzinfo is None or not isinstance(service, str):
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]})
    return at, service, row_id


def _service_cursor(position, name):
    """One service's (at, id) cursor for "after ``position`` in the merged order": at the same
    instant, services sorting after the cursor's still owe all their rows, those before it none."""
    if position is None:
        return None
    at, service, row_id = position
    if name == service:
        return audit.encode_position(at, row_id)
    return audit.encode_position(at, audit.LAST_ID if name > service else 0)


def _wire(value):
    return value.isoformat() if isinstance(value, datetime) else value
