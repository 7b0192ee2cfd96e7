"""Payloads and results of the tenants service."""

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from services.tenants import contacts, domain
from shared.caller import DELEGABLE_ROLES, PERMISSIONS
from shared.schemas import SERVER_OWNED, Event, Input, Output, PageInput, Text, Time
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


SCOPE_PATTERN = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"  # an ltree territory path


class GrantInput(Input):
    role = fields.String(required=True, validate=validate.OneOf(DELEGABLE_ROLES))
    scope = fields.String(load_default=None, validate=validate.Regexp(SCOPE_PATTERN))
    unit_id = fields.UUID(load_default=None)


class CreateApiClient(Input):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    roles = fields.List(fields.Nested(GrantInput), required=True, validate=validate.Length(1, 20))
    # "delegate": the client's app signs its own users in and obtains person tokens for them
    permissions = fields.List(fields.String(validate=validate.OneOf(PERMISSIONS)), load_default=list)


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
    permissions = fields.List(fields.String())
    created_by = fields.String()
    created_at = fields.DateTime(format="iso")
    revoked_at = fields.DateTime(format="iso", allow_none=True)
    last_used_at = fields.DateTime(format="iso", allow_none=True)



# -- people -----------------------------------------------------------------------------------

PERSON_SERVER_OWNED = SERVER_OWNED | {"roles", "grants", "home_path", "contacts", "erased_at",
                                      "deactivated_at", "person_id"}


class AddressField(fields.String):
    """A contact address, normalised on load (phones to E.164); the message says what is wrong."""

    def __init__(self, channel, **kwargs):
        super().__init__(**kwargs)
        self.channel = channel

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return contacts.normalise(self.channel, raw)
        except contacts.AddressError as exc:
            raise ValidationError(str(exc)) from None


class PersonFields(Input):
    server_owned = PERSON_SERVER_OWNED

    name = Text(max_length=100)
    phone = AddressField(contacts.SMS, load_default=None, allow_none=True)
    wechat_openid = AddressField(contacts.WECHAT, load_default=None, allow_none=True)
    email = AddressField(contacts.EMAIL, load_default=None, allow_none=True)
    home_node_id = fields.UUID(load_default=None, allow_none=True)


class RegisterPerson(PersonFields):
    name = Text(max_length=100, required=True)


class UpdatePerson(PersonFields):
    """Only the fields present change; ``null`` removes a contact address or the home node."""

    person_id = fields.UUID(required=True)
    server_owned = PERSON_SERVER_OWNED - {"person_id"}

    def load(self, data, **kwargs):
        loaded = super().load(data, **kwargs)
        present = set(data) if isinstance(data, dict) else set()
        return {key: value for key, value in loaded.items() if key in present}


class PersonRef(Input):
    person_id = fields.UUID(required=True)


class GetPerson(PersonRef):
    reveal = fields.Boolean(load_default=False)


class FindPerson(Input):
    phone = AddressField(contacts.SMS, load_default=None)
    wechat_openid = AddressField(contacts.WECHAT, load_default=None)
    email = AddressField(contacts.EMAIL, load_default=None)
    reveal = fields.Boolean(load_default=False)

    @validates_schema
    def exactly_one(self, data, **kwargs):
        given = [key for key in contacts.CHANNEL_OF_FIELD if data.get(key) is not None]
        if len(given) != 1:
            raise ValidationError("give exactly one of phone, wechat_openid, email", "_schema")


class ListPeople(PageInput):
    node_id = fields.UUID(load_default=None, allow_none=True)  # the subtree under this node
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DELEGABLE_ROLES))
    status = fields.String(load_default="active",
                           validate=validate.OneOf(["active", "deactivated", "erased", "any"]))


class RoleGrant(PersonRef):
    role = fields.String(required=True, validate=validate.OneOf(DELEGABLE_ROLES))
    scope = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(SCOPE_PATTERN))
    unit_id = fields.UUID(load_default=None, allow_none=True)


class IssuePersonToken(Input):
    client_id = fields.UUID(required=True)
    client_secret = fields.String(required=True, validate=validate.Length(1, 200))
    person_id = fields.UUID(load_default=None)
    phone = AddressField(contacts.SMS, load_default=None)
    wechat_openid = AddressField(contacts.WECHAT, load_default=None)
    ttl = fields.Integer(load_default=domain.DEFAULT_TOKEN_TTL, validate=validate.Range(60, domain.MAX_TOKEN_TTL))

    @validates_schema
    def exactly_one(self, data, **kwargs):
        given = [key for key in ("person_id", "phone", "wechat_openid") if data.get(key) is not None]
        if len(given) != 1:
            raise ValidationError("give exactly one of person_id, phone, wechat_openid", "_schema")


class SetConsent(PersonRef):
    channel = fields.String(required=True, validate=validate.OneOf(contacts.CHANNELS))
    consent = fields.String(required=True, validate=validate.OneOf(["given", "withdrawn"]))
    source = Text(required=True, max_length=100)  # e.g. "mini-program settings", "paper form"


class VerifyContact(PersonRef):
    channel = fields.String(required=True, validate=validate.OneOf(contacts.ADDRESSED_CHANNELS))


class ContactPointsQuery(Input):
    person_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(1, 500))
    channel = fields.String(load_default=None, validate=validate.OneOf(contacts.CHANNELS))
    consented_only = fields.Boolean(load_default=True)


class ResealContacts(Input):
    batch = fields.Integer(load_default=500, validate=validate.Range(1, 5000))


class Contact(Output):
    channel = fields.String()
    address = fields.String()  # the masked hint unless revealed
    verified = fields.Boolean()
    verified_at = Time(allow_none=True)
    consent = fields.String(allow_none=True)
    consent_at = Time(allow_none=True)
    consent_source = fields.String(allow_none=True)


class PersonGrant(Output):
    grant_id = fields.String(attribute="id")
    role = fields.String()
    scope = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    granted_by = fields.String()
    granted_at = Time()


class Person(Output):
    id = fields.String()
    name = fields.String()
    home_node_id = fields.String(allow_none=True)
    home_path = fields.String(allow_none=True)
    status = fields.String()
    phone = fields.String(allow_none=True)
    wechat_openid = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    contacts = fields.List(fields.Nested(Contact))
    roles = fields.List(fields.Nested(PersonGrant))
    created_by = fields.String()
    created_at = Time()
    updated_at = Time()
    deactivated_at = Time(allow_none=True)
    erased_at = Time(allow_none=True)


class DataRequest(Output):
    request_id = fields.String(attribute="id")
    kind = fields.String()
    person_id = fields.String()
    status = fields.String()
    services = fields.Dict()
    requested_by = fields.String()
    created_at = Time()
    updated_at = Time()
    completed_at = Time(allow_none=True)


class NodeMoved(Event):
    """organizations.node_moved: people's homes and role scopes below the node follow it."""

    node_id = fields.UUID(required=True)
    old_path = fields.String(required=True, validate=validate.Regexp(SCOPE_PATTERN))
    path = fields.String(required=True, validate=validate.Regexp(SCOPE_PATTERN))
