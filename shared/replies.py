"""Lean RPC replies: the ``rpc`` entrypoint every service uses (through ``shared.rpc.rpc``).

nameko's ``Responder`` builds a ``Publisher``, a kombu ``Connection`` and a pool lookup for every
reply, encodes the result twice (a trial ``dumps`` and the real one) and waits for a publisher
confirm. ``LeanRpc`` keeps nameko's wire format exactly (``{"result", "error"}`` body in the
request's serializer, ``correlation_id``, empty headers, nameko's error serialisation,
``UnserializableValueError``) but

- publishes through producers kept per container (``ReplyPublisher``): each producer has its own
  connection and is used by one green thread at a time, and is reused reply after reply;
- encodes once;
- decides per reply whether the broker must confirm it (``reply_needs_confirm``):

  ============================================  ===========  ======================
  reply of                                      confirmed    delivery mode
  ============================================  ===========  ======================
  a ``@query``                                  no           transient
  a ``@command`` carrying an idempotency key    no           transient
  a ``@command`` without one                    yes          persistent (as nameko)
  a call rejected before it ran (bad args)      no           transient
  an ``@rpc`` that is neither (unmarked)        yes          persistent (as nameko)
  ============================================  ===========  ======================

  A lost unconfirmed reply is a timeout at the caller; retrying a query or a keyed command is
  safe (the key replays the first result), so the confirm buys nothing there. A command
  without a key cannot be retried blindly, so its reply keeps the stock guarantee: the broker
  has it (on disk, in the durable reply queue) before the request is acked.

Connection loss: py-amqp reads pending frames before every publish, so a connection the broker
closed (restart, management API) is noticed at the next reply, which kombu's ``ensure`` then
republishes on a fresh connection (nameko's retry policy: 3 retries). A connection that dies
silently (no FIN/RST) can swallow one unconfirmed reply; the caller's timeout covers it.

Unlike nameko's ``Publisher`` (whose class-level ``transport_options`` dict is shared by every
publisher and mutated on every publish), every connection here gets a dict of its own, so the
confirm mode of one pool can never leak into another connection (e.g. the outbox relay's).
"""

import logging
import sys
from contextlib import contextmanager

from eventlet.semaphore import Semaphore
from kombu import Connection, Producer
from kombu.serialization import dumps
from kombu.serialization import registry as serializers
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_MAX_WORKERS,
    DEFAULT_RETRY_POLICY,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    MAX_WORKERS_CONFIG_KEY,
    NON_PERSISTENT,
    PERSISTENT,
)
from nameko.exceptions import UnserializableValueError, serialize
from nameko.extensions import SharedExtension
from nameko.rpc import Rpc, get_rpc_exchange

from shared.idempotency import MAX_KEY_LENGTH

log = logging.getLogger(__name__)

QUERY = "query"
COMMAND = "command"
KIND_ATTRIBUTE = "rpc_reply_kind"  # set on @query/@command wrappers by shared.endpoints
IDEMPOTENCY_KEY = "idempotency_key"  # context data; a key shared.idempotency rejects does not count


def mark(fn, kind):
    """Tell ``LeanRpc`` which reply policy ``fn`` needs (QUERY or COMMAND)."""
    setattr(fn, KIND_ATTRIBUTE, kind)
    return fn


def kind_of(fn):
    return getattr(fn, KIND_ATTRIBUTE, None)


def has_idempotency_key(context_data):
    key = (context_data or {}).get(IDEMPOTENCY_KEY)
    return isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH


def reply_needs_confirm(kind, context_data):
    """Whether the broker must confirm a reply (see the module's table)."""
    if kind == QUERY:
        return False
    if kind == COMMAND:
        return not has_idempotency_key(context_data)
    return True


class ProducerPool:
    """Up to ``limit`` producers, each on a connection of its own, handed to one green thread at
    a time (a py-amqp connection must not be written or read by two at once). Producers are
    made on first need and kept; one whose publish failed or was interrupted is dropped."""

    def __init__(self, connect, limit, retry_policy):
        self._connect = connect
        self._retry_policy = dict(retry_policy)
        self._idle = []
        self._open = set()
        self._slots = Semaphore(limit)
        self.created = 0

    @contextmanager
    def acquire(self):
        with self._slots:
            slot = self._idle.pop() if self._idle else self._new()
            try:
                yield slot
            except BaseException:
                self._drop(slot)
                raise
            self._idle.append(slot)

    def _new(self):
        connection = self._connect()
        producer = Producer(connection, auto_declare=False)
        publish = connection.ensure(producer, producer.publish, errback=_retrying, **self._retry_policy)
        slot = _Slot(connection, producer, publish)
        self._open.add(slot)
        self.created += 1
        return slot

    def _drop(self, slot):
        self._open.discard(slot)
        slot.connection.collect()  # no network: its state is unknown

    def connections(self):
        return [slot.connection for slot in self._open]

    def close(self):
        self._idle.clear()
        for slot in list(self._open):
            self._open.discard(slot)
            try:
                slot.connection.release()
            except Exception:  # noqa: BLE001 - closing anyway
                slot.connection.collect()


class _Slot:
    __slots__ = ("connection", "producer", "publish")

    def __init__(self, connection, producer, publish):
        self.connection = connection
        self.producer = producer
        self.publish = publish


def _retrying(exc, interval):
    log.warning("RPC reply publish failed (%s); reconnecting", exc)


class ReplyPublisher(SharedExtension):
    """One per container: a pool of unconfirmed and a pool of confirmed reply producers."""

    def setup(self):
        config = self.container.config
        self.exchange = get_rpc_exchange(config).name
        # Every worker replies at most once at a time; +1 for replies sent by the consumer
        # thread (calls rejected before a worker started).
        limit = int(config.get(MAX_WORKERS_CONFIG_KEY, DEFAULT_MAX_WORKERS)) + 1
        self.pools = {
            confirm: ProducerPool(self._connector(config, confirm), limit, DEFAULT_RETRY_POLICY)
            for confirm in (False, True)
        }

    @staticmethod
    def _connector(config, confirm):
        def connect():
            options = dict(DEFAULT_TRANSPORT_OPTIONS, confirm_publish=confirm)  # never shared
            return Connection(
                config[AMQP_URI_CONFIG_KEY],
                transport_options=options,
                ssl=config.get(AMQP_SSL_CONFIG_KEY),
                login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            )

        return connect

    def stop(self):
        for pool in self.pools.values():
            pool.close()

    def kill(self):
        self.stop()

    def reply(self, message, result, exc_info, confirm):
        """Send nameko's reply to ``message``; returns ``(result, exc_info)`` as nameko's
        Responder does (an unserialisable result becomes UnserializableValueError)."""
        error = serialize(exc_info[1]) if exc_info is not None else None
        serializer = serializers.type_to_name[message.properties["content_type"]]
        try:
            content_type, encoding, body = dumps({"result": result, "error": error}, serializer)
        except Exception:  # noqa: BLE001 - nameko's "disaster avoidance": answer with the error
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            result = None
            content_type, encoding, body = dumps({"result": None, "error": error}, serializer)
        with self.pools[confirm].acquire() as slot:
            slot.publish(
                body,
                exchange=self.exchange,
                routing_key=message.properties["reply_to"],
                correlation_id=message.properties.get("correlation_id"),
                content_type=content_type,
                content_encoding=encoding,
                headers={},
                delivery_mode=PERSISTENT if confirm else NON_PERSISTENT,
                priority=0,
            )
        return result, exc_info


class LeanRpc(Rpc):
    """nameko's ``Rpc`` entrypoint with replies sent by ``ReplyPublisher``. ``reply`` is QUERY,
    COMMAND or None (read from the method's ``@query``/``@command`` marker at setup)."""

    reply_publisher = ReplyPublisher()

    def __init__(self, reply=None, **kwargs):
        self.reply = reply
        super().__init__(**kwargs)

    def setup(self):
        if self.reply is None:
            self.reply = kind_of(getattr(self.container.service_cls, self.method_name, None))
        super().setup()

    def handle_message(self, body, message):
        # A call rejected before a worker runs (malformed, wrong arguments) changed nothing:
        # answer it here, unconfirmed, rather than through nameko's Responder.
        try:
            super().handle_message(body, message)
        except Exception:  # noqa: BLE001 - the caller gets the error, as with nameko
            self.reply_publisher.reply(message, None, sys.exc_info(), confirm=False)
            self.rpc_consumer.queue_consumer.ack_message(message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        confirm = reply_needs_confirm(self.reply, worker_ctx.context_data if worker_ctx else None)
        result, exc_info = self.reply_publisher.reply(message, result, exc_info, confirm)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


lean_rpc = LeanRpc.decorator
