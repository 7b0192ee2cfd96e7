"""Helpers for the personal-data (PIPL) tests: a person's client, and a look at the raw rows of a
tenant's schema to prove what erasure left behind."""

import uuid

from sqlalchemy import MetaData, Table, create_engine, text

from shared import audit
from shared.config import database_url
from shared.tenancy import schema_for
from shared.testing.helpers import wait_for


def new_person():
    """A person id and its token subject."""
    person_id = str(uuid.uuid4())
    return person_id, f"person:{person_id}"


class RawRows:
    """Direct SQL on one service database (no service code in between)."""

    def __init__(self, config, service):
        self.engine = create_engine(database_url(config, service))

    def close(self):
        self.engine.dispose()

    def rows(self, slug, table, where="true", **params):
        """The rows as stored (UUIDs as strings, to compare with RPC answers)."""
        with self.engine.connect() as conn:
            result = conn.execute(text(f'SELECT * FROM "{schema_for(slug)}"."{table}" WHERE {where}'), params)
            return [{k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row._mapping.items()}
                    for row in result]

    def audit_row(self, slug, service, subject, method, *object_ids):
        """One audit-trail row for ``subject`` in the tenant's schema (the table is created as the
        services' audit revision would, where it is not there yet)."""
        table = Table("audit_log", MetaData(schema=schema_for(slug)), *audit.columns())
        table.create(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            return conn.execute(table.insert().values(
                service=service, method=method, subject=subject, object_ids=list(object_ids), outcome="ok",
            ).returning(table.c.id)).scalar()

    def wait_published(self, slug, timeout=20):
        """Until the relay has delivered every event the tenant's calls staged."""

        def delivered():
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT count(*) = 0 FROM platform.outbox WHERE tenant = :t "
                                         "AND published_at IS NULL"), {"t": slug}).scalar()

        wait_for(delivered, timeout=timeout, message=f"the outbox of {slug} to drain")

    def traces(self, slug, needle):
        """{table: rows} of every table of the tenant's schema whose row text contains ``needle``,
        plus the tenant's platform idempotency and delivered outbox rows. The audit trail is
        left out: it holds ids only, is append-only, and erasure keeps it (shared/audit.py)."""
        schema = schema_for(slug)
        found = {}
        with self.engine.connect() as conn:
            tables = conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
                "AND table_type = 'BASE TABLE' AND table_name NOT IN ('alembic_version', 'audit_log')"), {"s": schema}).scalars().all()
            for table in tables:
                count = conn.execute(text(f'SELECT count(*) FROM "{schema}"."{table}" AS r '
                                          "WHERE strpos(r::text, :n) > 0"), {"n": needle}).scalar()
                if count:
                    found[table] = count
            for table, extra in (("idempotency", "true"), ("outbox", "published_at IS NOT NULL")):
                count = conn.execute(text(f"SELECT count(*) FROM platform.{table} AS r WHERE r.tenant = :t "
                                          f"AND {extra} AND strpos(r::text, :n) > 0"),
                                     {"t": slug, "n": needle}).scalar()
                if count:
                    found[f"platform.{table}"] = count
        return found


def without_audit(sections):
    """The sections of an export other than the audit trail (kept by erasure)."""
    return {name: rows for name, rows in sections.items() if name != "audit"}
