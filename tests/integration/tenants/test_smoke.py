from services.tenants.service import TenantsService


def test_onboard(container_factory, gj_config, onboard, operator):
    container_factory(TenantsService, gj_config).start()
    tenant = onboard("tongling", name="铜陵市")
    assert tenant["status"] == "active"
    assert tenant["provisioning"][0]["status"] == "provisioned"
