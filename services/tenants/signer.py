"""The token signer: only the tenants service loads the private key."""

from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider

from shared.config import resolve_path, setting
from shared.keys import load_private_key
from shared.tokens import issue_token


class TokenSigner(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.private_key = load_private_key(resolve_path(setting(config, "JWT_PRIVATE_KEY_FILE")))
        self.audience = setting(config, "JWT_AUDIENCE")
        self.issuer = setting(config, "JWT_ISSUER")

    def sign(self, subject, tenant, grants, ttl, permissions=()):
        now = datetime.now(timezone.utc)
        token = issue_token(
            self.private_key, subject=subject, tenant=tenant, grants=grants, ttl=ttl,
            audience=self.audience, issuer=self.issuer, now=now.timestamp(), permissions=permissions,
        )
        return token, now.replace(microsecond=0) + timedelta(seconds=int(ttl))

    def get_dependency(self, worker_ctx):
        return self.sign
