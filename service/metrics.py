"""Prometheus metrics, one :class:`~prometheus_client.CollectorRegistry` per app.

Several workers (``hypemeter serve --workers N``): the Prometheus client's multiprocess mode.
``hypemeter serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder of its run folder
before any worker starts; every worker writes its values there and ``/metrics``, whichever
worker answers it, sums them all: counters and histograms add up; ``in_progress`` and
``model_info`` are summed over live workers (``model_info{version}`` counts the workers serving
that version), ``model_loaded`` is the minimum over live workers (1 only when all are ready).
A worker that exits (or is killed) is marked dead, so its live gauges drop out.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prom_multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hypemeter.records.results import SCORE_NAMES, ScoreResult

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
)
SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
MAX_REQUEST_CHILDREN = 1024  # (route, method, status) children kept by observe_request
_LIVE_FILE = re.compile(r"^gauge_live\w*_(\d+)\.db$")


def multiprocess_dir() -> Path | None:
    """The multiprocess folder, when this process runs in Prometheus multiprocess mode."""
    value = os.environ.get(MULTIPROC_ENV, "").strip()
    return Path(value) if value else None


def mark_dead_workers(path: Path, alive: Callable[[int], bool]) -> None:
    """Drop the live gauges of workers that are gone (killed workers cannot do it themselves)."""
    for file in path.glob("gauge_live*.db"):
        match = _LIVE_FILE.match(file.name)
        if match and not alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                prom_multiprocess.mark_process_dead(int(match.group(1)), str(path))


class ServiceMetrics:
    def __init__(self) -> None:
        self.multiprocess_dir = multiprocess_dir()
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
            multiprocess_mode="livesum",
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
        self.not_scored = Counter(
            "hypemeter_articles_not_scored_total",
            "Articles answered without scores, by reason (unsupported_language)",
            ("reason",),
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
            multiprocess_mode="livesum",
        )
        self.model_loaded = Gauge(
            "hypemeter_model_loaded",
            "1 when a model is loaded and the service is ready",
            registry=self.registry,
            multiprocess_mode="livemin",
        )
        self.reloads = Counter(
            "hypemeter_model_reloads_total",
            "Model reload attempts by result",
            ("result",),
            registry=self.registry,
        )
        self._score_children = {name: self.scores.labels(score=name) for name in SCORE_NAMES}
        self._model: tuple[str, str] | None = None
        # the children of each (route, method, status) seen, so that a request does not pay
        # for labels() (argument checks, a lock, a dict lookup) twice; route templates,
        # methods and statuses are few, but the dict is bounded all the same
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            children = (self.requests.labels(route=route, method=method, status=str(status)),
                        self.latency.labels(route=route))
            if len(self._request_children) >= MAX_REQUEST_CHILDREN:
                self._request_children.clear()
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def observe_results(self, route: str, results: Iterable[ScoreResult], seconds: float) -> None:
        self.scoring.labels(route=route).observe(seconds)
        n = 0
        for result in results:
            if result.scores is None:
                reason = result.error.code if result.error is not None else "unknown"
                self.not_scored.labels(reason=reason).inc()
                continue
            n += 1
            for name, child in self._score_children.items():
                value = result.scores.get(name)
                if value is not None:
                    child.observe(value)
        self.articles.inc(n)

    def set_model(self, name: str, version: str) -> None:
        # Set the old version to 0 rather than removing it: in multiprocess mode a removed
        # child would keep its last value in this worker's file.
        if self.multiprocess_dir is None:
            self.model_info.clear()
        elif self._model is not None and self._model != (name, version):
            self.model_info.labels(*self._model).set(0)
        self._model = (name, version)
        self.model_info.labels(name=name, version=version).set(1)
        self.model_loaded.set(1)

    def render(self, alive: Callable[[int], bool] | None = None) -> bytes:
        """The text exposition: this app's registry, or every worker's values summed."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        if alive is not None:
            mark_dead_workers(self.multiprocess_dir, alive)
        registry = CollectorRegistry()
        prom_multiprocess.MultiProcessCollector(registry, path=str(self.multiprocess_dir))
        return generate_latest(registry)

    def worker_exit(self) -> None:
        """At worker shutdown: drop this worker's live gauges."""
        if self.multiprocess_dir is not None:
            with contextlib.suppress(OSError):
                prom_multiprocess.mark_process_dead(os.getpid(), str(self.multiprocess_dir))
