"""What a replay tells the user at the end: the tally of the run (as lines, or as one
JSON object for scripts), and the `--report` CSV with every invalid, failed, skipped or
not yet delivered row and every warning (file, line number, reason)."""
from __future__ import annotations

import csv
import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from bridge.replay.grouping import InvalidSale
from bridge.replay.rows import Source
from bridge.spreadsheet import safe_row

REPORT_COLUMNS = ("file", "line", "sale_id", "status", "reason")
# Exit statuses of `astro-bridge replay`.
EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2


@dataclass
class Tally:
    """Counters of one replay run; `count_*` methods are thread-safe."""

    points: bool
    dry_run: bool = False
    line_items: int = 0          # item lines read, in every format (a CSV row is one)
    sales_read: int = 0
    valid_sales: int = 0
    sent: int = 0
    already: int = 0
    invalid_sales: int = 0
    invalid_rows: int = 0
    warnings: int = 0            # rows with a warning (e.g. a wrong check digit)
    skipped: Counter = field(default_factory=Counter)        # reason -> sales (nothing to send)
    failed: Counter = field(default_factory=Counter)         # reason -> sales
    line_outcomes: Counter = field(default_factory=Counter)  # reason -> lines not punched
    routine_lines: int = 0       # of those, items in no program at all (nothing to do)
    pending: int = 0             # recorded, not delivered yet (a later run sends them)
    unfinished: int = 0          # sales not handled because the run was stopped
    stopped: str | None = None   # why the run stopped early (Ctrl-C, Astro down)
    gave_up: bool = False        # stopped because Astro could not be reached
    calls: int = 0               # Astro calls made
    lines_to_send: int = 0       # lines of the valid sales to punch (dry run)
    points_to_send: Decimal = Decimal("0.00")   # dollars of points to award (dry run)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_invalid(self, sale: InvalidSale) -> None:
        with self._lock:
            self.invalid_sales += 1
            self.invalid_rows += len(sale.problems)

    def count_valid(self) -> None:
        with self._lock:
            self.valid_sales += 1

    def count_sent(self) -> None:
        with self._lock:
            self.sent += 1

    def count_already(self) -> None:
        with self._lock:
            self.already += 1

    def count_warnings(self, n: int) -> None:
        with self._lock:
            self.warnings += n

    def count_skipped(self, reason: str) -> None:
        with self._lock:
            self.skipped[reason] += 1

    def count_failed(self, reason: str) -> None:
        with self._lock:
            self.failed[reason] += 1

    def count_pending(self) -> None:
        with self._lock:
            self.pending += 1

    def count_line_outcome(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.line_outcomes[reason] += n

    @property
    def failed_sales(self) -> int:
        return sum(self.failed.values())

    def ok(self) -> bool:
        """True when everything valid went through (dry run: everything was valid)."""
        return (self.invalid_sales == 0 and self.failed_sales == 0 and not self.unfinished
                and not self.pending and self.stopped is None)

    def exit_status(self) -> int:
        """0 everything valid delivered; 1 something invalid, failed or left; 2 the run
        stopped because Astro could not be reached."""
        if self.gave_up:
            return EXIT_UNUSABLE
        return EXIT_OK if self.ok() else EXIT_PROBLEMS

    def lines(self) -> list[str]:
        """The summary as printed, one fact a line."""
        out = [f"read:              {self.sales_read} sales, {self.line_items} line items"]
        if self.dry_run:
            out.append(f"would send:        {self.valid_sales - self.already} sales, "
                       f"{self.lines_to_send} line items"
                       + (f", points for ${self.points_to_send}" if self.points else "")
                       + " (dry run: nothing was contacted)")
            if self.already:
                out.append(f"already delivered: {self.already} sales")
        else:
            out.append(f"sent:              {self.sent} sales")
            out.append(f"already delivered: {self.already} sales")
        out.append(f"invalid:           {self.invalid_sales} sales ({self.invalid_rows} rows)")
        if self.warnings:
            out.append(f"warnings:          {self.warnings} rows (sent as given; the report "
                       f"lists them)")
        if self.skipped:
            out.append(f"skipped:           {sum(self.skipped.values())} sales "
                       "with nothing to send")
            out.extend(_reasons(self.skipped))
        if not self.dry_run:
            out.append(f"failed:            {self.failed_sales} sales")
            out.extend(_reasons(self.failed))
            if self.pending:
                out.append(f"not sent yet:      {self.pending} sales (recorded; the same "
                           f"command sends them)")
        if self.line_outcomes:
            out.append("lines not punched (Astro's answer):")
            out.extend(_reasons(self.line_outcomes))
            if self.routine_lines:
                out.append(f"in no program:     {self.routine_lines} of those lines (items no "
                           f"program lists: nothing to do)")
        out.append("points:            " + (
            "ON (--points): dollar amounts earn points" if self.points else
            "OFF: no points awarded (past sales may have earned them; use --points)"))
        if not self.dry_run:
            per_sale = f" ({self.calls / self.sent:.2f} a sale sent)" if self.sent else ""
            out.append(f"astro calls:       {self.calls}{per_sale}")
        return out

    def to_json(self) -> dict:
        """The summary as one JSON-able object (`--json`)."""
        data = {
            "dry_run": self.dry_run,
            "read": {"sales": self.sales_read, "line_items": self.line_items},
            "already_delivered": self.already,
            "invalid": {"sales": self.invalid_sales, "rows": self.invalid_rows},
            "warnings": self.warnings,
            "skipped": {"sales": sum(self.skipped.values()), "reasons": dict(self.skipped)},
            "lines_not_punched": dict(self.line_outcomes),
            "lines_in_no_program": self.routine_lines,
            "points": self.points,
            "stopped": self.stopped,
            "not_handled": self.unfinished,
            "exit_status": self.exit_status(),
        }
        if self.dry_run:
            data["would_send"] = {"sales": self.valid_sales - self.already,
                                  "line_items": self.lines_to_send,
                                  "points_dollars": str(self.points_to_send)}
        else:
            data.update(sent=self.sent, not_sent_yet=self.pending, astro_calls=self.calls,
                        failed={"sales": self.failed_sales, "reasons": dict(self.failed)})
        return data


def _reasons(counts: Counter) -> list[str]:
    return [f"  {n:>6}  {reason}"
            for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


class Report:
    """The `--report` CSV, written as rows arrive; `path` None: no file. Also keeps the
    first `show` rows of the statuses in `shown` for the summary on screen (the file has
    them all, so memory stays bounded). Thread-safe."""

    def __init__(self, path: str | None, show: int = 100,
                 shown: tuple[str, ...] = ("invalid", "failed")):
        # Open for the run, as rows arrive; close() closes it.
        self._file = (open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
                      if path else None)
        self._writer = csv.writer(self._file) if self._file else None
        self._lock = threading.Lock()
        self.show, self.statuses = show, shown
        self.shown: list[tuple[str, Source, str, str]] = []   # (status, place, sale, why)
        self.not_shown = 0
        if self._writer:
            self._writer.writerow(REPORT_COLUMNS)

    def add(self, source: Source, sale_id: str | None, status: str, reason: str) -> None:
        with self._lock:
            if status in self.statuses:
                if len(self.shown) < self.show:
                    self.shown.append((status, source, sale_id or "", reason))
                else:
                    self.not_shown += 1
            if self._writer is not None:
                self._writer.writerow(safe_row((source.file, source.line, sale_id, status,
                                                reason)))

    def listing(self, path_hint: bool) -> list[str]:
        """The rows kept for the screen, and how many more there are."""
        out = [f"{status:<8} {source}: {reason}" for status, source, _, reason in self.shown]
        if self.not_shown:
            out.append(f"... and {self.not_shown} more rows"
                       + ("" if path_hint else " (--report FILE.csv lists them all)"))
        return out

    def to_json(self) -> dict:
        """The rows kept for the screen, as `--json` gives them."""
        return {"rows": [{"status": status, "file": source.file, "line": source.line,
                          "sale_id": sale_id, "reason": reason}
                         for status, source, sale_id, reason in self.shown],
                "more_rows": self.not_shown}

    def invalid(self, sale: InvalidSale) -> None:
        for source, reason in sale.problems:
            self.add(source, sale.sale_id, "invalid", reason)

    def warned(self, warnings, sale_id: str | None) -> None:
        """The input's warnings of a valid sale ((place, text) pairs): sent as given."""
        for source, text in warnings:
            self.add(source, sale_id, "warning", text)

    def skipped(self, sources, sale_id: str | None, reason: str) -> None:
        """In the --report file only: not a problem, but the integrator may ask why."""
        for source in sources:
            self.add(source, sale_id, "skipped", reason)

    def failed(self, sources, sale_id: str, reason: str, status: str = "failed") -> None:
        for source in sources:
            self.add(source, sale_id, status, reason)

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None
