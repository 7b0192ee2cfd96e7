"""Prometheus metrics of one service process, served on ``/metrics``."""

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

disable_created_metrics()  # the *_created series only add noise to every scrape

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ServiceMetrics:
    def __init__(self, service):
        self.service = service
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "gongjian_worker_calls",
            "Entrypoint calls by method and outcome (ok or error code)",
            ["service", "method", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gongjian_worker_seconds",
            "Entrypoint latency",
            ["service", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events_published = Counter(
            "gongjian_events_published", "Events relayed from the outbox", ["service"],
            registry=self.registry,
        )
        self.events_parked = Counter(
            "gongjian_events_parked", "Events parked as dead letters", ["service", "consumer"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "gongjian_outbox_backlog", "Unpublished outbox rows", ["service"],
            registry=self.registry,
        )

    def observe(self, method, outcome, seconds):
        self.calls.labels(self.service, method, outcome).inc()
        self.latency.labels(self.service, method).observe(seconds)

    def render(self):
        return generate_latest(self.registry).decode()
