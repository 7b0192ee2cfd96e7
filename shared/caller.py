"""Who is calling: the verified identity of a request and its territory-scoped roles.

A grant is a role, optionally narrowed to a territory subtree (an ltree path such as
``a1b2.c3d4``) or to one resident unit. Checks are made against the object being touched,
never only against the role name.
"""

from dataclasses import dataclass, field

from shared.errors import Forbidden

PLATFORM_OPERATOR = "platform_operator"
TENANT_ADMIN = "tenant_admin"
SYSTEM = "system"
PERSON_PREFIX = "person:"

ROLES = (
    PLATFORM_OPERATOR,  # runs the SaaS; may act on any tenant
    TENANT_ADMIN,  # district/city organisation department
    "street_secretary",
    "community_secretary",
    "grid_worker",
    "unit_liaison",  # acts for one resident unit (unit_id)
    "party_member",
    "volunteer",
    "social_org",
    "resident",
    SYSTEM,  # event handlers and internal jobs of a tenant
)

# Roles an API client may hold; operators and system identities are never delegated.
DELEGABLE_ROLES = tuple(r for r in ROLES if r not in (PLATFORM_OPERATOR, SYSTEM))

ALL_TENANTS = "*"

# Permissions beyond roles that an API client may hold: "delegate" lets an app sign its own users
# in and act for them (person tokens, first sign-in registration).
DELEGATE = "delegate"
PERMISSIONS = (DELEGATE,)


def path_within(path, scope):
    """True when ltree ``path`` equals ``scope`` or lies below it."""
    if scope is None:
        return True
    if path is None:
        return False
    return path == scope or path.startswith(scope + ".")


@dataclass(frozen=True)
class Grant:
    role: str
    scope: str | None = None  # territory path; None = whole tenant
    unit_id: str | None = None  # for unit_liaison

    def as_claim(self):
        claim = {"role": self.role}
        if self.scope:
            claim["scope"] = self.scope
        if self.unit_id:
            claim["unit_id"] = self.unit_id
        return claim

    @classmethod
    def from_claim(cls, claim):
        return cls(role=claim["role"], scope=claim.get("scope"), unit_id=claim.get("unit_id"))


@dataclass(frozen=True)
class Caller:
    subject: str
    tenant: str  # a slug, or "*" for platform operators
    grants: tuple = field(default_factory=tuple)
    token_id: str | None = None
    permissions: frozenset = frozenset()

    @property
    def person_id(self):
        """The person this caller is (``person:<uuid>`` subjects), else None."""
        return self.subject[len(PERSON_PREFIX):] if self.subject.startswith(PERSON_PREFIX) else None

    @property
    def can_delegate(self):
        return DELEGATE in self.permissions

    @classmethod
    def system(cls, tenant):
        return cls(subject="system", tenant=tenant, grants=(Grant(SYSTEM),))

    @property
    def roles(self):
        return {grant.role for grant in self.grants}

    @property
    def is_operator(self):
        return PLATFORM_OPERATOR in self.roles

    @property
    def is_admin(self):
        """Operators, tenant admins and the system act on the whole tenant."""
        return bool(self.roles & {PLATFORM_OPERATOR, TENANT_ADMIN, SYSTEM})

    def may_act_in(self, tenant):
        return self.tenant == tenant or (self.tenant == ALL_TENANTS and self.is_operator)

    def can(self, roles, path=None, unit_id=None):
        """May this caller act with one of ``roles`` on an object at ``path`` / of ``unit_id``?"""
        if self.is_admin:
            return True
        for grant in self.grants:
            if grant.role not in roles:
                continue
            if grant.unit_id is not None and grant.unit_id != unit_id:
                continue
            if path_within(path, grant.scope):
                return True
        return False

    def require(self, roles, path=None, unit_id=None):
        if not self.can(roles, path=path, unit_id=unit_id):
            raise Forbidden("not allowed for this caller", {"roles": sorted(self.roles)})
        return self

    def require_admin(self):
        if not self.is_admin:
            raise Forbidden("tenant administrators only", {"roles": sorted(self.roles)})
        return self

    def require_operator(self):
        if not self.is_operator:
            raise Forbidden("platform operators only", {"roles": sorted(self.roles)})
        return self

    def scopes(self, roles):
        """Territory paths this caller may act in with ``roles``; None means everywhere."""
        if self.is_admin:
            return None
        paths = [grant.scope for grant in self.grants if grant.role in roles]
        if any(path is None for path in paths):
            return None
        return paths
