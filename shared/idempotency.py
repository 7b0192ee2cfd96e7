"""Idempotency keys: a retried create/command with the same ``idempotency_key`` (context data)
returns the first result and changes nothing.

The key row is inserted in the command's own transaction, so a concurrent retry waits on it and
then sees the committed answer; a failed first attempt leaves no key behind.
"""

import hashlib
import json

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from shared import platform_tables
from shared.errors import Conflict, ValidationError

table = platform_tables.idempotency
MAX_KEY_LENGTH = 200


def request_hash(args):
    return hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()


def check_key(key):
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            "invalid idempotency key", {"idempotency_key": [f"1 to {MAX_KEY_LENGTH} characters"]}
        )
    return key


class Replay(Exception):
    """The key was used before: ``response`` is the first call's result."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def claim(session, tenant, rpc, key, digest):
    """Reserve ``key`` for this call, or raise Replay with the earlier response."""
    inserted = session.execute(
        insert(table)
        .values(tenant=tenant, rpc=rpc, key=key, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(table.c.key)
    ).first()
    if inserted:
        return
    previous = session.execute(
        select(table.c.request_hash, table.c.response).where(
            table.c.tenant == tenant, table.c.rpc == rpc, table.c.key == key
        )
    ).one()
    if previous.request_hash != digest:
        raise Conflict("idempotency key was used with a different payload", {"idempotency_key": key})
    raise Replay(previous.response)


def record(session, tenant, rpc, key, response):
    session.execute(
        update(table)
        .where(table.c.tenant == tenant, table.c.rpc == rpc, table.c.key == key)
        .values(response=response)
    )
