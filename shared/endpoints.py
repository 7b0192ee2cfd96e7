"""Endpoint decorators: the one place where an RPC is authenticated, bound to its tenant,
validated, run in a transaction and made idempotent.

    @rpc
    @command(schemas.CreateNode())
    def create_node(self, scope, data):
        return schemas.Node().dump(handlers.create_node(scope, data))

``command`` commits (and honours the ``idempotency_key`` context key); ``query`` never writes.
Each marks its wrapper so ``@rpc`` (shared.replies) knows how to reply: a query's reply and a
keyed command's go without publisher confirms, any other command's reply is confirmed.
The decorated function receives the ``CallScope`` and the loaded payload; the RPC's public
signature is the function's own minus ``scope``.

Every command is audited (shared.audit): a successful one appends its 'ok' row in its own
transaction, right before the commit; one that fails once its tenant is entered appends a row
with the error's code in a transaction of its own, after the rollback. Idempotent replays
append nothing.
"""

import functools
import inspect
import logging

import marshmallow
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared import audit, idempotency, replies
from shared.errors import Conflict, GongjianError, ValidationError

log = logging.getLogger(__name__)

RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
MAX_ATTEMPTS = 3


def command(schema=None, *, tenant=True, authenticated=True):
    return _endpoint(schema, tenant=tenant, authenticated=authenticated, write=True)


def query(schema=None, *, tenant=True, authenticated=True):
    return _endpoint(schema, tenant=tenant, authenticated=authenticated, write=False)


def load(schema, payload):
    """Validate a payload with a marshmallow schema, raising our ValidationError."""
    if not isinstance(payload, dict):
        raise ValidationError("payload must be an object", {"payload": ["must be an object"]})
    try:
        return schema.load(payload)
    except marshmallow.ValidationError as exc:
        raise ValidationError("invalid payload", exc.messages) from None


def _endpoint(schema, *, tenant, authenticated, write):
    def decorate(fn):
        signature = inspect.signature(fn)
        public = signature.replace(parameters=list(signature.parameters.values())[2:])

        @functools.wraps(fn)
        def wrapper(self, *args, **kwargs):
            scope = self.ctx
            scope.read_only = not write
            if authenticated:
                scope.caller  # noqa: B018 - verify the token before anything else
            if tenant:
                scope.enter_tenant(authenticated=authenticated)
            try:
                bound = public.bind(*args, **kwargs)
            except TypeError as exc:
                error = ValidationError("wrong arguments", {"_call": [str(exc)]})
                if write:
                    audit.record_failure(scope, fn.__name__, None, error, authenticated=authenticated)
                raise error from None
            bound.apply_defaults()
            call_args = list(bound.args)
            if schema is not None:
                try:
                    call_args[0] = load(schema, {} if call_args[0] is None else call_args[0])
                except ValidationError as error:
                    if write:
                        audit.record_failure(scope, fn.__name__, bound.arguments, error,
                                             authenticated=authenticated)
                    raise
            return _run(self, scope, fn, call_args, bound.kwargs, bound.arguments, write, authenticated)

        # How @rpc replies (shared.replies): a query's reply needs no publisher confirm.
        return replies.mark(wrapper, replies.COMMAND if write else replies.QUERY)

    return decorate


def _run(service, scope, fn, args, kwargs, raw_arguments, write, authenticated=True):
    key = scope.data.get("idempotency_key") if write else None
    rpc_name = fn.__name__
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            if key is not None:
                idempotency.claim(
                    scope.session,
                    scope.tenant_slug or "*",
                    rpc_name,
                    idempotency.check_key(key),
                    idempotency.request_hash(raw_arguments),
                )
            result = fn(service, scope, *args, **kwargs)
            if write:
                if key is not None:
                    idempotency.record(scope.session, scope.tenant_slug or "*", rpc_name, key, result)
                audit.record_success(scope, rpc_name, raw_arguments, result, authenticated)
                scope.commit()
            else:
                scope.rollback()
            return result
        except idempotency.Replay as replay:
            scope.rollback()
            return replay.response
        except GongjianError as exc:
            _failed(scope, rpc_name, raw_arguments, exc, write, authenticated)
            raise
        except IntegrityError as exc:
            error = _conflict_from(exc)
            _failed(scope, rpc_name, raw_arguments, error, write, authenticated)
            raise error from None
        except DBAPIError as exc:
            if isinstance(exc.orig, RETRYABLE) and attempt < MAX_ATTEMPTS:
                scope.reset()
                log.info("retrying %s after %s", rpc_name, type(exc.orig).__name__)
                continue
            if isinstance(exc.orig, RETRYABLE):
                error = Conflict("concurrent update; please retry", {})
                _failed(scope, rpc_name, raw_arguments, error, write, authenticated)
                raise error from None
            _failed(scope, rpc_name, raw_arguments, exc, write, authenticated)
            raise
        except Exception as exc:
            _failed(scope, rpc_name, raw_arguments, exc, write, authenticated)
            raise


def _failed(scope, method, arguments, error, write, authenticated):
    """Roll the attempt back; a command then appends its failure row (never an 'ok' one)."""
    pending = scope.audit_pending
    scope.reset()
    if write:
        audit.record_failure(scope, method, arguments, error, pending, authenticated)


def _conflict_from(exc):
    """Turn a constraint violation PostgreSQL caught into a Conflict naming the constraint."""
    diag = getattr(exc.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if isinstance(exc.orig, pg_errors.CheckViolation):
        return Conflict("check constraint violated", {"constraint": constraint})
    if isinstance(exc.orig, pg_errors.ForeignKeyViolation):
        return Conflict("referenced record does not exist or is still in use", {"constraint": constraint})
    if isinstance(exc.orig, pg_errors.ExclusionViolation):
        return Conflict("overlaps an existing record", {"constraint": constraint})
    if isinstance(exc.orig, pg_errors.NotNullViolation):
        return Conflict("required value missing", {"column": getattr(diag, "column_name", None)})
    return Conflict("already exists", {"constraint": constraint})
