"""Keyset pagination: lists return ``{"items": [...], "next_cursor": str | None}``."""

import base64
import json

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
