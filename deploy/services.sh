#!/usr/bin/env bash
# start | stop | status | restart: every installed service as a background `nameko run`, with
# pid files in var/run and JSON logs in var/log. Ports for /health and /metrics start at 8101.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/run var/log

services() { .venv/bin/python -W ignore -c 'from shared.services import installed_services; print(*installed_services())'; }
class_of() { .venv/bin/python -W ignore -c "from shared.services import service_class; print(service_class('$1').__name__)"; }
port_of() { local i=0; for s in $(services); do i=$((i+1)); [ "$s" = "$1" ] && { echo $((8100+i)); return; }; done; }
running() { [ -f "var/run/$1.pid" ] && kill -0 "$(cat "var/run/$1.pid")" 2>/dev/null; }

start() {
  for s in $(services); do
    if running "$s"; then echo "$s: already running (pid $(cat var/run/$s.pid))"; continue; fi
    WEB_SERVER_ADDRESS="127.0.0.1:$(port_of "$s")" PYTHONWARNINGS="ignore::DeprecationWarning" \
      nohup .venv/bin/nameko run --config deploy/config.yaml "services.$s.service:$(class_of "$s")" \
      >>"var/log/$s.log" 2>&1 &
    echo $! >"var/run/$s.pid"
    echo "$s: started (pid $!, health http://127.0.0.1:$(port_of "$s")/health, log var/log/$s.log)"
  done
  for s in $(services); do
    for _ in $(seq 1 60); do
      curl -fsS "http://127.0.0.1:$(port_of "$s")/health" >/dev/null 2>&1 && break
      running "$s" || { echo "$s: exited; see var/log/$s.log" >&2; tail -20 "var/log/$s.log" >&2; exit 1; }
      sleep 0.5
    done
    curl -fsS "http://127.0.0.1:$(port_of "$s")/health" >/dev/null || { echo "$s: not healthy" >&2; exit 1; }
  done
  echo "all services healthy"
}

stop() {
  for s in $(services); do
    if running "$s"; then
      kill -TERM "$(cat var/run/$s.pid)"  # nameko finishes in-flight workers first
      for _ in $(seq 1 40); do running "$s" || break; sleep 0.25; done
      running "$s" && kill -KILL "$(cat var/run/$s.pid)"
      echo "$s: stopped"
    fi
    rm -f "var/run/$s.pid"
  done
}

status() {
  for s in $(services); do
    if running "$s"; then
      printf '%-15s running pid %-7s ' "$s" "$(cat var/run/$s.pid)"
      curl -fsS "http://127.0.0.1:$(port_of "$s")/health" || printf 'unhealthy'
      echo
    else
      printf '%-15s stopped\n' "$s"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
