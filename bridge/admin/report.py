"""The failure report: what the admin page and `astro-bridge failures` show.

`build_report(journal, filters, now)` gathers, for the last `days` days and newest first,
the Transaction Failures and the Redemption Failures that are neither hidden nor retried,
each with its reason (recorded with it: `bridge.reasons.Reason`) and the guidance for it,
plus the deliveries still open (pending or uncertain) with their next attempt.

A `No Item Found` line carries its cause (`bridge.reasons.Cause`), from what the journal
knows of the programs listing its item code (bridge.delivery.programs; nothing is asked
of Astro here). Routine lines (in no program at all) are apart: `routine_failures`,
counted per item code in `routine_items`; `rows` are the lines a person must act on.

The admin page loads the newest REPORT_LIMIT lines (`build_report(..., limit=)`;
`Report.truncated` says when the period has more); its CSV (`stream_report_csv`) reads
every line, CSV_BATCH at a time, so neither grows with a busy period.

`reason_counts(rows)` counts lines per reason (the one place that does);
`failure_fields(row)` is a line as plain values, the columns of `report_csv(report)`, the
report as CSV, routine lines included (column `routine`). Filters by store and by reason
(its value, e.g. "Missing email", whatever Astro's longer message said).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from dataclasses import dataclass
from typing import Iterator

from bridge.delivery.programs import known_programs
from bridge.reasons import Cause, Guidance, ItemCause, Reason, guidance_for
from bridge.journal import UNDECIDED
from bridge.spreadsheet import safe_row
from bridge.translate import POINTS

TRANSACTION = "transaction"
REDEMPTION = "redemption"


@dataclass(frozen=True)
class Filters:
    """Which lines to show: one store, one reason, the last `days` days."""

    store: str | None = None
    reason: str | None = None
    days: int = 30


@dataclass(frozen=True)
class FailureRow:
    """One line of the report (a Transaction Failure or a Redemption Failure)."""

    id: int
    section: str                 # TRANSACTION | REDEMPTION
    kind: str                    # the journal's kind: transaction, customer, points, redemption
    store_id: str
    sale_key: str | None
    customer_id: str | None
    item_code: str | None
    description: str | None
    ref_id: str | None           # the transactionID, or the reward id of a redemption
    at: dt.datetime
    endpoint: str | None
    status_code: int | None
    message: str
    reason: Reason
    guidance: Guidance
    question: "PointsQuestion | None" = None   # an undecided award: a person answers
    cause: ItemCause | None = None             # No Item Found: why, as far as known

    @property
    def routine(self) -> bool:
        """In no program at all: Astro is right and nobody has anything to do."""
        return self.cause is not None and self.cause.routine

    @property
    def label(self) -> str:
        """The reason, with the cause of a `No Item Found` when it is known."""
        known = self.cause is not None and self.cause.cause != Cause.NOT_LOOKED_UP
        return f"{self.reason} ({self.cause.cause})" if known else str(self.reason)

    @property
    def shared_guidance(self) -> Guidance:
        """The guidance this line shares with the others of its reason (and cause)."""
        return guidance_for(self.reason, cause=ItemCause(self.cause.cause) if self.cause
                            else None)

    @property
    def own_steps(self) -> tuple[str, ...]:
        """The steps of its guidance that are this line's own (the program listing its
        item, the UPC-A of its EAN-13)."""
        shared = set(self.shared_guidance.steps)
        return tuple(step for step in self.guidance.steps if step not in shared)

    @property
    def detail(self) -> str | None:
        """The message, when it says more than the reason does."""
        same = self.message.strip().rstrip(".").lower() == str(self.reason).lower()
        return None if same else self.message


@dataclass(frozen=True)
class RoutineItem:
    """The routine lines of one item code: how many, and the newest."""

    item_code: str
    description: str | None
    lines: int
    last_at: dt.datetime


@dataclass(frozen=True)
class PointsQuestion:
    """An undecided award, as a person sees it: the sale, the amount, and the customer's
    points history around the sale (`evidence`: {"id", "date", "description", "points",
    "sale": the sale the bridge attributes it to, or None, "new": after the award was
    sent})."""

    failure_id: int
    sale_key: str
    store_id: str
    customer_id: str
    dollar_amount: str
    received_at: dt.datetime
    evidence: tuple[dict, ...]


def points_question(journal, failure, sale=None) -> PointsQuestion | None:
    """The question a points failure asks (None: it asks none: not an undecided award)."""
    if failure.kind != "points" or not failure.sale_key:
        return None
    sale = sale or journal.get_sale(failure.sale_key)
    step = next((s for s in sale.steps if s.kind == POINTS), None) if sale else None
    if step is None or step.state != UNDECIDED:
        return None
    result = step.result or {}
    return PointsQuestion(failure.id, sale.sale_key, sale.store_id, sale.plan.customer_id,
                          str(sale.plan.step(step.n).dollar_amount), sale.received_at,
                          tuple(result.get("evidence") or ()))


@dataclass(frozen=True)
class OpenDelivery:
    """A sale with steps still to do: `state` is uncertain when a step's outcome is not
    known (points), else pending."""

    sale_key: str
    store_id: str
    customer_id: str | None
    state: str
    steps: tuple[str, ...]
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None


@dataclass(frozen=True)
class Report:
    filters: Filters
    since: dt.datetime
    transaction_failures: tuple[FailureRow, ...]
    redemption_failures: tuple[FailureRow, ...]
    open_deliveries: tuple[OpenDelivery, ...]
    reasons: tuple[Reason, ...]  # every reason in the period (for the filter list)
    stores: tuple[str, ...]
    routine_failures: tuple[FailureRow, ...] = ()   # in no program: nothing to do
    lines_total: int = 0         # lines in the period for the filters (some not loaded)
    limit: int | None = None     # the most lines loaded (None: all)

    @property
    def truncated(self) -> bool:
        """Whether the period has more lines than were loaded (the page shows the newest
        `limit`; the CSV has them all)."""
        return self.limit is not None and self.lines_total > self.limit

    @property
    def rows(self) -> tuple[FailureRow, ...]:
        """The lines to act on, both sections, newest first."""
        return _newest_first(self.transaction_failures + self.redemption_failures)

    @property
    def all_rows(self) -> tuple[FailureRow, ...]:
        """Every line, the routine ones too, newest first (the CSV)."""
        return _newest_first(self.rows + self.routine_failures)

    @property
    def routine_items(self) -> tuple[RoutineItem, ...]:
        """The routine lines per item code, the most frequent first (ties by code)."""
        by_code: dict[str, list[FailureRow]] = {}
        for r in self.routine_failures:        # newest first: [0] is the newest
            by_code.setdefault(r.item_code or "", []).append(r)
        items = [RoutineItem(code, next((r.description for r in rows if r.description),
                                        None), len(rows), rows[0].at)
                 for code, rows in by_code.items()]
        return tuple(sorted(items, key=lambda i: (-i.lines, i.item_code)))


def _newest_first(rows) -> tuple[FailureRow, ...]:
    return tuple(sorted(rows, key=lambda r: (r.at, r.id), reverse=True))


def failure_row(f) -> FailureRow:
    """A report line from a journal Failure."""
    reason = f.reason
    return FailureRow(
        id=f.id, section=REDEMPTION if f.kind == REDEMPTION else TRANSACTION, kind=f.kind,
        store_id=f.store_id, sale_key=f.sale_key, customer_id=f.customer_id,
        item_code=f.item_code, description=f.description, ref_id=f.transaction_id, at=f.at,
        endpoint=f.endpoint, status_code=f.status_code, message=f.message, reason=reason,
        guidance=guidance_for(reason, item_code=f.item_code))


REPORT_LIMIT = 2_000     # lines the admin page loads at most (the CSV has every line)
CSV_BATCH = 500          # lines read from the journal at a time for the CSV


def build_report(journal, filters: Filters, now: dt.datetime, *,
                 stores: tuple[str, ...] = (), limit: int | None = None) -> Report:
    """The report for `filters` as of `now` (see the module docstring), of the newest
    `limit` lines when given (the page: its memory stays the same however many lines
    the period has; `lines_total` says how many there are)."""
    since = now - dt.timedelta(days=filters.days)
    loaded = _failures(journal, filters, since, limit=limit)
    everything = _report_rows(journal, loaded)
    total = len(loaded)
    if limit is not None and total >= limit:
        total = journal.count_failures(filters.store, since, filters.reason,
                                       exclude_retried=True)
    reasons = tuple(sorted(journal.failure_reasons(filters.store, since,
                                                   exclude_retried=True)))
    open_deliveries = []
    for sale in journal.sales(store_id=filters.store, status="pending", limit=500):
        steps = sale.open_steps
        if not steps:
            continue
        uncertain = any(s.state == "uncertain" for s in steps)
        if filters.reason and not (uncertain and filters.reason == Reason.POINTS_UNCERTAIN):
            continue
        open_deliveries.append(OpenDelivery(
            sale.sale_key, sale.store_id, (sale.sale.get("customer") or {}).get("id"),
            "uncertain" if uncertain else "pending", tuple(s.kind for s in steps),
            sale.attempts, sale.next_attempt_at, sale.last_error))
    to_act = [r for r in everything if not r.routine]
    return Report(
        filters=filters, since=since,
        transaction_failures=tuple(r for r in to_act if r.section == TRANSACTION),
        redemption_failures=tuple(r for r in to_act if r.section == REDEMPTION),
        open_deliveries=tuple(open_deliveries), reasons=reasons,
        stores=tuple(stores) or tuple(sorted({r.store_id for r in everything})),
        routine_failures=tuple(r for r in everything if r.routine), lines_total=total,
        limit=limit)


def _failures(journal, filters: Filters, since: dt.datetime, **kw) -> list:
    """The journal's lines for the filters: neither hidden nor retried, newest first."""
    return journal.failures(store=filters.store, since=since, reason=filters.reason,
                            exclude_retried=True, **kw)


def _report_rows(journal, failures) -> list[FailureRow]:
    return _with_causes(journal, [_with_question(journal, failure_row(f))
                                  for f in failures])


def _with_causes(journal, rows: list[FailureRow]) -> list[FailureRow]:
    """Each `No Item Found` line with its cause and the guidance for it."""
    codes: dict[str, set[str]] = {}
    for r in rows:
        if r.reason == Reason.NO_ITEM_FOUND and r.item_code:
            codes.setdefault(r.store_id, set()).add(r.item_code)
    programs = {store: known_programs(journal, store, c) for store, c in codes.items()}
    out = []
    for r in rows:
        if r.store_id in programs and r.reason == Reason.NO_ITEM_FOUND and r.item_code:
            cause = programs[r.store_id].cause_of(r.item_code)
            r = dataclasses.replace(r, cause=cause, guidance=guidance_for(
                r.reason, item_code=r.item_code, cause=cause))
        out.append(r)
    return out


def _with_question(journal, row: FailureRow) -> FailureRow:
    if row.kind != "points" or not row.sale_key:
        return row
    question = points_question(journal, row)
    return dataclasses.replace(row, question=question) if question else row


CSV_COLUMNS = ("id", "type", "store", "date", "customer", "item_code", "description",
               "transaction_or_reward_id", "endpoint", "status_code", "message", "reason",
               "sale_key", "routine", "cause")


def reason_counts(rows) -> dict[str, int]:
    """How many of `rows` (FailureRows) each reason has, the most frequent first (ties
    by name)."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.reason] = counts.get(r.reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def failure_fields(r: FailureRow) -> dict:
    """A report line as plain values under the CSV's column names (UTC ISO date)."""
    return {
        "id": r.id, "type": "Redemption" if r.section == REDEMPTION else "Transaction",
        "store": r.store_id,
        "date": r.at.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "customer": r.customer_id, "item_code": r.item_code, "description": r.description,
        "transaction_or_reward_id": r.ref_id, "endpoint": r.endpoint,
        "status_code": r.status_code, "message": r.message, "reason": r.reason,
        "sale_key": r.sale_key, "routine": r.routine,
        "cause": r.cause.cause if r.cause else None}


def report_csv(report: Report) -> str:
    """The report's failure lines as CSV, routine ones too (header first, newest first,
    UTC dates; `routine` yes or no); no cell starts like a formula (bridge.spreadsheet)."""
    return _csv_text(report.all_rows, header=True)


def stream_report_csv(journal, filters: Filters, now: dt.datetime) -> Iterator[str]:
    """`report_csv` of every line for the filters, read from the journal CSV_BATCH lines
    at a time: the memory it takes does not grow with the lines of the period."""
    since = now - dt.timedelta(days=filters.days)
    yield _csv_text((), header=True)
    last = None
    while True:
        batch = _failures(journal, filters, since, limit=CSV_BATCH, older_than=last)
        if not batch:
            return
        yield _csv_text(_report_rows(journal, batch), header=False)
        last = batch[-1]


def _csv_text(rows, *, header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for r in rows:
        fields = {**failure_fields(r), "routine": "yes" if r.routine else "no"}
        writer.writerow(safe_row(fields[c] for c in CSV_COLUMNS))
    return out.getvalue()
