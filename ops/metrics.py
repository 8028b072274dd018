"""Prometheus metrics (prometheus_client): requests by view and status class, resolution
latency, and the pipeline's progress read from the database when Prometheus scrapes.

Under gunicorn each worker is a process of its own, so counters are kept in prometheus_client's
multiprocess mode: every worker writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
(set up by ``gunicorn.conf.py``) and a scrape, answered by whichever worker, sums them all.
Without that variable (tests, a command, the development server) the values live in the
process, as usual.

Counting costs a few microseconds: the resolver's fast path (``arks.fastpath``) counts its own
answers with label values bound once, at import.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter(
    "pidsvc_http_requests",
    "HTTP requests answered, by view (the URL pattern's name) and status class.",
    ["view", "status"],
)
RESOLUTION_SECONDS = Histogram(
    "pidsvc_resolution_seconds",
    "Time to answer a request for an ARK (GET /ark:…), by what answered it: the WSGI fast path "
    "(plain redirects) or Django's resolver view (everything else).",
    ["handler"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
RESOLVER_VIEW = "resolve"  # the resolver's URL name (pidsvc.urls)

# Bound once: the fast path only adds to them.
fast_redirects = REQUESTS.labels(RESOLVER_VIEW, "3xx")
fast_seconds = RESOLUTION_SECONDS.labels("fastpath")
_view_seconds = RESOLUTION_SECONDS.labels("django")


class RequestMetrics:
    """Middleware, outermost: counts every answer Django gives and times the resolver's.

    It adds no header, so the resolver's fast path, which reproduces the middleware's effect on
    a redirect, lists it among the middleware it mirrors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = (match.view_name or "unnamed") if match else "unmatched"
        if view == RESOLVER_VIEW:
            _view_seconds.observe(time.perf_counter() - started)
        REQUESTS.labels(view, f"{response.status_code // 100}xx").inc()
        return response


def exposition() -> bytes:
    """What /metrics answers: the request metrics (summed over the workers in multiprocess
    mode), then the pipeline's progress, read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        MultiProcessCollector(workers)
        counted = generate_latest(workers)
    else:
        counted = generate_latest(REGISTRY)
    progress = CollectorRegistry(auto_describe=True)
    progress.register(ProgressCollector())
    return counted + generate_latest(progress)


class ProgressCollector:
    """Harvest and dedup progress, from the database at scrape time: a gauge per question, so
    that every worker answers the same and nothing needs adding up."""

    def collect(self) -> Iterator[Metric]:
        from ops import selectors  # the models need the apps loaded

        up = GaugeMetricFamily(
            "pidsvc_progress_up", "1 when the progress figures below could be read."
        )
        try:
            progress = selectors.progress()
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        runs = GaugeMetricFamily(
            "pidsvc_harvest_runs", "Harvest runs by status.", labels=["status"]
        )
        for status, n in progress.runs.items():
            runs.add_metric([status], n)
        yield runs
        records = GaugeMetricFamily(
            "pidsvc_harvested_records",
            "Records harvested and kept, live or deleted (by the server, or withdrawn).",
            labels=["state"],
        )
        for state, n in progress.records.items():
            records.add_metric([state], n)
        yield records
        yield GaugeMetricFamily(
            "pidsvc_dedup_pending_records",
            "Harvested records dedup has still to see as they are now, or to give a work.",
            value=progress.dedup_pending,
        )
        works = GaugeMetricFamily("pidsvc_works", "Works by status.", labels=["status"])
        for status, n in progress.works.items():
            works.add_metric([status], n)
        yield works
