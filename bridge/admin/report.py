"""The failure report: what the admin page and `astro-bridge failures` show.

`build_report(journal, filters, now)` gathers, for the last `days` days and newest first,
the Transaction Failures and the Redemption Failures that are neither hidden nor retried,
each with its reason and the guidance for it, plus the deliveries still open (pending or
uncertain) with their next attempt. `report_csv(report)` is the same as CSV. Filters by
store and by reason (the reason of `guidance.reason_of`, so "Missing email" matches
Astro's longer message).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from bridge.admin.guidance import Guidance, POINTS_UNCERTAIN, guidance_for, reason_of
from bridge.spreadsheet import safe_row

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
    reason: str
    guidance: Guidance


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
    reasons: tuple[str, ...]     # every reason in the period (for the filter list)
    stores: tuple[str, ...]

    @property
    def rows(self) -> tuple[FailureRow, ...]:
        """Both sections, newest first."""
        return tuple(sorted(self.transaction_failures + self.redemption_failures,
                            key=lambda r: (r.at, r.id), reverse=True))


def failure_row(f) -> FailureRow:
    """A report line from a journal Failure."""
    text = (f.message or "").lower()
    uncertain = f.kind == "points" and ("uncertain" in text or "may or may not" in text)
    reason = reason_of(f.message, uncertain=uncertain)
    return FailureRow(
        id=f.id, section=REDEMPTION if f.kind == REDEMPTION else TRANSACTION, kind=f.kind,
        store_id=f.store_id, sale_key=f.sale_key, customer_id=f.customer_id,
        item_code=f.item_code, description=f.description, ref_id=f.transaction_id, at=f.at,
        endpoint=f.endpoint, status_code=f.status_code, message=f.message, reason=reason,
        guidance=guidance_for(reason, item_code=f.item_code))


def build_report(journal, filters: Filters, now: dt.datetime, *,
                 stores: tuple[str, ...] = ()) -> Report:
    """The report for `filters` as of `now` (see the module docstring)."""
    since = now - dt.timedelta(days=filters.days)
    retried = journal.retried_failure_ids(since)
    everything = [failure_row(f) for f in journal.failures(store=filters.store, since=since)
                  if f.id not in retried]
    reasons = tuple(sorted({r.reason for r in everything}))
    rows = [r for r in everything if not filters.reason or r.reason == filters.reason]
    open_deliveries = []
    for sale in journal.sales(store_id=filters.store, status="pending", limit=500):
        steps = sale.open_steps
        if not steps:
            continue
        uncertain = any(s.state == "uncertain" for s in steps)
        if filters.reason and not (uncertain and filters.reason == POINTS_UNCERTAIN):
            continue
        open_deliveries.append(OpenDelivery(
            sale.sale_key, sale.store_id, (sale.sale.get("customer") or {}).get("id"),
            "uncertain" if uncertain else "pending", tuple(s.kind for s in steps),
            sale.attempts, sale.next_attempt_at, sale.last_error))
    return Report(
        filters=filters, since=since,
        transaction_failures=tuple(r for r in rows if r.section == TRANSACTION),
        redemption_failures=tuple(r for r in rows if r.section == REDEMPTION),
        open_deliveries=tuple(open_deliveries), reasons=reasons,
        stores=tuple(stores) or tuple(sorted({r.store_id for r in everything})))


CSV_COLUMNS = ("id", "type", "store", "date", "customer", "item_code", "description",
               "transaction_or_reward_id", "endpoint", "status_code", "message", "reason",
               "sale_key")


def report_csv(report: Report) -> str:
    """The report's failure lines as CSV (header first, newest first, UTC dates); no
    cell starts like a formula (bridge.spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.rows:
        writer.writerow(safe_row([
            r.id, "Redemption" if r.section == REDEMPTION else "Transaction", r.store_id,
            r.at.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
            r.customer_id, r.item_code, r.description, r.ref_id, r.endpoint, r.status_code,
            r.message, r.reason, r.sale_key]))
    return out.getvalue()
