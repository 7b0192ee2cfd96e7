"""The platform clock. Rules that depend on time (deadlines, no-shows, expiry) read ``now()``
so tests can freeze or advance it instead of sleeping."""

from datetime import datetime, timedelta, timezone

_offset = timedelta(0)
_frozen = None


def now():
    """Current time, timezone-aware (UTC)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc) + _offset


def freeze(at):
    """Stop the clock at ``at`` (aware datetime)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at


def advance(delta):
    """Move the clock forward (works frozen or running)."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset = _offset + delta


def reset():
    global _frozen, _offset
    _frozen, _offset = None, timedelta(0)
