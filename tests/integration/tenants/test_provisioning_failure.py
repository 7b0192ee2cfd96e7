"""A service that cannot provision a tenant leaves a visible failure, never a half-active tenant;
re-running onboarding after the cause is fixed activates it."""

import pytest
from sqlalchemy import create_engine, text

from services.tenants.service import TenantsService
from shared.config import database_url
from shared.testing.helpers import wait_for


@pytest.fixture
def tenants_db(start_services):
    config = start_services(TenantsService)
    engine = create_engine(database_url(config, "tenants"))
    yield config, engine
    engine.dispose()


def test_failure_is_visible_and_reprovisioning_recovers(tenants_db, operator):
    config, engine = tenants_db
    with engine.begin() as conn:  # something in the way of the first migration
        conn.execute(text('CREATE SCHEMA t_broken; CREATE TABLE t_broken.api_clients (x int)'))

    operator.tenants.create_tenant({"slug": "broken", "name": "坏", "division_code": "340700"})
    tenant = wait_for(
        lambda: (lambda t: t if t["provisioning"][0]["status"] == "failed" else None)(
            operator.tenants.get_tenant("broken")),
        message="provisioning failure")
    assert tenant["status"] == "provisioning"  # never active with a service missing
    assert "already exists" in tenant["provisioning"][0]["error"]
    parked = operator.tenants.list_dead_letters({"tenant": "broken"})["items"]
    assert [p["consumer"] for p in parked] == ["tenants.provision_tenant"]

    with engine.begin() as conn:
        conn.execute(text("DROP TABLE t_broken.api_clients"))
    operator.tenants.reprovision_tenant({"slug": "broken"})
    tenant = wait_for(
        lambda: (lambda t: t if t["status"] == "active" else None)(operator.tenants.get_tenant("broken")),
        message="activation after reprovisioning")
    assert tenant["provisioning"][0]["status"] == "provisioned"
    assert tenant["provisioning"][0]["error"] is None
