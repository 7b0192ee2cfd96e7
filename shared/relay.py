"""The outbox relay: publishes committed outbox rows to RabbitMQ with publisher confirms, then
marks them sent. A crash between publish and mark re-publishes on restart; consumers' inboxes
absorb the duplicate. Replicas share the work with ``FOR UPDATE SKIP LOCKED``."""

import logging
import time

import eventlet
from eventlet.event import Event
from kombu import Exchange
from nameko.amqp.publish import Publisher
from sqlalchemy import delete, func, select, update

from shared import faults, platform_tables

log = logging.getLogger(__name__)

outbox = platform_tables.outbox
PRUNE_EVERY_SECONDS = 600
KEEP_PUBLISHED_HOURS = 72


def event_exchange(service):
    # Same exchange nameko's EventDispatcher and event_handler declare.
    return Exchange(f"{service}.events", type="topic", durable=True, delivery_mode=2)


class OutboxRelay:
    def __init__(self, engine, service, amqp_uri, *, batch_size, poll_interval, metrics=None):
        self.engine = engine
        self.service = service
        self.batch_size = int(batch_size)
        self.poll_interval = float(poll_interval)
        self.metrics = metrics
        self.exchange = event_exchange(service)
        self.publisher = Publisher(
            amqp_uri,
            use_confirms=True,
            serializer="json",
            delivery_mode=2,
            exchange=self.exchange,
            declare=[self.exchange],
            retry=True,
            retry_policy={"max_retries": 3, "interval_start": 0.1, "interval_step": 0.5},
        )
        self._wake = Event()
        self._running = False
        self._stopped = Event()
        self._last_prune = 0.0

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def run(self):
        self._running = True
        failures = 0
        try:
            while self._running:
                try:
                    sent = self.publish_pending()
                    failures = 0
                    self._maybe_prune()
                except Exception:
                    failures += 1
                    sent = 0
                    log.exception("outbox relay failed; retrying", extra={"service": self.service})
                if sent:
                    continue
                delay = self.poll_interval if not failures else min(5.0, 0.2 * 2**failures)
                with eventlet.Timeout(delay, False):
                    self._wake.wait()
                self._wake = Event()
        finally:
            self._stopped.send(True)

    def stop(self, timeout=10):
        if not self._running:
            return
        self._running = False
        self.wake()
        with eventlet.Timeout(timeout, False):
            self._stopped.wait()

    def publish_pending(self):
        """Publish one batch of unpublished events, oldest first. Returns how many were sent."""
        failure = None
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.event_type, outbox.c.tenant, outbox.c.payload,
                       outbox.c.call_id)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            sent = []
            for row in rows:
                try:
                    self.publisher.publish(
                        row.payload,
                        routing_key=row.event_type,
                        headers=self._headers(row),
                        message_id=row.payload["event_id"],
                    )
                except Exception as exc:  # broker down: keep the rest for the next round
                    failure = exc
                    conn.execute(
                        update(outbox).where(outbox.c.id == row.id)
                        .values(publish_attempts=outbox.c.publish_attempts + 1)
                    )
                    break
                sent.append(row.id)
            if sent:
                faults.point("relay.after_publish")
                conn.execute(
                    update(outbox).where(outbox.c.id.in_(sent)).values(published_at=func.now())
                )
        if sent and self.metrics is not None:
            self.metrics.events_published.labels(self.service).inc(len(sent))
        if failure is not None:
            raise failure
        return len(sent)

    def _headers(self, row):
        headers = {"nameko.tenant": row.tenant}
        if row.call_id:
            headers["nameko.call_id_stack"] = [row.call_id]
        return headers

    def _maybe_prune(self):
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY_SECONDS:
            return
        self._last_prune = now
        with self.engine.begin() as conn:
            conn.execute(
                delete(outbox).where(
                    outbox.c.published_at < func.now() - func.make_interval(0, 0, 0, 0, KEEP_PUBLISHED_HOURS)
                )
            )

    def backlog(self):
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
            ).one()
        if self.metrics is not None:
            self.metrics.outbox_backlog.labels(self.service).set(row[0])
        return {"unpublished": row[0], "oldest": row[1].isoformat() if row[1] else None}
