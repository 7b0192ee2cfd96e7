"""Helpers every handler module uses: loading rows by id, ltree filters, keyset pages, time."""

from datetime import timezone

from sqlalchemy import func, select

from shared import clock
from shared.errors import NotFound
from shared.pagination import keyset, paged  # noqa: F401 - re-exported: the handlers' toolbox
from shared.sql import as_uuid, ltree, within, within_any  # noqa: F401 - re-exported

DEFAULT_TIMEZONE = "Asia/Shanghai"


def load(session, model, object_id, label, lock=None, field=None):
    """The row with this id, or NotFound. ``lock``: "update" (FOR NO KEY UPDATE: we never change
    keys, and inserts referencing the row — their KEY SHARE locks — must not wait on us) or
    "share"."""
    statement = select(model).where(model.id == as_uuid(object_id, field or f"{label}_id"))
    if lock == "update":
        statement = statement.with_for_update(key_share=True)
    elif lock == "share":
        statement = statement.with_for_update(read=True)
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no such {label.replace('_', ' ')}", {f"{label}_id": str(object_id)})
    return row


def _room_key(room_id):
    return func.hashtextextended(f"venues.room.{room_id}", 0)


def lock_rooms(session, room_ids):
    """Serialise the transactions that write one room's bookings (transaction-level advisory
    locks, taken in a fixed order). The exclusion constraint alone keeps bookings apart, but two
    transactions inserting conflicting rows at once can each wait for the other's index entry —
    a deadlock PostgreSQL breaks only after ``deadlock_timeout`` (measured: p99 of a 10-way race
    2 s without the lock). Lock order everywhere: series row → room → booking rows."""
    for room_id in sorted({str(r) for r in room_ids}):
        session.execute(select(func.pg_advisory_xact_lock(_room_key(room_id))))


def try_lock_room(session, room_id):
    """The room's lock if nobody holds it (sweeps skip busy rooms and come back next time)."""
    return bool(session.execute(select(func.pg_try_advisory_xact_lock(_room_key(room_id)))).scalar())


def rewrite_path(path, old_prefix, new_prefix):
    """``path`` after its ancestor (or itself) at ``old_prefix`` moved to ``new_prefix``."""
    if path == old_prefix:
        return new_prefix
    if path.startswith(old_prefix + "."):
        return new_prefix + path[len(old_prefix):]
    return path


def now():
    return clock.now()


def utc_iso(moment):
    """Times in answers are ISO-8601 in UTC, like the Output schemas' (shared.schemas.UtcTime)."""
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def timezone_of(scope):
    return scope.tenant.timezone if scope.tenant is not None else DEFAULT_TIMEZONE

