"""Helpers every handler module uses: loading rows by id, ltree filters, events, pages."""

import uuid
from datetime import date, datetime

from sqlalchemy import cast, false, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import UUID

from services.organizations.domain import local_date
from shared import clock
from shared.errors import NotFound, ValidationError
from shared.pagination import decode_cursor, page
from shared.types import Ltree


def as_uuid(value, field="id"):
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError("invalid id", {field: ["not a valid UUID"]}) from None


def load(session, model, object_id, label, lock=None, field=None):
    """The row with this id, or NotFound. ``lock``: "update" or "share"."""
    statement = select(model).where(model.id == as_uuid(object_id, field or f"{label}_id"))
    if lock == "update":
        statement = statement.with_for_update()
    elif lock == "share":
        statement = statement.with_for_update(read=True)
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no such {label.replace('_', ' ')}", {f"{label}_id": str(object_id)})
    return row


def ltree(path):
    return cast(path, Ltree())


def within(column, path):
    """``column <@ path``: the path is ``path`` or below it (GiST-indexed)."""
    return column.op("<@")(ltree(path))


def within_any(column, paths):
    """Inside one of ``paths`` (None = no restriction)."""
    if paths is None:
        return None
    if not paths:
        return false()
    return or_(*(within(column, p) for p in paths))


def emit(scope, event_type, schema, obj, **extra):
    data = schema.dump(obj)
    data.update(extra)
    return scope.emit(event_type, data)


def now():
    return clock.now()


def keyset(statement, data, columns):
    """Apply limit + cursor (``columns`` is the ordered key, all ascending)."""
    statement = statement.order_by(*columns).limit(data["limit"] + 1)
    if data.get("cursor"):
        values = [_cursor_value(raw, column) for raw, column in
                  zip(decode_cursor(data["cursor"], len(columns)), columns, strict=True)]
        statement = statement.where(tuple_(*columns) > tuple_(*values))
    return statement


def _cursor_value(raw, column):
    python_type = uuid.UUID if isinstance(column.type, UUID) else getattr(column.type, "python_type", None)
    try:
        if python_type is uuid.UUID:
            raw = uuid.UUID(str(raw))
        elif python_type is datetime:
            raw = datetime.fromisoformat(raw)
        elif python_type is date:
            raw = date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]}) from None
    return literal(raw, type_=column.type)


def paged(rows, data, key, dump):
    return page(rows, data["limit"], key, dump)


def today(scope):
    """Today's date in the tenant's time zone (by the platform clock)."""
    return local_date(clock.now(), scope.tenant.timezone if scope.tenant else "Asia/Shanghai")
