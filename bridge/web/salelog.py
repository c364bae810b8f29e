"""The log format of `astro-bridge serve`; `log_sale` (one log line per sale) lives in
bridge.salelog, so the retry worker and the migration phases log sales without
importing the web app, and is re-exported here.
"""
import json
import logging
import sys
import time

from bridge.salelog import log_sale, sale_log  # noqa: F401  (re-exported)


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
