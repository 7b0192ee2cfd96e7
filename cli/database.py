"""``gongjian keys init``, ``gongjian db init`` and ``gongjian migrate``."""

import time

import click
from sqlalchemy import create_engine, select

from cli.common import progress
from shared import platform_tables
from shared.config import database_url, resolve_path, setting
from shared.services import installed_services, service_class
from shared.tenancy import DELETING, schema_for


@click.group("keys")
def keys():
    """Signing keys for tokens."""


@keys.command("init")
@click.option("--force", is_flag=True, help="replace existing keys (invalidates every token)")
@click.pass_obj
def keys_init(obj, force):
    """Create the Ed25519 key pair if missing."""
    from shared.keys import generate_keypair

    config = obj["config"]
    private = resolve_path(setting(config, "JWT_PRIVATE_KEY_FILE"))
    public = resolve_path(setting(config, "JWT_PUBLIC_KEY_FILE"))
    wrote = generate_keypair(private, public, overwrite=force)
    progress(("created" if wrote else "kept existing") + f" key pair {private.name}/{public.name}",
             dir=str(private.parent))
    ring_path = pii_ring_path(config)
    if ring_path.exists():
        progress(f"kept existing personal-data key ring {ring_path.name}")
    else:
        from shared.pii import new_ring, write_ring

        write_ring(new_ring(), ring_path)
        progress(f"created personal-data key ring {ring_path.name}", dir=str(ring_path.parent))


def pii_ring_path(config):
    return resolve_path(setting(config, "PII_KEYS_FILE"))


@keys.command("rotate-pii")
@click.pass_obj
def keys_rotate_pii(obj):
    """Add a new personal-data key and make it current. Then restart `tenants` and run
    'gongjian people reseal'; retire the old key only after that."""
    from shared.pii import load_ring, write_ring

    path = pii_ring_path(obj["config"])
    ring = load_ring(path=path).rotated()
    write_ring(ring, path)
    progress(f"personal-data key {ring.current} is now current", keys=",".join(sorted(ring.keys)))


@keys.command("retire-pii")
@click.argument("key_id")
@click.pass_obj
def keys_retire_pii(obj, key_id):
    """Drop an old personal-data key (only once 'gongjian people reseal' reports 0 remaining)."""
    from shared.pii import load_ring, write_ring

    path = pii_ring_path(obj["config"])
    ring = load_ring(path=path)
    if key_id not in ring.keys:
        raise click.ClickException(f"no key {key_id} in the ring")
    write_ring(ring.without(key_id), path)
    progress(f"personal-data key {key_id} retired", keys=",".join(sorted(k for k in ring.keys if k != key_id)))


@click.group("db")
def db():
    """Service databases."""


@db.command("init")
@click.pass_obj
def db_init(obj):
    """Create every service database with its extensions and platform schema (idempotent)."""
    from shared.dbadmin import prepare_service_database

    for service in installed_services():
        extra = getattr(service_class(service), "platform_metadata", ())
        prepare_service_database(obj["config"], service, extra)
        progress(f"database ready: {service}", url=database_url(obj["config"], service).split("@")[-1])


@click.command("migrate")
@click.option("--service", "services", multiple=True, help="only these services")
@click.option("--tenant", "tenants", multiple=True, help="only these tenants")
@click.pass_obj
def migrate(obj, services, tenants):
    """Upgrade every tenant schema of every service to head, one tenant per transaction.

    Safe to interrupt and re-run: tenants already at head are skipped."""
    from shared.migrations import current_revision, head_revision, upgrade_tenant

    failures = 0
    for service in services or installed_services():
        head = head_revision(service)
        engine = create_engine(database_url(obj["config"], service))
        try:
            with engine.connect() as conn:
                table = platform_tables.tenants
                statement = select(table.c.slug).where(table.c.status != DELETING).order_by(table.c.slug)
                if tenants:
                    statement = statement.where(table.c.slug.in_(tenants))
                slugs = conn.execute(statement).scalars().all()
            progress(f"{service}: {len(slugs)} tenant(s), head {head}")
            for index, slug in enumerate(slugs, start=1):
                started = time.monotonic()
                try:
                    with engine.begin() as conn:
                        before = current_revision(conn, schema_for(slug))
                        if before == head:
                            progress(f"  [{index}/{len(slugs)}] {slug}: at {head}")
                            continue
                        after = upgrade_tenant(conn, service, schema_for(slug))
                    progress(f"  [{index}/{len(slugs)}] {slug}: {before} → {after}",
                             seconds=round(time.monotonic() - started, 2))
                except Exception as exc:  # noqa: BLE001 - report and go on with the next tenant
                    failures += 1
                    progress(f"  [{index}/{len(slugs)}] {slug}: FAILED {exc!r}")
        finally:
            engine.dispose()
    if failures:
        raise click.ClickException(f"{failures} tenant migration(s) failed; fix and re-run")
