"""GET /metrics in the Prometheus text format: request counts and latency per route, posts stored, spool size.

Each app gets its own CollectorRegistry (several apps in one test process never clash). Scraping needs a key
with the `metrics:read` permission (admin); Prometheus sends it with `authorization: {credentials: <key>}`.
"""
from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from service.api.asgi import capture_status

router = APIRouter(tags=["metrics"])


class _StoreCollector:
    """Posts stored and posts spooled, read at scrape time."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        ctx = getattr(self.app.state, "ctx", None)
        if ctx is None:
            return
        stored = GaugeMetricFamily("narrawatch_posts_stored", "Posts in the store")
        up = GaugeMetricFamily("narrawatch_store_up", "1 when the store answers")
        try:
            stored.add_metric([], ctx.store.count())
            up.add_metric([], 1)
        except Exception:  # noqa: BLE001 - a scrape must still answer while the store is down
            up.add_metric([], 0)
        else:
            yield stored
        yield up
        spool = GaugeMetricFamily("narrawatch_posts_spooled", "Posts waiting in the spool for the store")
        try:
            spool.add_metric([], ctx.pipeline.spool.pending())
            yield spool
        except Exception:  # noqa: BLE001
            pass


class Metrics:
    def __init__(self, app):
        self.registry = CollectorRegistry()
        self.requests = Counter("narrawatch_http_requests", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("narrawatch_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.registry.register(_StoreCollector(app))


class MetricsMiddleware:
    """ASGI middleware: count and time every HTTP request by route template (never by raw path: no id explosion)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        send_wrapper, seen = capture_status(send)
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            metrics: Metrics | None = getattr(scope["app"].state, "metrics", None) if "app" in scope else None
            if metrics is not None:
                route = getattr(scope.get("route"), "path", None)
                if route is None:
                    route = "/ui/static" if scope["path"].startswith("/ui/static") else "unmatched"
                metrics.requests.labels(scope["method"], route, str(seen["status"])).inc()
                metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)


def install(app) -> None:
    app.state.metrics = Metrics(app)
    app.add_middleware(MetricsMiddleware)


@router.get("/metrics", summary="Prometheus metrics (admin key)", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"example": (
                "# TYPE narrawatch_posts_stored gauge\nnarrawatch_posts_stored 1234.0\n")}}}})
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
