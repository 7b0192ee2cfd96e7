"""What every CLI command shares: an operator token, RPC clients, readable errors."""

import os
import sys
import time
from contextlib import contextmanager

import click

from shared.caller import ALL_TENANTS, PLATFORM_OPERATOR, Grant
from shared.config import resolve_path, setting
from shared.errors import GongjianError


def private_key(config):
    from shared.keys import load_private_key

    path = resolve_path(setting(config, "JWT_PRIVATE_KEY_FILE"))
    if not path.exists():
        raise click.ClickException(f"no signing key at {path}; run 'gongjian keys init'")
    return load_private_key(path)


def mint(config, tenant, grants, ttl=900, subject=None):
    from shared.tokens import issue_token

    return issue_token(
        private_key(config),
        subject=subject or f"operator:{os.environ.get('USER', 'cli')}",
        tenant=tenant,
        grants=grants,
        ttl=ttl,
        audience=setting(config, "JWT_AUDIENCE"),
        issuer=setting(config, "JWT_ISSUER"),
    )


def operator_token(config, ttl=900):
    return mint(config, ALL_TENANTS, [Grant(PLATFORM_OPERATOR)], ttl=ttl)


@contextmanager
def rpc(config, tenant=None, token=None, timeout=30):
    """A ClusterRpcProxy carrying tenant + token (an operator token unless one is given)."""
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    context = {"authorization": f"Bearer {token or operator_token(config)}"}
    if tenant:
        context["tenant"] = tenant
    proxy_config = {"AMQP_URI": setting(config, "AMQP_URI")}
    try:
        with ClusterRpcProxy(proxy_config, context_data=context, timeout=timeout) as proxy:
            yield proxy
    except GongjianError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    except UnknownService as exc:
        raise click.ClickException(f"service {exc} is not running (make start)") from None
    except RpcTimeout:
        raise click.ClickException("a service did not answer in time; is it running? (make start)") from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach RabbitMQ at {proxy_config['AMQP_URI']}: {exc}") from None


def progress(message, **fields):
    stamp = time.strftime("%H:%M:%S")
    extra = " ".join(f"{k}={v}" for k, v in fields.items())
    click.echo(f"[{stamp}] {message}{(' ' + extra) if extra else ''}", err=True)


def fail(message, code=1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
