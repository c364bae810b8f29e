"""One log line per sale (and per refused button request), for the web app, the phases
of the migration and the retry worker alike.

`log_sale(store, sale_key, outcome, seconds, **more)` writes to the `bridge.sale`
logger, with the fields also attached to the record (`record.sale`) so `--log-json`
writes them as JSON keys. Only ids, outcomes, parameter names and durations are logged:
never a password, token, customer detail or query string. A request that made no sale
(refused, throttled, a bad URL) is logged with sale_key "-".

`configure_logging(json_lines)` is the log format of `astro-bridge serve` and `worker`:
text lines, or with `--log-json` one JSON object per line (`JsonLines`).

May import: the standard library only.
"""
import json
import logging
import sys
import time

sale_log = logging.getLogger("bridge.sale")

NO_SALE = "-"


def log_sale(store: str, sale_key: str, outcome: str, seconds: float, **more) -> None:
    """Log one handled sale; `more` adds plain (non-secret) fields such as `via`."""
    fields = {"store": store, "sale_key": sale_key, "outcome": outcome,
              "duration_ms": round(seconds * 1000), **more}
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    sale_log.info("sale %s", text, extra={"sale": fields})


class JsonLines(logging.Formatter):
    """A log record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                + f".{int(record.msecs):03d}Z",
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        data.update(getattr(record, "sale", None) or {})
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(data, default=str)


def configure_logging(json_lines: bool, level: int = logging.INFO) -> None:
    """Log to stderr: plain text lines, or JSON lines with `json_lines`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # waitress logs every queue warning at WARNING; its INFO chatter is not needed.
    logging.getLogger("waitress").setLevel(logging.WARNING)
