"""GET /metrics: Prometheus' text format, read as a scraper reads it, after real sales
against the sandbox: sales by store and outcome, Astro calls by endpoint and status
with their latency, the journal's backlog, journal errors."""
import sqlite3

import webtest
from prometheus_client.parser import text_string_to_metric_families

from bridge.app import create_app
from bridge.journal import Journal
from tests.conftest import demo_config_for_tests

BUTTON = "/?apiusername=demo&apipassword=demo-button&CustomerID=SALLY-1&UPC1=012345678905"


def scrape(app) -> dict:
    """{(sample name, frozenset of labels): value} of one GET /metrics."""
    answer = app.get("/metrics")
    assert answer.content_type == "text/plain"
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(answer.text)
            for s in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_sales_astro_calls_the_backlog_and_journal_errors(sandbox, tmp_path):
    config = demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db"))
    with Journal(config.journal_path) as journal:
        app = webtest.TestApp(create_app(config, journal))
        before = scrape(app)
        app.get(BUTTON + "&SaleID=M-1&SubTotal=10.00", status=303)
        app.get("/?apiusername=demo&apipassword=wrong&CustomerID=SALLY-1", status=401)
        sandbox.set_faults({"endpoints": {"addTransactionBatch": {"error_rate": 1,
                                                                  "error_status": [503]}}})
        app.get(BUTTON + "&SaleID=M-2&SubTotal=10.00", status=303)    # left pending
        after = scrape(app)

        def grew(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        assert grew("astro_bridge_sales_total", store="demo", outcome="delivered") == 1
        assert grew("astro_bridge_sales_total", store="-", outcome="refused") == 1
        assert grew("astro_bridge_sales_total", store="demo", outcome="pending") == 1
        assert grew("astro_bridge_astro_call_seconds_count",
                    endpoint="addTransactionBatch", status="200") == 1
        assert grew("astro_bridge_astro_call_seconds_count",
                    endpoint="addTransactionBatch", status="503") >= 1
        assert value(after, "astro_bridge_sales_pending", store="demo") == 1
        assert value(after, "astro_bridge_sales_uncertain", store="demo") == 0
        assert ("astro_bridge_worker_lag_seconds", frozenset()) in after
        # A journal write that fails is counted (a broken COMMIT, as a full disk).
        assert journal.health_check()
        with sqlite3.connect(config.journal_path) as db:
            db.executescript("""
                CREATE TABLE commit_breaker (
                    sale_key TEXT REFERENCES sales (sale_key) DEFERRABLE INITIALLY DEFERRED);
                CREATE TRIGGER break_commit AFTER UPDATE ON health
                    BEGIN INSERT INTO commit_breaker VALUES ('no such sale'); END;""")
        errors = value(scrape(app), "astro_bridge_journal_errors_total")
        assert not journal.health_check()
        assert value(scrape(app), "astro_bridge_journal_errors_total") == errors + 1
