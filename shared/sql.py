"""SQL building blocks every service's handlers use: ids from payloads, ltree filters."""

import uuid

from sqlalchemy import case, cast, false, func, or_

from shared.errors import ValidationError
from shared.types import Ltree


def as_uuid(value, field="id"):
    """``value`` as a UUID, or a ValidationError naming ``field`` (a malformed id is bad input,
    not a NotFound)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError("invalid id", {field: ["not a valid UUID"]}) from None


def ltree(path):
    return cast(path, Ltree())


def within(column, path):
    """``column <@ path``: the path is ``path`` or below it (GiST-indexed)."""
    return column.op("<@")(ltree(path))


def within_any(column, paths):
    """Inside one of ``paths`` (None = no restriction, [] = nowhere)."""
    if paths is None:
        return None
    if not paths:
        return false()
    return or_(*(within(column, p) for p in paths))


def rebased(column, old, new):
    """``column`` (at or below ``old``) moved under ``new``: the SET value of a subtree move."""
    return case((column == ltree(old), ltree(new)),
                else_=ltree(new).op("||")(func.subpath(column, func.nlevel(ltree(old)))))
