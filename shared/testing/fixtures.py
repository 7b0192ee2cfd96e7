"""Pytest fixtures for real RabbitMQ and PostgreSQL: a fresh vhost per test (nameko's
``rabbit_config``), fresh databases per test session, a throw-away signing key pair, tokens,
RPC clients and tenant onboarding through the real saga.

Enable with ``pytest_plugins = ["shared.testing.fixtures"]``; run under ``nameko test``.
"""

import os
import uuid

import pytest

from shared.services import ALL_SERVICES
from shared.testing.helpers import RpcClient, TokenFactory, onboard_tenant

# Test-only services built on the platform (tests/support) get databases too.
TEST_SERVICES = ("probe",)


@pytest.fixture(scope="session")
def gj_keys(tmp_path_factory):
    from shared.keys import generate_keypair, load_private_key

    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "jwt_private.pem", folder / "jwt_public.pem"
    generate_keypair(private, public)
    from shared.pii import new_ring, write_ring

    pii = folder / "pii.json"
    write_ring(new_ring(), pii)
    return {"private": private, "public": public, "private_key": load_private_key(private), "pii": pii}


@pytest.fixture(scope="session")
def gj_databases():
    """One set of service databases per test session (a random prefix), dropped at the end."""
    from shared.config import database_url
    from shared.dbadmin import create_database, drop_database

    settings = {
        "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"),
        "DATABASE_PREFIX": f"gjt_{uuid.uuid4().hex[:8]}",
    }
    for service in ALL_SERVICES + TEST_SERVICES:
        create_database(database_url(settings, service))
    yield settings
    for service in ALL_SERVICES + TEST_SERVICES:
        drop_database(database_url(settings, service))


@pytest.fixture
def gj_config(rabbit_config, gj_databases, gj_keys):
    """A complete service config pointing at this test's vhost and this session's databases,
    which are emptied after the test (every test starts with no tenants)."""
    config = dict(rabbit_config)
    config.update(
        **gj_databases,
        JWT_PUBLIC_KEY_FILE=str(gj_keys["public"]),
        JWT_PRIVATE_KEY_FILE=str(gj_keys["private"]),
        PII_KEYS_FILE=str(gj_keys["pii"]),
        JWT_AUDIENCE="gongjian",
        JWT_ISSUER="gongjian-tenants",
        TENANT_CACHE_TTL=0.2,
        WEB_SERVER_ADDRESS="127.0.0.1:0",
        EVENT_RETRY_DELAYS=[0.05, 0.1],
        OUTBOX_POLL_INTERVAL=0.2,
        DB_POOL_SIZE=10,
        max_workers=10,
        PROVISIONED_SERVICES=["tenants"],
    )
    yield config
    from shared.config import database_url
    from shared.dbadmin import empty_database

    for service in ALL_SERVICES + TEST_SERVICES:
        empty_database(database_url(gj_databases, service))


@pytest.fixture
def tokens(gj_keys):
    return TokenFactory(gj_keys["private_key"])


@pytest.fixture
def rpc_client(gj_config, tokens):
    """``rpc_client(tenant, token)`` → a ClusterRpcProxy-backed client; closed after the test."""
    clients = []

    def make(tenant=None, token=None, **context):
        client = RpcClient(gj_config, tenant=tenant, token=token, **context)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.stop()


@pytest.fixture
def operator(rpc_client, tokens):
    return rpc_client(token=tokens.operator())


@pytest.fixture
def onboard(operator):
    """``onboard("slug")`` creates a tenant through the saga and waits until it is active."""

    def make(slug=None, **fields):
        slug = slug or f"t{uuid.uuid4().hex[:10]}"
        return onboard_tenant(operator, slug, **fields)

    return make


@pytest.fixture
def clock():
    """The platform clock, reset after the test (see shared.clock)."""
    from shared import clock as platform_clock

    yield platform_clock
    platform_clock.reset()


@pytest.fixture
def start_services(container_factory, gj_config):
    """``start_services(OrganizationsService, ...)`` starts tenants plus the given services and
    makes onboarding wait for all of them. Returns the config they run with."""
    from services.tenants.service import TenantsService, provisioning_reports

    def start(*service_classes, **config_overrides):
        others = [c for c in service_classes if c.name != "tenants"]
        tenants = _tenants_listening_to([c.name for c in others if c.name not in ALL_SERVICES])
        gj_config["PROVISIONED_SERVICES"] = ["tenants"] + [c.name for c in others if hasattr(c, "ctx")]
        gj_config.update(config_overrides)
        for cls in [tenants] + others:
            container_factory(cls, gj_config).start()
        return gj_config

    def _tenants_listening_to(extra_services):
        """TenantsService plus provisioning-report handlers for test-only services."""
        if not extra_services:
            return TenantsService
        handlers = {}
        for name in extra_services:
            handlers[f"on_{name}_provisioned"], handlers[f"on_{name}_provisioning_failed"] = (
                provisioning_reports(name))
        return type("TenantsForTests", (TenantsService,), handlers)

    return start
