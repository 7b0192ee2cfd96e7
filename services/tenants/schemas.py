"""Payloads and results of the tenants service."""

from marshmallow import ValidationError, fields, validate, validates

from services.tenants import domain
from shared.caller import DELEGABLE_ROLES
from shared.schemas import Input, Output, PageInput
from shared.tenancy import SLUG_PATTERN, SLUG_RULE, STATUSES


class CreateTenant(Input):
    slug = fields.String(required=True, validate=validate.Regexp(SLUG_PATTERN, error=SLUG_RULE))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    division_code = fields.String(required=True)
    timezone = fields.String(load_default="Asia/Shanghai")
    locale = fields.String(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))

    @validates("division_code")
    def check_division_code(self, value, **kwargs):
        problem = domain.division_code_problem(value)
        if problem:
            raise ValidationError(problem)

    @validates("timezone")
    def check_timezone(self, value, **kwargs):
        problem = domain.timezone_problem(value)
        if problem:
            raise ValidationError(problem)


class TenantRef(Input):
    slug = fields.String(required=True, validate=validate.Regexp(SLUG_PATTERN))


class SuspendTenant(TenantRef):
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class ListTenants(PageInput):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class GrantInput(Input):
    role = fields.String(required=True, validate=validate.OneOf(DELEGABLE_ROLES))
    scope = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"))
    unit_id = fields.UUID(load_default=None)


class CreateApiClient(Input):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    roles = fields.List(fields.Nested(GrantInput), required=True, validate=validate.Length(1, 20))


class ListApiClients(PageInput):
    pass


class ApiClientRef(Input):
    client_id = fields.UUID(required=True)


class IssueToken(Input):
    client_id = fields.UUID(required=True)
    client_secret = fields.String(required=True, validate=validate.Length(1, 200))
    ttl = fields.Integer(load_default=domain.DEFAULT_TOKEN_TTL, validate=validate.Range(60, domain.MAX_TOKEN_TTL))


class Provisioning(Output):
    service = fields.String()
    status = fields.String()
    schema_revision = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    updated_at = fields.DateTime(format="iso")


class Tenant(Output):
    slug = fields.String()
    name = fields.String()
    division_code = fields.String()
    timezone = fields.String()
    locale = fields.String()
    status = fields.String()
    revision = fields.Integer()
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    provisioning = fields.List(fields.Nested(Provisioning))


class ApiClient(Output):
    client_id = fields.String(attribute="id")
    name = fields.String()
    roles = fields.List(fields.Dict())
    created_by = fields.String()
    created_at = fields.DateTime(format="iso")
    revoked_at = fields.DateTime(format="iso", allow_none=True)
    last_used_at = fields.DateTime(format="iso", allow_none=True)

