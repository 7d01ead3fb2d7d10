"""Prometheus metrics of one worker: requests, latencies, index size, sync lag, matches.

Each app object has its own registry (two apps in one process do not collide). With several
uvicorn workers each process answers /metrics for itself; scrape them through the load balancer
or run one worker per container.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from hashstop.service.index import IndexSync


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hashstop_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hashstop_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.match_items = Counter(
            "hashstop_match_items",
            "Items (uploads) checked by POST /v1/match",
            ["result"],
            registry=self.registry,
        )
        self.match_records = Counter(
            "hashstop_match_records_created", "Match records created", registry=self.registry
        )
        self.false_positive_verdicts = Counter(
            "hashstop_false_positive_verdicts",
            "Platform verdicts calling a match a false positive",
            ["platform"],
            registry=self.registry,
        )
        self.platforms_flagged = Counter(
            "hashstop_platforms_flagged",
            "Platforms flagged for review because their false-positive verdicts spiked",
            ["platform"],
            registry=self.registry,
        )
        self.write_ceiling_hits = Counter(
            "hashstop_write_ceiling_hits",
            "Writes refused because all clients together reached HASHSTOP_HASHES_PER_HOUR",
            registry=self.registry,
        )
        self.index_size = Gauge(
            "hashstop_index_hashes",
            "Hashes in this worker's match index",
            ["algorithm"],
            registry=self.registry,
        )
        self.sync_lag = Gauge(
            "hashstop_index_sync_lag_seconds",
            "Seconds since this worker's index last caught up with the change log",
            registry=self.registry,
        )
        self.applied_seq = Gauge(
            "hashstop_index_applied_seq",
            "The last change-log seq applied to this worker's index",
            registry=self.registry,
        )
        self.index_ready = Gauge(
            "hashstop_index_ready", "1 when the index is loaded and current", registry=self.registry
        )

    def render(self, sync: IndexSync) -> bytes:
        status = sync.status()
        for algorithm, size in status.sizes.items():
            self.index_size.labels(algorithm).set(size)
        self.sync_lag.set(
            status.seconds_since_sync if status.seconds_since_sync is not None else -1
        )
        self.applied_seq.set(status.applied_seq)
        self.index_ready.set(1 if status.ready else 0)
        return generate_latest(self.registry)
