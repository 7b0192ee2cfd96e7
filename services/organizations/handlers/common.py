"""Helpers every handler module uses: loading rows by id, ltree filters, events, pages."""

from sqlalchemy import select

from services.organizations.domain import local_date
from shared import clock
from shared.errors import NotFound
from shared.pagination import keyset, paged  # noqa: F401 - re-exported: the handlers' toolbox
from shared.sql import as_uuid, ltree, within, within_any  # noqa: F401 - re-exported


def load(session, model, object_id, label, lock=None, field=None):
    """The row with this id, or NotFound. ``lock``: "update" or "share"."""
    statement = select(model).where(model.id == as_uuid(object_id, field or f"{label}_id"))
    if lock == "update":
        statement = statement.with_for_update()
    elif lock == "share":
        statement = statement.with_for_update(read=True)
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no such {label.replace('_', ' ')}", {f"{label}_id": str(object_id)})
    return row


def emit(scope, event_type, schema, obj, **extra):
    data = schema.dump(obj)
    data.update(extra)
    return scope.emit(event_type, data)


def now():
    return clock.now()


def today(scope):
    """Today's date in the tenant's time zone (by the platform clock)."""
    return local_date(clock.now(), scope.tenant.timezone if scope.tenant else "Asia/Shanghai")
