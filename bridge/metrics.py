"""What a bridge process counts for Prometheus (`GET /metrics`, text format).

    SALES.labels(store, outcome).inc()          by bridge.salelog.log_sale: every sale
                                                and refused button request, by outcome
    ASTRO_CALLS.labels(endpoint, status)        by bridge.astro: each call's seconds;
        .observe(seconds)                       status is the HTTP status, or the
                                                transport error's name
    JOURNAL_ERRORS.inc()                        by bridge.journal: a transaction that
                                                failed (nothing of it was kept)
    BacklogCollector(backlog)                   pending, uncertain and undecided sales
                                                per store and the worker's lag, read
                                                from the journal at each scrape
    exposition(*collectors) -> (body, content type)

Counters are per process (each bridge of a fleet is scraped on its own, and Prometheus
sums them); the backlog is the journal's, the same on every bridge sharing it.

May import: prometheus_client only.
"""
from __future__ import annotations

from typing import Callable

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, disable_created_metrics, generate_latest)
from prometheus_client.core import GaugeMetricFamily

# Each counter's creation time as a series of its own is noise for a bridge.
disable_created_metrics()

SALES = Counter("astro_bridge_sales", "Sales and refused button requests handled by this "
                "process, by store and outcome", ["store", "outcome"])
ASTRO_CALLS = Histogram("astro_bridge_astro_call_seconds", "Calls to Astro by endpoint and "
                        "HTTP status (or the transport error), with their duration",
                        ["endpoint", "status"],
                        buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
JOURNAL_ERRORS = Counter("astro_bridge_journal_errors", "Journal transactions of this "
                         "process that failed (nothing of them was kept)")


class BacklogCollector:
    """The journal's backlog at scrape time. `backlog()` returns (pending, uncertain,
    undecided, lag): three mappings store -> number of sales, and the seconds the
    longest-waiting due sale has been waiting for a worker."""

    def __init__(self, backlog: Callable[[], tuple[dict, dict, dict, float]]):
        self._backlog = backlog

    def collect(self):
        pending, uncertain, undecided, lag = self._backlog()
        for name, text, counts in (
                ("astro_bridge_sales_pending", "Sales with something left to send", pending),
                ("astro_bridge_sales_uncertain", "Sales with a step sent whose outcome is "
                 "not known yet (to be reconciled)", uncertain),
                ("astro_bridge_sales_undecided", "Sales with points a person must decide",
                 undecided)):
            family = GaugeMetricFamily(name, text, labels=["store"])
            for store, count in sorted(counts.items()):
                family.add_metric([store], count)
            yield family
        yield GaugeMetricFamily("astro_bridge_worker_lag_seconds", "How long the "
                                "longest-waiting due sale has been due", value=lag)


def exposition(*collectors) -> tuple[bytes, str]:
    """The process's metrics and those of `collectors`, in Prometheus' text format."""
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    return generate_latest(REGISTRY) + generate_latest(registry), CONTENT_TYPE_LATEST
