"""The services that hold tenant data and take part in onboarding.

ALL_SERVICES is every service the tenants service listens to (each needs its pair of
provisioning-report handlers there). A new tenant becomes active once every installed service has
provisioned it (config ``PROVISIONED_SERVICES`` may narrow that, e.g. in tests).
"""

ALL_SERVICES = ("tenants", "organizations", "venues")


def service_class(name):
    """Import a service class by its name (services/<name>/service.py)."""
    import importlib

    module = importlib.import_module(f"services.{name}.service")
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "name", None) == name and hasattr(value, "ctx"):
            return value
    raise LookupError(f"no service class named {name!r}")


def installed_services():
    """Services of ALL_SERVICES whose code exists in this checkout, in dependency order."""
    from shared.config import REPO_ROOT

    return tuple(s for s in ALL_SERVICES if (REPO_ROOT / "services" / s / "service.py").exists())
