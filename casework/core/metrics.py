"""What each web process measures about itself, for ``/metrics`` (``casework.ops.metrics``).

Request latency and sign-in failures are counted in the process that served the request: a web
node runs one process (``casework serve``: waitress, several threads), so each node reports its
own figures and Prometheus adds the nodes up. Labels carry the endpoint's name (``cases.show``),
never the path, which holds ids: no personal data reaches the metrics.
"""

from __future__ import annotations

import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

REQUEST_SECONDS = Histogram(
    "casework_request_duration_seconds",
    "Time to answer a request, by endpoint (this process).",
    ["endpoint", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
SIGN_IN_FAILURES = Counter(
    "casework_sign_in_failures",
    "Sign-in attempts refused (this process), by reason.",
    ["reason"],
    registry=REGISTRY,
)


def sign_in_failed(reason: str) -> None:
    """``reason``: credentials, code (a wrong second-factor code), inactive or throttled (never
    the account's name)."""
    SIGN_IN_FAILURES.labels(reason=reason).inc()


def register_request_timing(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.pop("request_started", None)
        if started is not None:
            REQUEST_SECONDS.labels(
                endpoint=request.endpoint or "unmatched",
                method=request.method,
                status=f"{response.status_code // 100}xx",
            ).observe(time.perf_counter() - started)
        return response
