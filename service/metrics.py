"""Prometheus metrics, one :class:`~prometheus_client.CollectorRegistry` per app.

With several uvicorn workers each process keeps its own registry; scrape them one by one or run
one worker per container (the usual setup behind a load balancer).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hypemeter.schema import SCORE_NAMES, ScoreResult

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
)
SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hypemeter_http_requests_total",
            "HTTP requests by route template, method and status",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "hypemeter_http_requests_in_progress",
            "HTTP requests being handled right now",
            registry=self.registry,
        )
        self.latency = Histogram(
            "hypemeter_http_request_duration_seconds",
            "Time from request start to response start, by route template",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scoring = Histogram(
            "hypemeter_scoring_duration_seconds",
            "Time spent in one model call (one request, or one micro-batch of requests)",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.articles = Counter(
            "hypemeter_articles_scored_total",
            "Articles scored",
            registry=self.registry,
        )
        self.scores = Histogram(
            "hypemeter_score",
            "Distribution of returned scores",
            ("score",),
            buckets=SCORE_BUCKETS,
            registry=self.registry,
        )
        self.model_info = Gauge(
            "hypemeter_model_info",
            "The loaded model (value 1, labelled with its name and version)",
            ("name", "version"),
            registry=self.registry,
        )
        self.model_loaded = Gauge(
            "hypemeter_model_loaded",
            "1 when a model is loaded and the service is ready",
            registry=self.registry,
        )
        self.reloads = Counter(
            "hypemeter_model_reloads_total",
            "Model reload attempts by result",
            ("result",),
            registry=self.registry,
        )
        self._score_children = {name: self.scores.labels(score=name) for name in SCORE_NAMES}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route=route, method=method, status=str(status)).inc()
        self.latency.labels(route=route).observe(seconds)

    def observe_results(self, route: str, results: Iterable[ScoreResult], seconds: float) -> None:
        self.scoring.labels(route=route).observe(seconds)
        n = 0
        for result in results:
            n += 1
            for name, child in self._score_children.items():
                value = result.scores.get(name)
                if value is not None:
                    child.observe(value)
        self.articles.inc(n)

    def set_model(self, name: str, version: str) -> None:
        self.model_info.clear()
        self.model_info.labels(name=name, version=version).set(1)
        self.model_loaded.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
