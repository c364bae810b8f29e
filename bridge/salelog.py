"""One log line per sale (and per refused button request), for the web app, the phases
of the migration and the retry worker alike.

`log_sale(store, sale_key, outcome, seconds, **more)` writes to the `bridge.sale`
logger, with the fields also attached to the record (`record.sale`) so `--log-json`
writes them as JSON keys. Only ids, outcomes, parameter names and durations are logged:
never a password, token, customer detail or query string. A request that made no sale
(refused, throttled, a bad URL) is logged with sale_key "-".
"""
import logging

sale_log = logging.getLogger("bridge.sale")

NO_SALE = "-"


def log_sale(store: str, sale_key: str, outcome: str, seconds: float, **more) -> None:
    """Log one handled sale; `more` adds plain (non-secret) fields such as `via`."""
    fields = {"store": store, "sale_key": sale_key, "outcome": outcome,
              "duration_ms": round(seconds * 1000), **more}
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    sale_log.info("sale %s", text, extra={"sale": fields})
