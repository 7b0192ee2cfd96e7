"""Pytest fixtures for real RabbitMQ and PostgreSQL: a fresh vhost per test (nameko's
``rabbit_config``), fresh databases per test session, a throw-away signing key pair, tokens,
RPC clients and tenant onboarding through the real saga.

Enable with ``pytest_plugins = ["shared.testing.fixtures"]``; run under ``nameko test``.
"""

import os
import uuid

import pytest

from shared.testing.helpers import (
    RpcClient,
    TokenFactory,
    onboard_tenant,
)

KNOWN_SERVICES = ("tenants", "organizations", "venues")


@pytest.fixture(scope="session")
def gj_keys(tmp_path_factory):
    from shared.keys import generate_keypair, load_private_key

    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "jwt_private.pem", folder / "jwt_public.pem"
    generate_keypair(private, public)
    return {"private": private, "public": public, "private_key": load_private_key(private)}


@pytest.fixture(scope="session")
def gj_database_template():
    """One set of service databases per test session, dropped at the end."""
    from shared.dbadmin import create_database, drop_database

    host = os.environ.get("TEST_DATABASE_HOST", "postgresql+psycopg://postgres@127.0.0.1:5432")
    prefix = f"gjt_{uuid.uuid4().hex[:8]}"
    template = f"{host}/{prefix}_{{service}}"
    for service in KNOWN_SERVICES:
        create_database(template.format(service=service))
    yield template
    for service in KNOWN_SERVICES:
        drop_database(template.format(service=service))


@pytest.fixture
def gj_config(rabbit_config, gj_database_template, gj_keys):
    """A complete service config pointing at this test's vhost and this session's databases."""
    config = dict(rabbit_config)
    config.update(
        DATABASE_URL_TEMPLATE=gj_database_template,
        JWT_PUBLIC_KEY_FILE=str(gj_keys["public"]),
        JWT_PRIVATE_KEY_FILE=str(gj_keys["private"]),
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
    return config


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
