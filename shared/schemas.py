"""Marshmallow building blocks shared by every service's schemas."""

from datetime import timezone

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

# Fields only the server sets; a payload that carries one is refused by name (mass assignment).
SERVER_OWNED = frozenset(
    {"id", "tenant", "status", "created_at", "updated_at", "created_by", "updated_by", "path",
     "version", "revision"}
)


class Input(Schema):
    """Base of every RPC payload schema: unknown and server-owned fields are errors."""

    server_owned = SERVER_OWNED

    class Meta:
        unknown = RAISE

    def load(self, data, **kwargs):
        """Refuse server-owned fields by name, reported together with every other error."""
        owned = {}
        if isinstance(data, dict):
            owned = {k: ["is set by the server"] for k in data
                     if k in self.server_owned and k not in self.fields}
            data = {k: v for k, v in data.items() if k not in owned}
        try:
            result = super().load(data, **kwargs)
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            raise ValidationError({**messages, **owned}) from None
        if owned:
            raise ValidationError(owned)
        return result


class Output(Schema):
    """Base of result schemas (dump only)."""

    class Meta:
        unknown = EXCLUDE


class PageInput(Input):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(load_default=None, allow_none=True)


class LatLng(Input):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))


def aware_datetime(**kwargs):
    """An ISO-8601 datetime that must carry its offset (times are timestamptz)."""
    return fields.AwareDateTime(format="iso", **kwargs)


class EventEnvelope(Schema):
    """Fields every event payload carries; the rest is the event's own data."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    tenant = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    version = fields.Integer(required=True)


class Event(EventEnvelope):
    """Base for a specific event's schema (keeps the envelope fields, ignores additions)."""


# -- fields ------------------------------------------------------------------------------------


def Id(**kwargs):  # noqa: N802 - field factories read like field classes
    return fields.UUID(**kwargs)


class Text(fields.String):
    """A string with surrounding blanks removed; ``blank=False`` refuses an empty result."""

    def __init__(self, *args, blank=False, max_length=100, **kwargs):
        checks = [validate.Length(max=max_length)]
        if not blank:
            checks.append(validate.Length(min=1, error="may not be blank"))
        super().__init__(*args, validate=checks, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class UtcTime(fields.DateTime):
    """Every time a service answers with is ISO-8601 in UTC (``+00:00``), whatever offset the
    caller sent or the database session used."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


Time = UtcTime  # the short name result schemas use


def value(obj, key, default=None):
    """``obj[key]`` or ``obj.key``: Output schemas dump rows, models and dicts alike."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def location_of(obj):
    lat, lng = value(obj, "lat"), value(obj, "lng")
    return None if lat is None else {"lat": lat, "lng": lng}


def LocationOut():  # noqa: N802
    """``{"lat", "lng"}`` from an object's ``lat``/``lng`` columns (None when unplaced)."""
    return fields.Function(location_of)
