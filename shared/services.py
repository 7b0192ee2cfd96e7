"""The services that hold tenant data and take part in onboarding (add a new one here)."""

PROVISIONED_SERVICES = ("tenants",)
