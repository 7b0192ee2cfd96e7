"""Consuming events reliably: ``@on_event`` = nameko ``event_handler`` + inbox + retries + parking.

    @on_event("organizations", "node_created", schema=schemas.NodeCreated())
    def on_node_created(self, scope, event):
        handlers.copy_node(scope.session, event)

The handler runs as the system identity of the event's tenant, in one transaction with the inbox
record of the event id: a duplicate delivery finds the record and changes nothing. A failing
handler is retried with backoff; after the last try the event is parked in
``platform.dead_letters`` (never silently dropped) where an operator can list and replay it.
Nameko acks the message only after the worker finishes, so a crash mid-handler means redelivery.
"""

import logging
from dataclasses import dataclass

import eventlet
import marshmallow
from nameko.events import SERVICE_POOL, event_handler
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared import platform_tables
from shared.config import setting
from shared.errors import GongjianError, NotFound
from shared.schemas import EventEnvelope

log = logging.getLogger(__name__)

inbox = platform_tables.inbox
dead_letters = platform_tables.dead_letters


@dataclass(frozen=True)
class HandlerSpec:
    fn: object
    source_service: str
    event_type: str
    schema: object
    tenant_scoped: bool
    on_parked: object

    @property
    def name(self):
        return self.fn.__name__


def on_event(source_service, event_type, *, schema=None, tenant_scoped=True, on_parked=None,
             handler_type=SERVICE_POOL):
    """Declare a reliable handler. ``tenant_scoped=False`` gives a session without a tenant
    schema (for handlers that create it); ``on_parked(service, scope, event, error)`` runs in its
    own transaction when the event is parked."""

    def decorate(fn):
        spec = HandlerSpec(fn, source_service, event_type, schema, tenant_scoped, on_parked)

        def handle(self, payload):
            return consume(self, spec, payload)

        handle.__name__ = fn.__name__
        handle.__qualname__ = fn.__qualname__
        handle.__doc__ = fn.__doc__
        handle.event_spec = spec
        return event_handler(source_service, event_type, handler_type=handler_type)(handle)

    return decorate


def consumer_name(service, spec):
    return f"{service.name}.{spec.name}"


def consume(service, spec, payload):
    """Deliver one message to a handler: parse, dedupe, run with retries, park on failure."""
    scope = service.ctx
    consumer = consumer_name(service, spec)
    try:
        event = parse(spec, payload)
    except marshmallow.ValidationError as exc:
        # A malformed message will never succeed: park it at once for an operator to inspect.
        park(scope, spec, consumer, payload, f"invalid event: {exc.messages}", attempts=1)
        return "parked"
    delays = [0.0] + list(setting(scope.context.container.config, "EVENT_RETRY_DELAYS"))
    error = None
    for attempt, delay in enumerate(delays, start=1):
        if delay:
            eventlet.sleep(delay)
        try:
            return run_once(service, spec, consumer, event)
        except Exception as exc:  # noqa: BLE001 - every failure is retried, then parked
            error = exc
            scope.reset()
            level = logging.WARNING if isinstance(exc, GongjianError) else logging.ERROR
            log.log(level, "handler %s failed (attempt %d/%d): %r", consumer, attempt, len(delays),
                    exc, exc_info=level == logging.ERROR)
    park(scope, spec, consumer, payload, repr(error), attempts=len(delays))
    if spec.on_parked is not None:
        try:
            scope.act_as_system(event["tenant"], tenant_scoped=False)
            spec.on_parked(service, scope, event, error)
            scope.commit()
        except Exception:  # noqa: BLE001 - parking already happened; report and move on
            scope.reset()
            log.exception("on_parked hook of %s failed", consumer)
    return "parked"


def parse(spec, payload):
    if not isinstance(payload, dict):
        raise marshmallow.ValidationError({"payload": ["must be an object"]})
    EventEnvelope().load(payload)
    if spec.schema is None:
        return payload
    event = spec.schema.load(payload)
    event.setdefault("tenant", payload["tenant"])
    event.setdefault("event_id", payload["event_id"])
    return event


def run_once(service, spec, consumer, event):
    """One attempt: inbox claim + handler effect in one transaction."""
    scope = service.ctx
    tenant = event["tenant"]
    event_id = str(event["event_id"])
    scope.act_as_system(tenant, tenant_scoped=spec.tenant_scoped)
    claimed = scope.session.execute(
        insert(inbox)
        .values(consumer=consumer, event_id=event_id, tenant=tenant)
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    ).first()
    if not claimed:
        scope.reset()
        log.info("duplicate event %s for %s skipped", event_id, consumer)
        return "duplicate"
    spec.fn(service, scope, event)
    scope.commit()
    return "handled"


def park(scope, spec, consumer, payload, error, attempts):
    payload = payload if isinstance(payload, dict) else {"raw": repr(payload)}
    values = dict(
        consumer=consumer,
        event_id=str(payload.get("event_id", "")),
        tenant=payload.get("tenant") if isinstance(payload.get("tenant"), str) else None,
        source_service=spec.source_service,
        event_type=spec.event_type,
        payload=payload,
        error=error[:4000],
        attempts=attempts,
    )
    session = scope.context.database.session()
    try:
        session.execute(
            insert(dead_letters)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["consumer", "event_id"],
                set_={"error": values["error"], "attempts": dead_letters.c.attempts + attempts,
                      "parked_at": func.now(), "replayed_at": None, "payload": values["payload"]},
            )
        )
        session.commit()
    finally:
        session.close()
    scope.context.metrics.events_parked.labels(scope.service, consumer).inc()
    log.error("event %s parked for %s: %s", values["event_id"], consumer, error)


def handler_specs(service_cls):
    """Every reliable handler a service class declares, by consumer method name."""
    specs = {}
    for name in dir(service_cls):
        spec = getattr(getattr(service_cls, name, None), "event_spec", None)
        if isinstance(spec, HandlerSpec):
            specs[name] = spec
    return specs


def replay(service, dead_letter_id):
    """Run a parked event through its handler once more. Returns the updated dead letter."""
    scope = service.ctx
    session = scope.context.database.session()
    try:
        row = session.execute(
            select(dead_letters).where(dead_letters.c.id == dead_letter_id)
        ).first()
    finally:
        session.close()
    if row is None:
        raise NotFound("no such dead letter", {"id": dead_letter_id})
    spec = handler_specs(type(service)).get(row.consumer.split(".", 1)[1])
    if spec is None:
        raise NotFound("the consumer of this dead letter no longer exists", {"consumer": row.consumer})
    try:
        outcome = run_once(service, spec, row.consumer, parse(spec, row.payload))
        error = None
    except Exception as exc:  # noqa: BLE001 - reported back to the operator
        scope.reset()
        outcome, error = "failed", repr(exc)
    session = scope.context.database.session()
    try:
        values = {"replayed_at": func.now()} if error is None else {
            "error": error[:4000], "attempts": dead_letters.c.attempts + 1}
        session.execute(update(dead_letters).where(dead_letters.c.id == row.id).values(**values))
        session.commit()
    finally:
        session.close()
    return {"id": row.id, "outcome": outcome, "error": error}
