"""Writing events: an outbox row in the same transaction as the change it announces."""

import uuid
from datetime import datetime, timezone

from sqlalchemy import insert

from shared import platform_tables

EVENT_VERSION = 1


def envelope(event_type, tenant, data, version=EVENT_VERSION):
    """The flat event payload every handler receives: envelope fields plus the event's data."""
    payload = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "tenant": tenant,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "version": version,
    }
    clash = set(payload) & set(data)
    if clash:
        raise ValueError(f"event data may not set envelope fields {sorted(clash)}")
    payload.update(data)
    return payload


def add_event(session, event_type, tenant, data, call_id=None):
    """Stage an event in the caller's transaction; the relay publishes it after commit."""
    payload = envelope(event_type, tenant, data)
    session.execute(
        insert(platform_tables.outbox).values(
            event_id=payload["event_id"],
            tenant=tenant,
            event_type=event_type,
            payload=payload,
            call_id=call_id,
        )
    )
    return payload
