#!/usr/bin/env bash
# Prepare this machine for Gongjian, idempotently: PostGIS, RabbitMQ management plugin, both
# servers running, a Python 3.11 virtualenv at .venv with the `gongjian` CLI, signing keys,
# service databases and tenant migrations. Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_version() { ls /etc/postgresql 2>/dev/null | sort -n | tail -1; }

ensure_postgis() {
  local version; version=$(pg_version)
  [ -n "$version" ] || { echo "PostgreSQL is not installed (expected /etc/postgresql/<version>)" >&2; exit 1; }
  local package="postgresql-${version}-postgis-3"
  if dpkg -s "$package" >/dev/null 2>&1; then
    say "PostGIS present ($package)"
  else
    say "installing $package"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -q "$package" >/dev/null 2>&1 || {
      as_root apt-get update -q >/dev/null
      as_root apt-get install -y -q "$package" >/dev/null
    }
  fi
}

ensure_postgres_running() {
  local version; version=$(pg_version)
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && return; sleep 1; done
  echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1
}

ensure_rabbitmq() {
  if ! as_root rabbitmqctl -q status >/dev/null 2>&1; then
    say "starting RabbitMQ"
    as_root rabbitmq-server -detached
    for _ in $(seq 1 60); do as_root rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
  fi
  if ! as_root rabbitmq-plugins -q list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    say "enabling the RabbitMQ management plugin"
    as_root rabbitmq-plugins -q enable rabbitmq_management >/dev/null
  fi
  for _ in $(seq 1 60); do
    curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && { say "RabbitMQ ready"; return; }
    sleep 1
  done
  echo "RabbitMQ management API did not answer on 15672" >&2; exit 1
}

ensure_venv() {
  local python=""
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
  [ -n "$python" ] || { echo "Python 3.11 is required (nameko 2.14 pins)" >&2; exit 1; }
  [ -x .venv/bin/python ] || { say "creating .venv"; "$python" -m venv .venv; }
  local stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
  if [ ! -f "$stamp" ]; then
    say "installing Python dependencies"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[dev]'
    rm -f .venv/.installed-*; touch "$stamp"
  else
    say "Python dependencies up to date"
  fi
}

ensure_postgis
ensure_postgres_running
ensure_rabbitmq
ensure_venv
say "keys, databases, migrations"
.venv/bin/gongjian keys init
.venv/bin/gongjian db init
.venv/bin/gongjian migrate
say "setup complete"
