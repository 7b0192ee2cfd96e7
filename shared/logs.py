"""Structured (JSON-lines) logs that carry the tenant and call id of the worker that wrote them.

Under eventlet's monkey patch ``threading.local`` is per green thread, so each worker sees only
its own context.
"""

import json
import logging
import threading
import time

_context = threading.local()


def bind(**fields):
    """Attach fields (tenant, call_id, ...) to every log line of the current green thread."""
    current = dict(getattr(_context, "fields", {}))
    current.update({k: v for k, v in fields.items() if v is not None})
    _context.fields = current


def clear():
    _context.fields = {}


def current():
    return dict(getattr(_context, "fields", {}))


class ContextFilter(logging.Filter):
    def filter(self, record):
        for key, value in current().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, service/tenant/call_id and extras."""

    def format(self, record):
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(service=None, level="INFO"):
    """Set up JSON logs on stderr for processes started outside nameko's LOGGING config."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if service:
        bind(service=service)
