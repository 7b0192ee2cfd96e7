"""The stable error model every RPC speaks.

Integrators match on the class name (``RemoteError.exc_type`` for non-Python callers) or on
``code``; Python callers that import this module get the real exception back, because each class
is registered with nameko's deserialisation registry.

On the wire an error's ``exc_args`` are ``[message, details]`` with ``details`` as a JSON text:
nameko would otherwise turn every non-string value (numbers, null, booleans) into its str().
"""

import json

from nameko.exceptions import deserialize_to_instance


class GongjianError(Exception):
    """Base of all expected errors: a message and a dict of details."""

    code = "error"

    def __init__(self, message="", details=None):
        if isinstance(details, str):  # arriving from another service: decode the wire form
            details = json.loads(details)
        super().__init__(message, json.dumps(details or {}, ensure_ascii=False, default=str))
        self._details = details or {}

    @property
    def message(self):
        return self.args[0]

    @property
    def details(self):
        return self._details

    def __str__(self):
        if self.details:
            return f"{self.message} {self.details}"
        return self.message


@deserialize_to_instance
class ValidationError(GongjianError):
    """The payload is malformed; ``details`` maps field names to messages."""

    code = "validation_error"

    @property
    def fields(self):
        return self.details


@deserialize_to_instance
class NotFound(GongjianError):
    code = "not_found"


@deserialize_to_instance
class Conflict(GongjianError):
    """The request is valid but clashes with current state (a transition, a duplicate, a slot)."""

    code = "conflict"


@deserialize_to_instance
class Forbidden(GongjianError):
    code = "forbidden"


@deserialize_to_instance
class Unauthenticated(GongjianError):
    code = "unauthenticated"


@deserialize_to_instance
class TenantUnavailable(GongjianError):
    """The tenant is unknown, still provisioning or suspended."""

    code = "tenant_unavailable"


@deserialize_to_instance
class ServiceTimeout(GongjianError):
    """A service-to-service RPC did not answer in time."""

    code = "service_timeout"


EXPECTED_ERRORS = (
    ValidationError,
    NotFound,
    Conflict,
    Forbidden,
    Unauthenticated,
    TenantUnavailable,
    ServiceTimeout,
)
