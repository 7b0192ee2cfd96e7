"""Use cases of the tenants service: (scope, data) -> result. Transactions are committed by the
endpoint decorators; these functions only read and write through ``scope.session``."""

from datetime import datetime, timezone

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from services.tenants import domain, models
from services.tenants.person_tokens import authenticate_client
from shared import platform_tables
from shared.caller import Grant
from shared.errors import Conflict, NotFound
from shared.pagination import decode_cursor, page
from shared.sql import as_uuid
from shared.tenancy import PROVISIONING

tenants = platform_tables.tenants
provisioning = models.provisioning

STATUS_EVENTS = {"activate": "tenant_activated", "suspend": "tenant_suspended", "resume": "tenant_resumed"}


def lifecycle_event(row):
    """Data of tenant_created/activated/suspended/resumed (see shared.provisioning.TenantChanged)."""
    return {
        "name": row.name,
        "division_code": row.division_code,
        "timezone": row.timezone,
        "locale": row.locale,
        "status": row.status,
        "revision": row.revision,
    }


def _tenant_row(session, slug, lock=False):
    statement = select(tenants).where(tenants.c.slug == slug)
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).first()
    if row is None:
        raise NotFound("no such tenant", {"slug": slug})
    return row


def _tenant_view(session, row, with_provisioning=True):
    view = dict(row._mapping)
    if with_provisioning:
        view["provisioning"] = [
            dict(r._mapping)
            for r in session.execute(
                select(provisioning).where(provisioning.c.tenant == row.slug).order_by(provisioning.c.service)
            )
        ]
    return view


def create_tenant(scope, data, expected_services):
    scope.caller.require_operator()
    session = scope.session
    try:
        with session.begin_nested():
            session.execute(insert(tenants).values(**data, status=PROVISIONING, revision=1))
    except IntegrityError:
        raise Conflict("a tenant with this slug already exists", {"slug": data["slug"]}) from None
    session.execute(
        insert(provisioning),
        [{"tenant": data["slug"], "service": service, "status": domain.PROVISION_PENDING}
         for service in expected_services],
    )
    row = _tenant_row(session, data["slug"])
    scope.emit("tenant_created", lifecycle_event(row), tenant=row.slug)
    return _tenant_view(session, row)


def get_tenant(scope, slug):
    caller = scope.caller
    if not caller.may_act_in(slug):
        # Same answer as for a tenant that does not exist: no probing of other tenants' slugs.
        raise NotFound("no such tenant", {"slug": slug})
    row = _tenant_row(scope.session, slug)
    return _tenant_view(scope.session, row, with_provisioning=caller.is_admin)


def list_tenants(scope, data):
    scope.caller.require_operator()
    statement = select(tenants).order_by(tenants.c.slug).limit(data["limit"] + 1)
    if data["status"]:
        statement = statement.where(tenants.c.status == data["status"])
    if data["cursor"]:
        statement = statement.where(tenants.c.slug > decode_cursor(data["cursor"], 1)[0])
    rows = scope.session.execute(statement).all()
    return page(rows, data["limit"], lambda r: [r.slug], lambda r: _tenant_view(scope.session, r))


def change_status(scope, slug, action):
    scope.caller.require_operator()
    row = _tenant_row(scope.session, slug, lock=True)
    status = domain.next_status(row.status, action)
    row = scope.session.execute(
        update(tenants)
        .where(tenants.c.slug == slug)
        .values(status=status, revision=tenants.c.revision + 1, updated_at=func.now())
        .returning(*tenants.c)
    ).one()
    scope.emit(STATUS_EVENTS[action], lifecycle_event(row), tenant=slug)
    scope.after_commit(lambda: scope.context.registry.invalidate(slug))
    return _tenant_view(scope.session, row)


def record_provisioning(scope, report, succeeded, expected_services):
    """A service answered the onboarding saga; activate the tenant when all have succeeded."""
    session = scope.session
    slug = report["tenant"]
    row = session.execute(select(tenants).where(tenants.c.slug == slug).with_for_update()).first()
    if row is None:
        return None  # the tenant was never created here; nothing to track
    status = domain.PROVISION_DONE if succeeded else domain.PROVISION_FAILED
    values = {
        "tenant": slug,
        "service": report["service"],
        "status": status,
        "schema_revision": report.get("schema_revision"),
        "error": report.get("error"),
        "updated_at": report["occurred_at"],
    }
    statement = insert(provisioning).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant", "service"],
            set_={k: statement.excluded[k] for k in ("status", "schema_revision", "error", "updated_at")},
            # Reports can arrive out of order: the newest one wins.
            where=provisioning.c.updated_at <= statement.excluded.updated_at,
        )
    )
    done = session.execute(
        select(provisioning.c.service).where(
            provisioning.c.tenant == slug, provisioning.c.status == domain.PROVISION_DONE
        )
    ).scalars().all()
    if row.status == PROVISIONING and domain.onboarding_complete(expected_services, done):
        return _activate(scope, slug)
    return None


def _activate(scope, slug):
    row = scope.session.execute(
        update(tenants)
        .where(tenants.c.slug == slug)
        .values(status=domain.next_status(PROVISIONING, "activate"),
                revision=tenants.c.revision + 1, updated_at=func.now())
        .returning(*tenants.c)
    ).one()
    scope.emit("tenant_activated", lifecycle_event(row), tenant=slug)
    scope.after_commit(lambda: scope.context.registry.invalidate(slug))
    return row


def reprovision_tenant(scope, slug, expected_services):
    """Re-run onboarding in every service that has not succeeded (all of them when forced)."""
    scope.caller.require_operator()
    row = _tenant_row(scope.session, slug, lock=True)
    statement = insert(provisioning)
    scope.session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant", "service"],
            set_={"status": domain.PROVISION_PENDING, "error": None, "updated_at": func.now()},
            where=provisioning.c.status != domain.PROVISION_DONE,
        ),
        [{"tenant": slug, "service": s, "status": domain.PROVISION_PENDING} for s in expected_services],
    )
    scope.emit("tenant_created", lifecycle_event(row), tenant=slug)
    return _tenant_view(scope.session, row)


def create_api_client(scope, data):
    caller = scope.caller.require_admin()
    secret = domain.new_client_secret()
    client = models.ApiClient(
        name=data["name"],
        roles=[Grant(g["role"], g["scope"], str(g["unit_id"]) if g["unit_id"] else None).as_claim()
               for g in data["roles"]],
        secret_hash=domain.hash_secret(secret),
        permissions=sorted(set(data["permissions"])),
        created_by=caller.subject,
    )
    scope.session.add(client)
    try:
        scope.session.flush()
    except IntegrityError:
        raise Conflict("an active API client with this name exists", {"name": data["name"]}) from None
    scope.session.refresh(client)
    scope.emit("api_client_created", {"client_id": str(client.id), "name": client.name, "roles": client.roles,
                                      "permissions": client.permissions})
    return client, secret


def list_api_clients(scope, data):
    scope.caller.require_admin()
    statement = select(models.ApiClient).order_by(models.ApiClient.id).limit(data["limit"] + 1)
    if data["cursor"]:
        statement = statement.where(models.ApiClient.id > decode_cursor(data["cursor"], 1)[0])
    return scope.session.execute(statement).scalars().all()


API_CLIENT_BY_ID = select(models.ApiClient.__table__).where(
    models.ApiClient.__table__.c.id == bindparam("client_id")
)  # built once: statement construction costs more than the query on this hot read path


def get_api_client(scope, client_id):
    scope.caller.require_admin()
    client = scope.session.execute(API_CLIENT_BY_ID, {"client_id": as_uuid(client_id, "client_id")}).first()
    if client is None:
        raise NotFound("no such API client", {"client_id": str(client_id)})
    return client


def revoke_api_client(scope, client_id):
    scope.caller.require_admin()
    client = scope.session.get(models.ApiClient, client_id, with_for_update=True)
    if client is None:
        raise NotFound("no such API client", {"client_id": str(client_id)})
    if client.revoked_at is None:
        client.revoked_at = datetime.now(timezone.utc)
        scope.emit("api_client_revoked", {"client_id": str(client.id), "name": client.name})
    return client


def issue_token(scope, data, sign):
    """Client-credentials exchange: a valid id + secret of this tenant gets a short-lived token
    carrying the client's roles and permissions."""
    client = authenticate_client(scope, data)
    grants = [Grant.from_claim(claim) for claim in client.roles]
    token, expires_at = sign(f"client:{client.id}", scope.tenant_slug, grants, data["ttl"],
                             permissions=client.permissions or ())
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": data["ttl"],
        "expires_at": expires_at.isoformat(),
    }

