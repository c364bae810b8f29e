"""The sale log line, as text and as a JSON line."""
import json
import logging

from bridge.web.salelog import JsonLines, log_sale


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
