"""psycopg's C build, kept green under eventlet: import this before any connection is made
(``shared.db`` imports it first; every service engine goes through ``shared.db``).

The problem. psycopg chooses its wait function once, when ``psycopg.waiting`` is imported. With
the C build (``psycopg[binary]`` / ``psycopg[c]``) it chooses ``wait_c``: a C loop that calls
``poll()`` itself, so a query blocks eventlet's hub until PostgreSQL answers. psycopg only
recognises gevent's monkey patch, not eventlet's. *Measured* here: 10 concurrent
``pg_sleep(0.3)`` take 3.0 s with ``wait_c`` and 0.30 s with ``wait_select``.

Why replacing one module attribute is enough (psycopg 3.3; re-check on upgrade). Every wait on
an open connection goes through ``Connection.wait()``, which looks up ``waiting.wait`` on the
module at each call (``from . import waiting`` in connection.py; cursors, copy, pipelines,
notifies and server cursors all call ``Connection.wait()``); no module binds the name at import
time. Connecting and cancelling go through ``waiting.wait_conn``, which is pure Python on
``waiting.DefaultSelector``. So setting ``psycopg.waiting.wait`` works whenever it happens, as
long as it is before the first query, and reaches every connection in the process, including
engines made with plain ``create_engine`` (tests, the benchmark harness).

Why ``wait_select``. eventlet's monkey patch replaces ``select.select`` with a green one that
registers the socket with the hub (epoll on Linux) and switches green threads while it waits, so
``wait_select``'s "no fd >= 1024" caveat (real ``select(2)``) does not apply. eventlet deletes
``select.poll`` and ``select.epoll``, so ``wait_poll``/``wait_epoll`` cannot work, and the
``selectors.DefaultSelector`` that ``wait_conn`` uses is ``SelectSelector`` (green through
``select.select``). The C build keeps its C parsing, adaptation and libpq bindings (~100 µs less
CPU per query than pure Python); only the wait loop is Python.

Why not the ``PSYCOPG_WAIT_FUNC`` environment variable: psycopg reads it only when
``psycopg.waiting`` is first imported, a deployment can forget it, and nothing would notice.

``require_green_wait()`` is the fail-closed check ``create_service_engine`` runs: it refuses to
start unless the wait function is ``wait_select`` (never the blocking ``wait_c``), ``select`` is
eventlet's green one, and connecting goes through ``SelectSelector``.
"""

import select
import selectors

import eventlet.green.select
import psycopg
from psycopg import waiting

GREEN_WAIT = waiting.wait_select


def use_green_wait():
    """Make every psycopg connection in this process wait through ``select.select`` (idempotent)."""
    waiting.wait = GREEN_WAIT


def require_green_wait():
    """Refuse (RuntimeError) unless psycopg's waits yield to eventlet's hub."""
    active = waiting.wait
    if active is getattr(waiting, "wait_c", None):
        raise RuntimeError(
            f"psycopg ({psycopg.pq.__impl__} build) waits with wait_c, which blocks eventlet's hub: "
            "import shared.green_psycopg before any connection (it sets psycopg.waiting.wait)"
        )
    if active is not GREEN_WAIT:
        raise RuntimeError(
            f"psycopg waits with {getattr(active, '__name__', active)!r}, not wait_select: "
            "only wait_select is known to stay green under eventlet"
        )
    if select.select is not eventlet.green.select.select:
        raise RuntimeError(
            "select is not eventlet's green select (eventlet.monkey_patch() did not run first): "
            "psycopg's wait_select would block the hub"
        )
    if waiting.DefaultSelector is not selectors.SelectSelector:
        raise RuntimeError(
            f"psycopg connects through {waiting.DefaultSelector.__name__}, not the green "
            "SelectSelector: psycopg was imported before eventlet.monkey_patch()"
        )


use_green_wait()
