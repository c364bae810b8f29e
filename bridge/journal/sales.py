"""Sales in the journal: each sale with its plan and its steps, the steps' delivery
states, the sale's status derived from them, the workers' leases and the receipt."""
from __future__ import annotations

import datetime as dt
import secrets as _secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from bridge.journal.base import (JournalBase, from_json, from_timestamp, timestamp, to_json,
                                 utcnow, where_equal)
from bridge.translate import CUSTOMER, Plan

PENDING, DONE, FAILED, UNCERTAIN, GIVEN_UP, SKIPPED = (
    "pending", "done", "failed", "uncertain", "given_up", "skipped")
OPEN_STATES = (PENDING, UNCERTAIN)
SALE_PENDING, SALE_DELIVERED, SALE_PARTIAL, SALE_FAILED, SALE_GIVEN_UP = (
    "pending", "delivered", "partial", "failed", "given_up")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class RecordResult:
    sale_key: str
    created: bool          # False: the sale was already there (SaleID or double click)
    # True: the key (store and SaleID) is already recorded for a sale with other
    # contents (another fingerprint): this sale was not recorded and must not be shown
    # the other sale's receipt.
    conflict: bool = False


@dataclass(frozen=True)
class StepRecord:
    n: int
    kind: str
    state: str
    result: Any            # JSON value stored with the step (results, snapshots)
    error: str | None
    problems: int          # lines inside a done step that failed (e.g. No Item Found)


@dataclass(frozen=True)
class SaleRecord:
    sale_key: str
    store_id: str
    pos_sale_id: str | None
    status: str
    phase: str
    received_at: dt.datetime
    sale: dict             # the printable (redacted) form of the LegacySale
    plan: Plan
    steps: tuple[StepRecord, ...]
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    receipt: dict | None

    @property
    def open_steps(self) -> tuple[StepRecord, ...]:
        return tuple(s for s in self.steps if s.state in OPEN_STATES)


def derive_status(steps: list[tuple[str, str, int]]) -> str:
    """A sale's status from its steps' (kind, state, problems)."""
    states = {state for _, state, _ in steps}
    if states & set(OPEN_STATES):
        return SALE_PENDING
    if GIVEN_UP in states:
        return SALE_GIVEN_UP
    if SKIPPED in states:
        return SKIPPED
    troubled = FAILED in states or any(p for _, _, p in steps)
    if not troubled:
        return SALE_DELIVERED
    # Something failed: did anything besides finding the customer get through?
    delivered = any(state == DONE and kind != CUSTOMER for kind, state, _ in steps)
    return SALE_PARTIAL if delivered else SALE_FAILED


class SalesJournal(JournalBase):
    """Sales, steps, leases and receipts."""

    # -- recording and reading sales ---------------------------------------------------
    def new_sale_key(self, store_id: str) -> str:
        """A new sale key `<store>-B<id>` for a sale without SaleID; the id sorts by time
        (48-bit milliseconds, then 30 random bits, Crockford base32)."""
        value = (int(time.time() * 1000) << 30) | _secrets.randbits(30)
        chars = []
        for _ in range(16):
            chars.append(_CROCKFORD[value & 31])
            value >>= 5
        return f"{store_id}-B{''.join(reversed(chars))}"

    def record_sale(self, store_id: str, sale, plan: Plan, fingerprint: str,
                    received_at: dt.datetime, phase: str = "rest", *,
                    dedupe_window: float = 120.0, force_new: bool = False,
                    first_attempt_at: dt.datetime | None = None) -> RecordResult:
        """Store a sale with its plan and every step, in one transaction, before anything
        is sent. Returns the existing sale instead (created False) when the plan's key is
        already recorded (same store and SaleID; `conflict` True when that sale's
        fingerprint differs, i.e. the SaleID was reused for another sale, which is then
        not recorded) or, for a sale without SaleID, when an
        identical sale (same fingerprint) was received within `dedupe_window` seconds,
        unless `force_new` ("send again as a new sale"). Sales of phase passthrough or
        shadow are recorded with their steps `skipped`; they are never delivered.

        The sale is due for the retry worker from `first_attempt_at` (default: at once);
        a button request that delivers it itself passes received_at + its deadline."""
        if plan.store_id != store_id:
            raise ValueError("the plan belongs to another store")
        received = timestamp(received_at)
        step_state = PENDING if phase == "rest" else SKIPPED
        with self._write() as conn:
            row = conn.execute("SELECT sale_key, fingerprint FROM sales WHERE sale_key = ?",
                               (plan.sale_key,)).fetchone()
            if row is not None:
                return RecordResult(row["sale_key"], False,
                                    conflict=row["fingerprint"] != fingerprint)
            if sale.sale_id is None and not force_new:
                row = conn.execute(
                    "SELECT sale_key FROM sales WHERE store_id = ? AND fingerprint = ?"
                    " AND pos_sale_id IS NULL AND received_at >= ?"
                    " ORDER BY received_at DESC LIMIT 1",
                    (store_id, fingerprint, received - dedupe_window)).fetchone()
                if row is not None:
                    return RecordResult(row["sale_key"], False)
            conn.execute(
                "INSERT INTO sales (sale_key, store_id, pos_sale_id, fingerprint, received_at,"
                " phase, sale_json, plan_json, status, next_attempt_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (plan.sale_key, store_id, sale.sale_id, fingerprint, received, phase,
                 to_json(sale.to_printable()), to_json(plan.to_dict()),
                 SALE_PENDING if phase == "rest" else phase,
                 (timestamp(first_attempt_at) if first_attempt_at else received)
                 if phase == "rest" else None, time.time()))
            for step in plan.steps:
                conn.execute(
                    "INSERT INTO steps (sale_key, n, kind, state, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (plan.sale_key, step.n, step.kind, step_state, time.time()))
            if phase == "rest" and not plan.steps:
                self._refresh_status(conn, plan.sale_key)
        return RecordResult(plan.sale_key, True)

    def get_sale(self, sale_key: str) -> SaleRecord | None:
        """The sale with its plan, steps and receipt, or None."""
        conn = self._conn()
        row = conn.execute("SELECT * FROM sales WHERE sale_key = ?", (sale_key,)).fetchone()
        if row is None:
            return None
        steps = conn.execute("SELECT * FROM steps WHERE sale_key = ? ORDER BY n",
                             (sale_key,)).fetchall()
        return _sale_record(row, steps)

    def sales(self, store_id: str | None = None, status: str | None = None,
              limit: int = 100, *, customer_id: str | None = None) -> list[SaleRecord]:
        """The newest sales first, optionally of one store, one status and/or one
        customer (the POS CustomerID)."""
        # The customer is picked in SQL: loading many sales to pick a few in Python costs
        # megabytes per call.
        where, args = where_equal(store_id=store_id, status=status,
                                  **{"json_extract(sale_json, '$.customer.id')": customer_id})
        keys = [r["sale_key"] for r in self._conn().execute(
            f"SELECT sale_key FROM sales {where} ORDER BY received_at DESC LIMIT ?",
            (*args, limit))]
        return [self.get_sale(k) for k in keys]

    def pending_steps(self, sale_key: str) -> tuple[StepRecord, ...]:
        """The steps still to do (pending or uncertain), in plan order."""
        rows = self._conn().execute(
            "SELECT * FROM steps WHERE sale_key = ? AND state IN (?, ?) ORDER BY n",
            (sale_key, *OPEN_STATES)).fetchall()
        return tuple(_step_record(r) for r in rows)

    # -- due sales and leases ----------------------------------------------------------
    def due_sales(self, now: dt.datetime, limit: int = 20) -> list[str]:
        """Keys of pending sales whose next attempt is due and that nobody holds."""
        t = timestamp(now)
        rows = self._conn().execute(
            "SELECT sale_key FROM sales WHERE status = ? AND next_attempt_at <= ?"
            " AND (claimed_by IS NULL OR claim_expires_at < ?)"
            " ORDER BY next_attempt_at LIMIT ?", (SALE_PENDING, t, t, limit)).fetchall()
        return [r["sale_key"] for r in rows]

    def claim_sale(self, sale_key: str, worker_id: str, lease_seconds: float,
                   now: dt.datetime | None = None) -> bool:
        """Take the sale for `lease_seconds` so no other worker or request delivers it at
        the same time. True when taken (or already held by `worker_id`, lease renewed)."""
        t = timestamp(now or utcnow())
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE sales SET claimed_by = ?, claim_expires_at = ? WHERE sale_key = ?"
                " AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at < ?)",
                (worker_id, t + lease_seconds, sale_key, worker_id, t))
            return cur.rowcount == 1

    def release_sale(self, sale_key: str, worker_id: str) -> None:
        """Give the sale back (only if `worker_id` holds it)."""
        with self._write() as conn:
            conn.execute("UPDATE sales SET claimed_by = NULL, claim_expires_at = NULL"
                         " WHERE sale_key = ? AND claimed_by = ?", (sale_key, worker_id))

    # -- steps -------------------------------------------------------------------------
    def mark_step_done(self, sale_key: str, n: int, result: Any = None, *, problems: int = 0) -> None:
        """The step was delivered; `problems` counts lines in it Astro refused."""
        self._set_step(sale_key, n, DONE, result, None, problems)

    def mark_step_failed(self, sale_key: str, n: int, error: str, result: Any = None) -> None:
        """Astro refused the step for a business reason; not retried automatically."""
        self._set_step(sale_key, n, FAILED, result, error)

    def mark_step_uncertain(self, sale_key: str, n: int, error: str, result: Any = None) -> None:
        """The step was sent but its outcome is unknown; reconcile before re-sending."""
        self._set_step(sale_key, n, UNCERTAIN, result, error)

    def mark_step_pending(self, sale_key: str, n: int, result: Any = None,
                          error: str | None = None) -> None:
        """The step is (again) to be sent; `result` keeps e.g. a pre-call snapshot."""
        self._set_step(sale_key, n, PENDING, result, error)

    def _set_step(self, sale_key, n, state, result, error, problems=0) -> None:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE steps SET state = ?, result_json = ?, error = ?, problems = ?,"
                " updated_at = ? WHERE sale_key = ? AND n = ?",
                (state, None if result is None else to_json(result), error, problems,
                 time.time(), sale_key, n))
            if cur.rowcount != 1:
                raise KeyError(f"{sale_key} step {n}")
            self._refresh_status(conn, sale_key)

    def _refresh_status(self, conn: sqlite3.Connection, sale_key: str) -> str:
        rows = conn.execute("SELECT kind, state, problems FROM steps WHERE sale_key = ?",
                            (sale_key,)).fetchall()
        status = derive_status([(r["kind"], r["state"], r["problems"]) for r in rows])
        if status == SALE_PENDING:
            conn.execute("UPDATE sales SET status = ?, updated_at = ? WHERE sale_key = ?",
                         (status, time.time(), sale_key))
        else:  # nothing left to do: off the worker's list
            conn.execute("UPDATE sales SET status = ?, next_attempt_at = NULL, updated_at = ?"
                         " WHERE sale_key = ?", (status, time.time(), sale_key))
        return status

    # -- retries -----------------------------------------------------------------------
    def schedule_retry(self, sale_key: str, at: dt.datetime, error: str | None) -> None:
        """Count an attempt that left work undone and make the sale due again at `at`."""
        with self._write() as conn:
            conn.execute("UPDATE sales SET attempts = attempts + 1, next_attempt_at = ?,"
                         " last_error = ?, updated_at = ? WHERE sale_key = ? AND status = ?",
                         (timestamp(at), error, time.time(), sale_key, SALE_PENDING))

    def give_up(self, sale_key: str, reason: str) -> list[StepRecord]:
        """Stop trying: open steps become given_up. Returns the steps given up."""
        with self._write() as conn:
            rows = conn.execute("SELECT * FROM steps WHERE sale_key = ? AND state IN (?, ?)"
                                " ORDER BY n", (sale_key, *OPEN_STATES)).fetchall()
            conn.execute("UPDATE steps SET state = ?, error = ?, updated_at = ?"
                         " WHERE sale_key = ? AND state IN (?, ?)",
                         (GIVEN_UP, reason, time.time(), sale_key, *OPEN_STATES))
            conn.execute("UPDATE sales SET last_error = ? WHERE sale_key = ?", (reason, sale_key))
            self._refresh_status(conn, sale_key)
        return [_step_record(r) for r in rows]

    def retry_sale(self, sale_key: str, now: dt.datetime | None = None) -> bool:
        """A person's Retry: failed and given-up steps become pending, the sale due now.
        True when there was something to retry."""
        with self._write() as conn:
            cur = conn.execute("UPDATE steps SET state = ?, updated_at = ? WHERE sale_key = ?"
                               " AND state IN (?, ?)",
                               (PENDING, time.time(), sale_key, FAILED, GIVEN_UP))
            if cur.rowcount == 0:
                return False
            self._refresh_status(conn, sale_key)
            conn.execute("UPDATE sales SET next_attempt_at = ?, last_error = NULL"
                         " WHERE sale_key = ?", (timestamp(now or utcnow()), sale_key))
            return True

    # -- receipts ----------------------------------------------------------------------
    def set_receipt(self, sale_key: str, receipt: dict) -> None:
        """Store the receipt data (JSON-able) the receipt page shows."""
        with self._write() as conn:
            conn.execute("UPDATE sales SET receipt_json = ?, updated_at = ? WHERE sale_key = ?",
                         (to_json(receipt), time.time(), sale_key))


def _step_record(row: sqlite3.Row) -> StepRecord:
    return StepRecord(row["n"], row["kind"], row["state"], from_json(row["result_json"]),
                      row["error"], row["problems"])


def _sale_record(row: sqlite3.Row, steps: list[sqlite3.Row]) -> SaleRecord:
    return SaleRecord(
        sale_key=row["sale_key"], store_id=row["store_id"], pos_sale_id=row["pos_sale_id"],
        status=row["status"], phase=row["phase"], received_at=from_timestamp(row["received_at"]),
        sale=from_json(row["sale_json"]), plan=Plan.from_dict(from_json(row["plan_json"])),
        steps=tuple(_step_record(s) for s in steps), attempts=row["attempts"],
        next_attempt_at=from_timestamp(row["next_attempt_at"]), last_error=row["last_error"],
        receipt=from_json(row["receipt_json"]))
