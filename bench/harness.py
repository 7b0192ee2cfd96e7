"""Benchmark harness: services run as real `nameko run` subprocesses in a private RabbitMQ vhost
with private databases and signing keys; the client drives them from this process with eventlet.
Every figure is printed next to a bare nameko echo measured in the same run (``echo``: nameko's
default ``@rpc``); ``lean_echo`` is the same echo answered through shared.replies (the reply
path every Gongjian service uses).

    with BenchEnvironment(["tenants"]) as env:
        baseline = env.echo_baseline(calls=2000, concurrency=10)
        stats = env.measure(lambda rpc: rpc.tenants.get_api_client(cid), calls=2000,
                            concurrency=10, tenant="t1", token=env.tokens.admin("t1"))
        print_table("title", [("bare echo", baseline), ("tenant read", stats)], baseline)

        # or: each candidate right after an echo, rounds alternating, median ratio per candidate
        rows = env.versus_echo([("lean-reply echo", lean_echo_call, {}),
                                ("tenant read", read, {"tenant": "t1", "token": token})])
        print_ratios("title", rows)
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import eventlet
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from bench.echo import EchoService, LeanEchoService
from shared.config import database_url, load_config
from shared.dbadmin import create_database, drop_database
from shared.keys import generate_keypair, load_private_key
from shared.pii import new_ring, write_ring
from shared.testing.helpers import TokenFactory, onboard_tenant, wait_for
from shared.testing.processes import ServiceProcess, write_config

MANAGEMENT = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
BROKER = os.environ.get("BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672")
DATABASE_SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
ECHOES = {"echo": EchoService, "lean_echo": LeanEchoService}


def echo_call(rpc):
    rpc.echo.echo("ping")


def lean_echo_call(rpc):
    rpc.lean_echo.echo("ping")


@dataclass
class Stats:
    calls: int
    seconds: float
    latencies: list

    @property
    def throughput(self):
        return self.calls / self.seconds

    def percentile(self, p):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    @property
    def p50(self):
        return self.percentile(50)

    @property
    def p99(self):
        return self.percentile(99)

    @property
    def mean_ms(self):
        return statistics.fmean(self.latencies) * 1000


class BenchEnvironment:
    def __init__(self, services, config_overrides=None):
        self.services = list(services)
        self.tag = uuid.uuid4().hex[:8]
        self.vhost = f"gongjian-bench-{self.tag}"
        self.overrides = config_overrides or {}
        self.processes = []
        self.folder = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self):
        session = requests.Session()
        session.put(f"{MANAGEMENT}/api/vhosts/{self.vhost}").raise_for_status()
        session.put(
            f"{MANAGEMENT}/api/permissions/{self.vhost}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"},
        ).raise_for_status()
        private, public = self.folder / "private.pem", self.folder / "public.pem"
        generate_keypair(private, public)
        write_ring(new_ring(), self.folder / "pii.json")
        self.tokens = TokenFactory(load_private_key(private))
        config = load_config()
        config.pop("LOGGING", None)
        config.update(
            AMQP_URI=f"{BROKER}/{self.vhost}",
            DATABASE_URL=DATABASE_SERVER,
            DATABASE_PREFIX=f"gjb_{self.tag}",
            JWT_PUBLIC_KEY_FILE=str(public),
            JWT_PRIVATE_KEY_FILE=str(private),
            PII_KEYS_FILE=str(self.folder / "pii.json"),
            PROVISIONED_SERVICES=[s for s in self.services if s not in ECHOES],
            WEB_SERVER_ADDRESS="127.0.0.1:0",
        )
        config.update(self.overrides)
        self.config = config
        self.config_file = write_config(config, self.folder / "config.yaml")
        for service in self.services:
            if service not in ECHOES:
                create_database(database_url(config, service))
        try:
            self.start("echo", "lean_echo", *self.services)
        except Exception:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def start(self, *services):
        for service in dict.fromkeys(services):
            process = ServiceProcess(ECHOES.get(service, service), self.config_file,
                                     self.folder / f"{service}.log")
            self.processes.append(process.start())
        with self.client() as rpc:
            wait_for(lambda: _answers(rpc.echo.echo, 1), timeout=60, message="echo service")
            for service in services:
                if service in ECHOES:
                    wait_for(lambda s=service: _answers(getattr(rpc, s).echo, 1), timeout=60,
                             message=f"{service} service")
                else:
                    operator = self.tokens.operator()
                    with self.client(token=operator) as op:
                        wait_for(lambda s=service, o=op: _answers(getattr(o, s).health), timeout=60,
                                 message=f"service {service}")

    def __exit__(self, *exc):
        for process in self.processes:
            process.stop()
        for service in self.services:
            if service not in ECHOES:
                drop_database(database_url(self.config, service))
        requests.delete(f"{MANAGEMENT}/api/vhosts/{self.vhost}")
        if not exc or exc[0] is None:  # keep the services' logs of a failed run for a look
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- clients and measurement -------------------------------------------------------------
    def client(self, tenant=None, token=None, timeout=60):
        context = {}
        if tenant:
            context["tenant"] = tenant
        if token:
            context["authorization"] = f"Bearer {token}"
        return ClusterRpcProxy({"AMQP_URI": self.config["AMQP_URI"]}, context_data=context, timeout=timeout)

    def onboard(self, slug, **fields):
        with self.client(token=self.tokens.operator()) as operator:
            return onboard_tenant(operator, slug, timeout=120, **fields)

    def measure(self, call, calls=2000, concurrency=10, tenant=None, token=None, warmup=100):
        """Run ``call(rpc)`` ``calls`` times over ``concurrency`` clients (one RPC proxy each)."""
        per_worker = max(1, calls // concurrency)
        latencies = []

        def worker(index):
            with self.client(tenant, token) as rpc:
                for _ in range(max(1, warmup // concurrency)):
                    call(rpc)
                ready.append(index)
                while len(ready) < concurrency:
                    eventlet.sleep(0.001)
                for _ in range(per_worker):
                    started = time.perf_counter()
                    call(rpc)
                    latencies.append(time.perf_counter() - started)

        ready = []
        pool = eventlet.GreenPool(concurrency)
        threads = [pool.spawn(worker, i) for i in range(concurrency)]
        while len(ready) < concurrency:
            eventlet.sleep(0.001)
        started = time.perf_counter()
        for thread in threads:
            thread.wait()
        return Stats(calls=len(latencies), seconds=time.perf_counter() - started, latencies=latencies)

    def echo_baseline(self, calls=2000, concurrency=10):
        return self.measure(echo_call, calls=calls, concurrency=concurrency)

    def compare(self, call, calls=2000, concurrency=10, rounds=3, **client):
        """Alternate echo and ``call`` for ``rounds`` rounds (so background load hits both
        alike) and return the round with the median throughput ratio: (echo, stats)."""
        pairs = []
        for _ in range(rounds):
            echo = self.echo_baseline(calls=calls, concurrency=concurrency)
            stats = self.measure(call, calls=calls, concurrency=concurrency, **client)
            pairs.append((stats.throughput / echo.throughput, echo, stats))
        pairs.sort(key=lambda pair: pair[0])
        _, echo, stats = pairs[len(pairs) // 2]
        return echo, stats

    def versus_echo(self, candidates, calls=2000, concurrency=10, rounds=3):
        """``candidates``: [(label, call, client kwargs)]. Each round measures the default echo,
        then every candidate; returns [(label, ratio, stats)] starting with the echo itself,
        each candidate's figures from its median-ratio round (ratio = its throughput / that
        round's echo)."""
        measured = {label: [] for label, _, _ in candidates}
        echoes = []
        for _ in range(rounds):
            echo = self.echo_baseline(calls=calls, concurrency=concurrency)
            echoes.append(echo)
            for label, call, client in candidates:
                stats = self.measure(call, calls=calls, concurrency=concurrency, **client)
                measured[label].append((stats.throughput / echo.throughput, stats))
        echoes.sort(key=lambda stats: stats.throughput)
        rows = [("bare nameko echo (default)", 1.0, echoes[len(echoes) // 2])]
        for label, _, _ in candidates:
            ratio, stats = sorted(measured[label], key=lambda pair: pair[0])[len(measured[label]) // 2]
            rows.append((label, ratio, stats))
        return rows


def retarget(rpc, tenant, token):
    """Point an open client at another tenant (benchmarks spread calls over many tenants
    without opening a reply queue per tenant)."""
    rpc._worker_ctx.data.update(tenant=tenant, authorization=f"Bearer {token}")


def _answers(method, *args):
    try:
        method(*args)
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False


def print_ratios(title, rows):
    """rows from ``versus_echo``: [(label, ratio vs the same round's echo, Stats)]."""
    print(f"\n## {title}")
    print(f"{'':32} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'throughput vs echo':>19}")
    for label, ratio, stats in rows:
        print(f"{label:32} {stats.throughput:9.1f} {stats.p50:8.2f} {stats.p99:8.2f} {ratio:19.2f}")
    sys.stdout.flush()


def print_table(title, rows, baseline):
    """rows: [(label, Stats)] — prints calls/s, p50, p99 and the ratio to the baseline."""
    print(f"\n## {title}")
    print(f"{'':32} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'throughput vs echo':>19}")
    for label, stats in rows:
        ratio = stats.throughput / baseline.throughput
        print(f"{label:32} {stats.throughput:9.1f} {stats.p50:8.2f} {stats.p99:8.2f} {ratio:19.2f}")
    sys.stdout.flush()
