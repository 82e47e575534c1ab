"""Operations routes: /healthz (200 or 503) and /metrics (Prometheus text exposition format).

Both read the store on a read-only connection: the figures are what `essentiel run` and `essentiel fetch`
recorded there (migration 0010), so they are right whichever process serves the web app.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import StoreError
from ..store import Store, StoreLocation, open_store

log = logging.getLogger(__name__)
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Site(Protocol):
    db_path: StoreLocation

    def may_read(self, request: Request) -> bool: ...


def health(db_path: StoreLocation, now: datetime) -> tuple[bool, dict[str, Any]]:
    """(healthy, report): the store answers, and the scheduler, if one ever ran on it, is alive.

    A store that no scheduler ever ran on (`essentiel serve` over a demo or an imported store) is healthy
    when it answers; a scheduler that stopped, or whose heartbeat is older than two intervals (plus a grace),
    is not.
    """
    report: dict[str, Any] = {"store": "ok", "last_edition": None, "scheduler": None}
    if not db_path.exists():
        report["store"] = f"{db_path}: no database yet"
        return False, report
    try:
        with open_store(db_path, readonly=True) as store:
            store.db.query("SELECT 1 FROM sources LIMIT 1")
            last = store.last_edition_time()
            heartbeat = store.heartbeat()
    except (StoreError, sqlite3.Error) as exc:
        report["store"] = " ".join(str(exc).split())
        return False, report
    report["last_edition"] = last.isoformat() if last else None
    healthy = True
    if heartbeat is not None:
        alive = heartbeat.alive(now)
        healthy = alive
        report["scheduler"] = {
            "alive": alive,
            "state": heartbeat.state,
            "pid": heartbeat.pid,
            "beat_at": heartbeat.beat_at.isoformat(),
            "interval_seconds": heartbeat.interval_seconds,
        }
    return healthy, report


class StoreCollector:
    """A prometheus_client collector over the figures of one store (read on each scrape)."""

    def __init__(self, store: Store, now: datetime) -> None:
        self.store = store
        self.now = now

    def collect(self) -> Iterable[Metric]:
        figures = self.store.ops_figures(self.now)
        return list(metric_families(self.store, figures))


def metric_families(store: Store, figures: dict[str, Any]) -> Iterator[Metric]:
    fetches = CounterMetricFamily(
        "essentiel_fetches", "HTTP fetches by outcome: status code or error kind.", labels=["status"]
    )
    for status, count in figures["fetches"].items():
        fetches.add_metric([status], count)
    yield fetches
    yield GaugeMetricFamily(
        "essentiel_articles_last_hour",
        "Articles stored in the last hour.",
        value=figures["articles_last_hour"],
    )
    yield GaugeMetricFamily(
        "essentiel_articles_last_day",
        "Articles stored in the last 24 hours.",
        value=figures["articles_last_day"],
    )
    yield CounterMetricFamily("essentiel_articles", "Articles in the store.", value=store.count("articles"))
    yield GaugeMetricFamily(
        "essentiel_sources_due",
        "Queue depth: sources whose next check has come.",
        value=figures["sources_due"],
    )
    stages = SummaryMetricFamily(
        "essentiel_stage_seconds", "Latency of each pipeline stage.", labels=["stage"], unit=""
    )
    last = GaugeMetricFamily("essentiel_stage_last_seconds", "The last run of each stage.", labels=["stage"])
    worst = GaugeMetricFamily(
        "essentiel_stage_max_seconds", "The slowest run of each stage.", labels=["stage"]
    )
    for stage, timing in figures["stages"].items():
        stages.add_metric([stage], timing["count"], timing["total_seconds"])
        last.add_metric([stage], timing["last_seconds"])
        worst.add_metric([stage], timing["max_seconds"])
    yield from (stages, last, worst)
    errors = CounterMetricFamily(
        "essentiel_source_errors",
        "Errors per source: failed checks and skipped pages.",
        labels=["source", "id"],
    )
    checks = CounterMetricFamily("essentiel_source_checks", "Checks per source.", labels=["source", "id"])
    failing = GaugeMetricFamily(
        "essentiel_source_consecutive_errors",
        "Consecutive failed checks per source.",
        labels=["source", "id"],
    )
    for source in figures["sources"]:  # names may repeat: the source's id keeps each series unique
        errors.add_metric([source["source"], str(source["id"])], source["errors"])
        checks.add_metric([source["source"], str(source["id"])], source["checks"])
        failing.add_metric([source["source"], str(source["id"])], source["consecutive_errors"])
    yield from (errors, checks, failing)
    scheduler = figures["scheduler"]
    yield GaugeMetricFamily(
        "essentiel_scheduler_alive",
        "1 when the scheduler's heartbeat is recent, 0 when stale or stopped (absent: never ran).",
        value=int(scheduler["alive"]) if scheduler else float("nan"),
    )
    last_edition = store.last_edition_time()
    yield GaugeMetricFamily(
        "essentiel_last_edition_timestamp_seconds",
        "When the latest edition was built (Unix time).",
        value=last_edition.timestamp() if last_edition else float("nan"),
    )


def metrics_text(store: Store, now: datetime) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, now))
    return bytes(generate_latest(registry))


def ops_routes(site: _Site) -> list[Route]:
    def healthz(request: Request) -> Response:
        healthy, report = health(site.db_path, datetime.now(UTC))
        report = {"status": "ok" if healthy else "fail", **report}
        return JSONResponse(report, status_code=200 if healthy else 503)

    def metrics(request: Request) -> Response:
        if not site.may_read(request):
            return PlainTextResponse("authentication required\n", status_code=401)
        try:
            with open_store(site.db_path, readonly=True) as store:
                body = metrics_text(store, datetime.now(UTC))
        except (StoreError, sqlite3.Error) as exc:
            log.warning("metrics unavailable path=%s error=%s", site.db_path, exc)
            return PlainTextResponse(f"store unavailable: {exc}\n", status_code=503)
        return Response(body, media_type=PROMETHEUS_TYPE)

    return [Route("/healthz", healthz, name="healthz"), Route("/metrics", metrics, name="metrics")]
