import json
import logging

from shared import logs


def test_json_lines_carry_tenant_and_call_id():
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "hello %s", "args": ("world",)})
    logs.bind(tenant="tongling", call_id="tenants.get_tenant.1")
    try:
        logs.ContextFilter().filter(record)
        entry = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.clear()
    assert entry["msg"] == "hello world"
    assert entry["tenant"] == "tongling"
    assert entry["call_id"] == "tenants.get_tenant.1"
    assert entry["level"] == "info"


def test_clear_forgets_the_context():
    logs.bind(tenant="a")
    logs.clear()
    assert logs.current() == {}
