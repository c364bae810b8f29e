"""The sale log line, as text and as a JSON line."""
import json
import logging
from bridge.salelog import JsonLines, log_sale
from tests.clock import wait_until


def test_a_sale_is_one_json_line_with_its_fields(caplog):
    caplog.set_level(logging.INFO, logger="bridge.sale")
    log_sale("demo", "demo-42", "delivered", 0.1234, via="button")
    record, = caplog.records
    assert record.getMessage() == ("sale store=demo sale_key=demo-42 outcome=delivered "
                                   "duration_ms=123 via=button")
    line = json.loads(JsonLines().format(record))
    assert {k: line[k] for k in ("store", "sale_key", "outcome", "duration_ms", "level")} == {
        "store": "demo", "sale_key": "demo-42", "outcome": "delivered", "duration_ms": 123,
        "level": "info"}


def _sale_lines(caplog):
    return [r.sale for r in caplog.records if r.name == "bridge.sale"]


def test_worker_logs_the_sale_it_finishes_and_no_secret(bridge, sandbox, caplog):
    from tests.web.conftest import sale_key_of
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 4,
                                  "fault": "status", "status": 503}]})
    answer = bridge.click()
    key = sale_key_of(answer)
    bridge.wait_status(key)
    token = answer.headers["Location"].split("t=", 1)[1]
    # The worker logs right after it records the sale as delivered: wait for the line.
    def both_lines():
        lines = [s for s in _sale_lines(caplog) if s["sale_key"] == key]
        return lines if len(lines) >= 2 else None
    lines = wait_until(both_lines, "the worker's sale line")
    assert [(s["via"], s["outcome"]) for s in lines] == [
        ("button", "pending"), ("worker", "delivered")]
    for secret in ("demo-button", "demo-password", token):
        assert secret not in caplog.text


def test_refused_throttled_and_bad_requests_log_one_line_without_secrets(bridge, caplog):
    from tests.web.conftest import SALLY
    answer = bridge.click({**SALLY, "Qty1": "lots"})                   # 400, names Qty1
    assert answer.status_code == 400
    statuses = [bridge.click(apipassword=f"Wr0ng-Secret-{n}").status_code for n in range(3)]
    assert statuses == [401, 401, 429]             # the 3rd guess comes inside the delay
    bridge.clock.advance(0.3)                      # the test throttle's delay is over
    assert bridge.click(apiusername="nobody", apipassword="Wr0ng-Secret").status_code == 401
    lines = [(s["outcome"], s["status"], s.get("param")) for s in _sale_lines(caplog)]
    expected = [("bad-request", 400, "Qty1")] + [
        ("refused", 401, None) if status == 401 else ("throttled", 429, None)
        for status in statuses] + [("refused", 401, None)]
    assert lines == expected
    assert "Wr0ng-Secret" not in caplog.text and "demo-button" not in caplog.text


def test_passthrough_and_shadow_clicks_log_one_line_each(sandbox, tmp_path, caplog):
    import dataclasses

    from tests.conftest import demo_config_for_tests
    from tests.web.conftest import LiveBridge
    caplog.set_level(logging.INFO)
    for phase in ("passthrough", "shadow"):
        config = demo_config_for_tests(sandbox.api_url, str(tmp_path / f"{phase}.db"))
        store = dataclasses.replace(config.stores[0], phase=phase,
                                    legacy_url=sandbox.legacy_url)
        live = LiveBridge(dataclasses.replace(config, stores=(store,)), sandbox, worker=False)
        try:
            assert live.click(SaleID=f"{phase}-1").status_code == 302
            assert live.click(apipassword="Wr0ng-Secret", SaleID=f"{phase}-2").status_code == 302
        finally:
            live.close()
    lines = [(s["outcome"], s["login"], s["recorded"], s["sale_key"] != "-")
             for s in _sale_lines(caplog)]
    assert lines == [("passthrough", "checked", "new", True),
                     ("passthrough", "refused", "no", False),
                     ("shadow", "checked", "new", True),
                     ("shadow", "refused", "no", False)]
    for secret in ("Wr0ng-Secret", "demo-button", "demo-password"):
        assert secret not in caplog.text
