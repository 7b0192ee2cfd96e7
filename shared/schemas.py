"""Marshmallow building blocks shared by every service's schemas."""

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
