"""Keyset pagination: lists return ``{"items": [...], "next_cursor": str | None}``."""

import base64
import json
import uuid
from datetime import date, datetime

from sqlalchemy import literal, or_, tuple_
from sqlalchemy.dialects.postgresql import UUID

from shared.errors import ValidationError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def encode_cursor(values):
    raw = json.dumps(list(values), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, size):
    """The key values a cursor carries, or a ValidationError when it was not ours."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]}) from None
    if not isinstance(values, list) or len(values) != size:
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]})
    return values


def page(rows, limit, key, dump):
    """Build a page from ``limit + 1`` fetched rows ordered by ``key(row)``."""
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [dump(row) for row in rows],
        "next_cursor": encode_cursor(key(rows[-1])) if more and rows else None,
    }


def keyset(statement, data, columns, desc_first=False):
    """Apply limit + cursor; ``columns`` is the ordered key, ascending (the first one descending
    with ``desc_first``, e.g. population ranked from the largest)."""
    order = [columns[0].desc() if desc_first else columns[0], *columns[1:]]
    statement = statement.order_by(*order).limit(data["limit"] + 1)
    if data.get("cursor"):
        values = [_cursor_value(raw, column) for raw, column in
                  zip(decode_cursor(data["cursor"], len(columns)), columns, strict=True)]
        if desc_first:
            first, rest = columns[0], columns[1:]
            statement = statement.where(or_(first < values[0], (first == values[0]) & (
                tuple_(*rest) > tuple_(*values[1:]))))
        else:
            statement = statement.where(tuple_(*columns) > tuple_(*values))
    return statement


def _cursor_value(raw, column):
    column_type = getattr(column, "type", None)
    try:
        python_type = uuid.UUID if isinstance(column_type, UUID) else column_type.python_type
    except (NotImplementedError, AttributeError):
        python_type = None
    try:
        if python_type is uuid.UUID:
            raw = uuid.UUID(str(raw))
        elif python_type is datetime:
            raw = datetime.fromisoformat(raw)
        elif python_type is date:
            raw = date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise ValidationError("invalid cursor", {"cursor": ["not a cursor from this list"]}) from None
    return literal(raw, type_=column_type)


def paged(rows, data, key, dump):
    """The page of a ``keyset`` query's rows for a list payload (``limit``, ``cursor``)."""
    return page(rows, data["limit"], key, dump)
