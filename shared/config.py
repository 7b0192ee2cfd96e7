"""One nameko ``config.yaml`` with ``${ENV:default}`` placeholders, read the same way by services,
the CLI, tests and benchmarks."""

import os
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = REPO_ROOT / "deploy" / "config.yaml"

DEFAULTS = {
    "AMQP_URI": "amqp://guest:guest@localhost:5672/",
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432",
    "DATABASE_PREFIX": "gongjian",
    "DB_POOL_SIZE": 10,
    "JWT_PUBLIC_KEY_FILE": "var/keys/jwt_public.pem",
    "JWT_PRIVATE_KEY_FILE": "var/keys/jwt_private.pem",
    "PII_KEYS_FILE": "var/keys/pii.json",
    "JWT_AUDIENCE": "gongjian",
    "JWT_ISSUER": "gongjian-tenants",
    "TENANT_CACHE_TTL": 2.0,
    "RPC_TIMEOUT": 10.0,
    "OUTBOX_POLL_INTERVAL": 0.5,
    "OUTBOX_BATCH_SIZE": 200,
    "EVENT_RETRY_DELAYS": [0.2, 1.0, 3.0],
}


def load_config(path=None):
    """Load a config file, expanding ``${VAR:default}`` from the environment."""
    setup_yaml_parser()
    path = Path(path or os.environ.get("GONGJIAN_CONFIG", DEFAULT_CONFIG_FILE))
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def setting(config, key):
    """A config value with the platform default when the file leaves it out."""
    value = config.get(key)
    return DEFAULTS.get(key) if value is None else value


def resolve_path(value):
    """Relative file settings are relative to the repository, so services and CLI agree."""
    path = Path(value)
    return path if path.is_absolute() else REPO_ROOT / path


def database_url(config, service):
    """Each service owns one database, ``<DATABASE_PREFIX>_<service>`` on ``DATABASE_URL``."""
    server = str(setting(config, "DATABASE_URL")).rstrip("/")
    return f"{server}/{setting(config, 'DATABASE_PREFIX')}_{service}"
