"""Lean RPC replies (shared.replies) on a real broker: nameko's wire format, which replies the
broker confirms, lost replies and retries, and reconnection after the broker drops connections."""

import json
import re
import time
import types
import uuid

import pytest
import requests
from kombu import Connection, Exchange, Producer, Queue
from nameko.amqp.publish import Publisher
from nameko.exceptions import IncorrectSignature, RemoteError, RpcTimeout
from nameko.rpc import get_rpc_exchange
from nameko.rpc import rpc as nameko_rpc
from nameko.testing.services import get_extension

from services.tenants.service import TenantsService
from shared import replies
from shared.errors import EXPECTED_ERRORS, Conflict, ValidationError
from shared.replies import LeanRpc, ReplyPublisher
from shared.rpc import rpc
from shared.testing.helpers import wait_for
from tests.support.probe import ProbeService


class Unserialisable:
    pass


def read(self, value):
    return {"echo": value, "unicode": "铜陵"}


def write(self, value):
    return {"wrote": value}


def unmarked(self, value):
    return value


def refuse(self):
    raise Conflict("refused", {"count": 3, "none": None})


def crash(self):
    raise KeyError("boom")


def unserialisable(self):
    return Unserialisable()


METHODS = {read: replies.QUERY, write: replies.COMMAND, unmarked: None, refuse: replies.QUERY,
           crash: replies.QUERY, unserialisable: replies.QUERY}


def twin(name, decorate):
    """A service of plain methods (no database) behind ``decorate``: lean_twin answers through
    LeanRpc (shared.rpc.rpc), stock_twin through nameko's own rpc."""
    attributes = {"name": name}
    for fn, kind in METHODS.items():
        method = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__)
        if kind:
            replies.mark(method, kind)
        attributes[fn.__name__] = decorate(method)
    return type(name, (), attributes)


LeanTwin = twin("lean_twin", rpc)
StockTwin = twin("stock_twin", nameko_rpc(expected_exceptions=EXPECTED_ERRORS))


def raw_call(config, service, method, body, timeout=5):
    """Publish an RPC request by hand and return the reply message (properties and all)."""
    exchange = get_rpc_exchange(config)
    routing_key = uuid.uuid4().hex
    correlation_id = uuid.uuid4().hex
    with Connection(config["AMQP_URI"]) as conn:
        channel = conn.channel()
        queue = Queue(f"raw-reply-{routing_key}", exchange=exchange, routing_key=routing_key,
                      auto_delete=True)(channel)
        queue.declare()
        Producer(channel).publish(body, exchange=exchange, routing_key=f"{service}.{method}",
                                  reply_to=routing_key, correlation_id=correlation_id, serializer="json")
        message = wait_for(lambda: queue.get(no_ack=True), timeout=timeout, message="the reply")
        assert message.properties["correlation_id"] == correlation_id
        return message


def comparable(message):
    properties = dict(message.properties)
    properties.pop("correlation_id")
    body = message.body if isinstance(message.body, str) else message.body.decode()
    return properties, json.loads(re.sub(r" at 0x[0-9a-f]+", " at 0x…", body))  # object addresses


@pytest.fixture
def twins(container_factory, rabbit_config):
    for cls in (LeanTwin, StockTwin):
        container_factory(cls, rabbit_config).start()
    return rabbit_config


@pytest.mark.parametrize("method,body", [
    ("read", {"args": ["x"], "kwargs": {}}),
    ("write", {"args": [], "kwargs": {"value": 2}}),
    ("unmarked", {"args": [None], "kwargs": {}}),
    ("refuse", {"args": [], "kwargs": {}}),
    ("crash", {"args": [], "kwargs": {}}),
    ("unserialisable", {"args": [], "kwargs": {}}),
    ("read", {"args": [], "kwargs": {}}),  # wrong arguments: rejected before a worker runs
    ("read", {"kwargs": {}}),  # malformed request
    ("nonexistent", {"args": [], "kwargs": {}}),  # answered by nameko's RpcConsumer
])
def test_lean_replies_keep_namekos_wire_format(twins, method, body):
    lean = raw_call(twins, "lean_twin", method, body)
    stock = raw_call(twins, "stock_twin", method, body)
    (lean_properties, lean_body), (stock_properties, stock_body) = comparable(lean), comparable(stock)
    assert lean_body == stock_body
    assert set(lean_body) == {"result", "error"}
    persistent = method in ("write", "unmarked", "nonexistent")  # confirmed replies stay persistent
    assert lean_properties.pop("delivery_mode") == (2 if persistent else 1)
    assert stock_properties.pop("delivery_mode") == 2
    assert lean_properties == stock_properties
    assert lean.headers == stock.headers == {}


def test_errors_arrive_as_their_classes_with_details(twins, rpc_client):
    client = rpc_client()
    assert client.lean_twin.read("x") == {"echo": "x", "unicode": "铜陵"}
    with pytest.raises(Conflict) as refused:
        client.lean_twin.refuse()
    assert refused.value.details == {"count": 3, "none": None}
    with pytest.raises(RemoteError) as crashed:
        client.lean_twin.crash()
    assert crashed.value.exc_type == "KeyError"
    with pytest.raises(RemoteError) as unserialisable:
        client.lean_twin.unserialisable()
    assert unserialisable.value.exc_type == "UnserializableValueError"
    with pytest.raises(IncorrectSignature):
        client.lean_twin.read()
    assert client.lean_twin.read("still answering") == {"echo": "still answering", "unicode": "铜陵"}


def test_confirmed_only_where_a_lost_reply_could_not_be_retried():
    assert not replies.reply_needs_confirm(replies.QUERY, {})
    assert not replies.reply_needs_confirm(replies.QUERY, {"idempotency_key": "k"})
    assert replies.reply_needs_confirm(replies.COMMAND, {})
    assert replies.reply_needs_confirm(replies.COMMAND, {"idempotency_key": ""})  # rejected key
    assert replies.reply_needs_confirm(replies.COMMAND, {"idempotency_key": "k" * 201})
    assert replies.reply_needs_confirm(replies.COMMAND, {"idempotency_key": 7})
    assert not replies.reply_needs_confirm(replies.COMMAND, {"idempotency_key": "k"})
    assert replies.reply_needs_confirm(None, {})  # an @rpc that is neither: as nameko


# -- real endpoints --------------------------------------------------------------------------
@pytest.fixture
def container_factory(container_factory):
    """nameko's factory, remembering the containers (to look inside the probe's publisher)."""
    made = []

    def make(cls, config):
        container = container_factory(cls, config)
        made.append(container)
        return container

    make.containers = made
    return make


@pytest.fixture
def probe(start_services, container_factory, onboard):
    start_services(TenantsService, ProbeService)
    onboard("tongling")
    container = next(c for c in container_factory.containers if c.service_name == "probe")
    return container


def publisher_of(container):
    return get_extension(container, ReplyPublisher)


def created(container):
    pools = publisher_of(container).pools
    return {"unconfirmed": pools[False].created, "confirmed": pools[True].created}


def test_endpoints_declare_their_reply_kind_and_keep_expected_errors(probe):
    entrypoints = {e.method_name: e for e in probe.entrypoints if isinstance(e, LeanRpc)}
    assert entrypoints["count_notes"].reply == replies.QUERY
    assert entrypoints["write_note"].reply == replies.COMMAND
    assert entrypoints["health"].reply == replies.QUERY
    assert all(e.expected_exceptions == EXPECTED_ERRORS for e in entrypoints.values())


def test_query_and_command_replies_arrive_and_only_unkeyed_commands_are_confirmed(probe, rpc_client, tokens):
    admin = rpc_client("tongling", tokens.admin("tongling"))
    assert admin.probe.count_notes() == 0
    assert created(probe)["confirmed"] == 0  # onboarding and reads: queries only
    with pytest.raises(ValidationError) as wrong:
        admin.probe.count_notes("unexpected")
    assert "_call" in wrong.value.details
    assert created(probe)["confirmed"] == 0

    keyed = rpc_client("tongling", tokens.admin("tongling"), idempotency_key=uuid.uuid4().hex)
    assert keyed.probe.write_note({"body": "keyed"})["note"]
    assert created(probe)["confirmed"] == 0

    first = admin.probe.write_note({"body": "unkeyed"})
    assert first["note"]
    assert created(probe)["confirmed"] == 1
    with pytest.raises(Conflict) as refused:
        admin.probe.write_note({"body": "no", "fail": True})
    assert set(refused.value.details) == {"note"}
    assert admin.probe.count_notes() == 2
    # The producers are reused: one each for a caller that waits for every answer.
    assert created(probe) == {"unconfirmed": 1, "confirmed": 1}


def test_reply_connections_do_not_share_or_touch_namekos_transport_options(probe, rpc_client, tokens):
    before = dict(Publisher.transport_options)
    admin = rpc_client("tongling", tokens.admin("tongling"))
    admin.probe.count_notes()
    admin.probe.write_note({"body": "x"})
    assert Publisher.transport_options == before
    pools = publisher_of(probe).pools
    connections = pools[False].connections() + pools[True].connections()
    options = [c.transport_options for c in connections]
    assert len({id(o) for o in options}) == len(options) == 2
    assert [c.transport_options["confirm_publish"] for c in pools[True].connections()] == [True]
    assert [c.transport_options["confirm_publish"] for c in pools[False].connections()] == [False]


class ReplyQueue:
    """The caller's reply queue, unbound from the RPC exchange for a while: replies are lost."""

    def __init__(self, client):
        listener = client._proxy._reply_listener
        self.config = client.config
        self.name, self.routing_key = listener.queue.name, listener.routing_key
        self.exchange = Exchange(get_rpc_exchange(client.config).name)

    def unbind(self):
        with Connection(self.config["AMQP_URI"]) as conn:
            Queue(self.name, channel=conn.channel()).unbind_from(self.exchange, self.routing_key)

    def bind(self):
        with Connection(self.config["AMQP_URI"]) as conn:
            Queue(self.name, channel=conn.channel()).bind_to(self.exchange, self.routing_key)


def test_a_lost_query_reply_is_a_timeout_the_caller_can_retry(probe, rpc_client, tokens):
    admin = rpc_client("tongling", tokens.admin("tongling"), timeout=2)
    admin.probe.write_note({"body": "one"})
    replies_queue = ReplyQueue(admin)
    replies_queue.unbind()
    with pytest.raises(RpcTimeout):
        admin.probe.count_notes()
    replies_queue.bind()
    assert admin.probe.count_notes() == 1


def test_a_keyed_command_retried_after_a_lost_reply_changes_nothing(probe, rpc_client, tokens):
    key = uuid.uuid4().hex
    caller = rpc_client("tongling", tokens.admin("tongling"), timeout=2, idempotency_key=key)
    replies_queue = ReplyQueue(caller)
    replies_queue.unbind()
    with pytest.raises(RpcTimeout):
        caller.probe.write_note({"body": "once"})  # done, but the caller never hears of it
    replies_queue.bind()
    again = caller.probe.write_note({"body": "once"})
    assert caller.probe.write_note({"body": "once"}) == again  # the first result, every time
    assert caller.probe.count_notes() == 1
    assert created(probe)["confirmed"] == 0


def _close_via_management(rabbit_manager, connection):
    local = connection.connection.transport.sock.getsockname()
    remote = connection.connection.transport.sock.getpeername()
    name = f"{local[0]}:{local[1]} -> {remote[0]}:{remote[1]}"

    def closed():  # the management API knows a connection a few seconds after it opened
        try:
            rabbit_manager.delete_connection(name)
            return True
        except requests.HTTPError as exc:
            if exc.response.status_code != 404:
                raise
            return False

    wait_for(closed, timeout=30, interval=0.2, message=f"management API to close {name}")


def test_replies_keep_coming_after_the_broker_drops_the_reply_connections(probe, rpc_client, tokens,
                                                                           rabbit_manager):
    admin = rpc_client("tongling", tokens.admin("tongling"), timeout=5)
    admin.probe.count_notes()
    admin.probe.write_note({"body": "before"})
    pools = publisher_of(probe).pools
    dropped = pools[False].connections() + pools[True].connections()
    for connection in dropped:
        _close_via_management(rabbit_manager, connection)
    time.sleep(0.2)  # the broker's connection.close reaches the service's socket
    started = time.monotonic()
    assert admin.probe.count_notes() == 1  # noticed at the publish, republished on a new connection
    assert admin.probe.write_note({"body": "after"})["note"]
    assert admin.probe.count_notes() == 2
    assert time.monotonic() - started < 4  # no reply was lost to a caller's timeout
    assert all(c.connection is not None for c in pools[False].connections() + pools[True].connections())

    # A producer whose connection was closed under it reconnects too.
    for connection in pools[False].connections() + pools[True].connections():
        connection.connection.transport.sock.close()
    assert admin.probe.count_notes() == 2
    assert admin.probe.write_note({"body": "again"})["note"]
