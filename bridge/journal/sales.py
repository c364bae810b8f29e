"""Sales in the journal: each sale with its plan and its steps, the steps' delivery
states, the sale's status derived from them, the leases on sales and the receipt.

Leases: whoever delivers a sale holds it (`claim_sale`, or the worker's
`claim_due_sales`) for `lease_seconds` (15 s) on the journal's clock and renews the
lease while it works (`renew_leases`, the heartbeat `holding` runs); a lease not renewed
in time is free, so the sales of a process that died are taken over within seconds, by
any bridge or worker on the journal.

Several processes may record and deliver at once (on PostgreSQL, on several hosts):
a sale's key and the double-click dedupe are unique keys (`INSERT ... ON CONFLICT`),
never a read then a write; a transaction that changes a sale's steps locks the sale
first (`_lock_sale`)."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import secrets as _secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from bridge.journal.base import (JournalBase, equal_clauses, from_json, from_micros,
                                 micros, to_json, utcnow, where)
from bridge.translate import CUSTOMER, POINTS, Plan

PENDING, DONE, FAILED, UNCERTAIN, UNDECIDED, GIVEN_UP, SKIPPED = (
    "pending", "done", "failed", "uncertain", "undecided", "given_up", "skipped")
OPEN_STATES = (PENDING, UNCERTAIN)
SALE_PENDING, SALE_DELIVERED, SALE_PARTIAL, SALE_FAILED, SALE_GIVEN_UP = (
    "pending", "delivered", "partial", "failed", "given_up")

log = logging.getLogger(__name__)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class RecordResult:
    sale_key: str
    created: bool          # False: the sale was already there (SaleID or double click)
    # True: the key (store and SaleID) is already recorded for a sale with other
    # contents (another fingerprint): this sale was not recorded and must not be shown
    # the other sale's receipt.
    conflict: bool = False
    # The sale as this call recorded it (created True): no need to read it back.
    sale: SaleRecord | None = dataclasses.field(default=None, compare=False, repr=False)


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

    def after(self, move: StepMove) -> SaleRecord:
        """The sale as the journal has it after `move` (what a read would give back)."""
        steps = tuple(StepRecord(s.n, s.kind, move.state, move.result, move.error,
                                 move.problems) if s.n == move.n else s for s in self.steps)
        return dataclasses.replace(
            self, steps=steps, status=move.status,
            next_attempt_at=self.next_attempt_at if move.status == SALE_PENDING else None)


@dataclass(frozen=True)
class StepMove:
    """What the journal wrote when it moved a step: its new state, result, error and
    problems, and the sale's status after it (`SaleRecord.after` applies it)."""
    n: int
    state: str
    result: Any
    error: str | None
    problems: int
    status: str


def derive_status(steps: list[tuple[str, str, int]]) -> str:
    """A sale's status from its steps' (kind, state, problems)."""
    states = {state for _, state, _ in steps}
    if states & set(OPEN_STATES):
        return SALE_PENDING
    if GIVEN_UP in states:
        return SALE_GIVEN_UP
    if SKIPPED in states:
        return SKIPPED
    troubled = bool(states & {FAILED, UNDECIDED}) or any(p for _, _, p in steps)
    if not troubled:
        return SALE_DELIVERED
    # Something failed: did anything besides finding the customer get through?
    delivered = any(state == DONE and kind != CUSTOMER for kind, state, _ in steps)
    return SALE_PARTIAL if delivered else SALE_FAILED


class SalesJournal(JournalBase):
    """Sales, steps, leases and receipts."""

    _beat: _Heartbeat | None      # the lease renewer, started with the first hold

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
        received = micros(received_at)
        step_state = PENDING if phase == "rest" else SKIPPED
        with self._write() as conn:
            if sale.sale_id is None:
                # The (store, fingerprint) key names the latest such sale; a new sale
                # takes it over only once the window has passed (or to send again).
                # Identical clicks at once on several bridges: one insert wins, the
                # others wait for it and find its sale.
                won = conn.execute(
                    "INSERT INTO sale_fingerprints (store_id, fingerprint, sale_key,"
                    " received_at_us) VALUES (?, ?, ?, ?) ON CONFLICT (store_id, fingerprint)"
                    " DO UPDATE SET sale_key = excluded.sale_key,"
                    " received_at_us = excluded.received_at_us"
                    " WHERE sale_fingerprints.received_at_us < ? RETURNING sale_key",
                    (store_id, fingerprint, plan.sale_key, received,
                     received + 1 if force_new else received - round(dedupe_window * 1e6))
                ).fetchone()
                if won is None and not force_new:
                    row = conn.execute("SELECT sale_key FROM sale_fingerprints"
                                       " WHERE store_id = ? AND fingerprint = ?",
                                       (store_id, fingerprint)).fetchone()
                    return RecordResult(row["sale_key"], False)
            sale_json, plan_json = to_json(sale.to_printable()), to_json(plan.to_dict())
            status = SALE_PENDING if phase == "rest" else phase
            due = ((micros(first_attempt_at) if first_attempt_at else received)
                   if phase == "rest" else None)
            created = conn.execute(
                "INSERT INTO sales (sale_key, store_id, pos_sale_id, fingerprint,"
                " received_at_us, phase, sale_json, plan_json, status, next_attempt_at_us,"
                " updated_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (sale_key) DO NOTHING RETURNING sale_key",
                (plan.sale_key, store_id, sale.sale_id, fingerprint, received, phase,
                 sale_json, plan_json, status, due, micros(utcnow()))).fetchone()
            if created is None:         # the SaleID is recorded already
                row = conn.execute("SELECT fingerprint FROM sales WHERE sale_key = ?",
                                   (plan.sale_key,)).fetchone()
                return RecordResult(plan.sale_key, False,
                                    conflict=row["fingerprint"] != fingerprint)
            now = micros(utcnow())
            conn.executemany(
                "INSERT INTO steps (sale_key, n, kind, state, updated_at_us)"
                " VALUES (?, ?, ?, ?, ?)",
                [(plan.sale_key, step.n, step.kind, step_state, now) for step in plan.steps])
            if phase == "rest":
                # The customer's awards are sent one at a time, in this order.
                conn.executemany(
                    "INSERT INTO points_queue (store_id, customer_id, sale_key, n)"
                    " VALUES (?, ?, ?, ?)",
                    [(store_id, step.customer_id, plan.sale_key, step.n)
                     for step in plan.steps if step.kind == POINTS])
            if phase == "rest" and not plan.steps:
                status = self._refresh_status(conn, plan.sale_key)
                due = None if status != SALE_PENDING else due
        # What a read of it would give back, built from what was written.
        recorded = SaleRecord(
            sale_key=plan.sale_key, store_id=store_id, pos_sale_id=sale.sale_id,
            status=status, phase=phase, received_at=from_micros(received),
            sale=from_json(sale_json), plan=_plan(plan_json),
            steps=tuple(StepRecord(step.n, step.kind, step_state, None, None, 0)
                        for step in sorted(plan.steps, key=lambda step: step.n)),
            attempts=0, next_attempt_at=from_micros(due), last_error=None, receipt=None)
        return RecordResult(plan.sale_key, True, sale=recorded)

    def get_sale(self, sale_key: str) -> SaleRecord | None:
        """The sale with its plan, steps and receipt, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM sales WHERE sale_key = ?",
                               (sale_key,)).fetchone()
            if row is None:
                return None
            steps = conn.execute("SELECT * FROM steps WHERE sale_key = ? ORDER BY n",
                                 (sale_key,)).fetchall()
        return _sale_record(row, steps)

    def known_sale(self, sale_key: str) -> SaleRecord:
        """The sale, which the caller knows was recorded; KeyError(sale_key) if not."""
        sale = self.get_sale(sale_key)
        if sale is None:
            raise KeyError(sale_key)
        return sale

    def sales(self, store_id: str | None = None, status: str | None = None,
              limit: int = 100, *, customer_id: str | None = None) -> list[SaleRecord]:
        """The newest sales first, optionally of one store, one status and/or one
        customer (the POS CustomerID)."""
        # The customer is picked in SQL: loading many sales to pick a few in Python costs
        # megabytes per call.
        clauses, args = equal_clauses(store_id=store_id, status=status, **{
            self._backend.json_text("sale_json", "customer", "id"): customer_id})
        with self._read() as conn:
            keys = [r["sale_key"] for r in conn.execute(
                f"SELECT sale_key FROM sales {where(clauses)} ORDER BY received_at_us DESC"
                " LIMIT ?",
                (*args, limit)).fetchall()]
        # A sale deleted between the two reads is left out.
        return [sale for k in keys if (sale := self.get_sale(k)) is not None]

    def pending_steps(self, sale_key: str) -> tuple[StepRecord, ...]:
        """The steps still to do (pending or uncertain), in plan order."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM steps WHERE sale_key = ? AND state IN (?, ?) ORDER BY n",
                (sale_key, *OPEN_STATES)).fetchall()
        return tuple(_step_record(r) for r in rows)

    def backlog(self, now: dt.datetime) -> tuple[dict, dict, dict, float]:
        """What is left to do, for the metrics: (pending, uncertain, undecided) as
        store -> number of sales, and the seconds the longest-waiting due sale has been
        due at `now` (0 when none is)."""
        counts: tuple[dict, dict, dict] = ({}, {}, {})
        with self._read() as conn:
            for r in conn.execute("SELECT store_id, COUNT(*) FROM sales WHERE status = ?"
                                  " GROUP BY store_id", (SALE_PENDING,)).fetchall():
                counts[0][r[0]] = r[1]
            for r in conn.execute(
                    "SELECT s.store_id, t.state, COUNT(DISTINCT s.sale_key) FROM steps AS t"
                    " JOIN sales AS s ON s.sale_key = t.sale_key WHERE t.state IN (?, ?)"
                    " GROUP BY s.store_id, t.state", (UNCERTAIN, UNDECIDED)).fetchall():
                counts[1 if r[1] == UNCERTAIN else 2][r[0]] = r[2]
            oldest = conn.execute("SELECT MIN(next_attempt_at_us) FROM sales"
                                  " WHERE status = ? AND next_attempt_at_us <= ?",
                                  (SALE_PENDING, micros(now))).fetchone()[0]
        lag = 0.0 if oldest is None else max(0.0, (micros(now) - oldest) / 1e6)
        return (*counts, lag)

    # -- due sales and leases ----------------------------------------------------------
    def due_sales(self, now: dt.datetime, limit: int = 20) -> list[str]:
        """Keys of pending sales whose next attempt is due at `now` and that nobody holds
        (no lease, or one that ran out on the journal's clock), oldest sale first: a
        customer's earlier sale, which the later ones' points wait for, goes first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT sale_key FROM sales WHERE status = ? AND next_attempt_at_us <= ?"
                " AND (claimed_by IS NULL OR claim_expires_at_us < ?)"
                " ORDER BY received_at_us LIMIT ?",
                (SALE_PENDING, micros(now), self._now_us(conn), limit)).fetchall()
        return [r["sale_key"] for r in rows]

    def claim_due_sales(self, now: dt.datetime, holder: str, limit: int = 20) -> list[str]:
        """Claim for `holder` (as `claim_sale` does) up to `limit` of the sales
        `due_sales` lists, in one statement, and return their keys, oldest sale first.
        Workers of several bridges get different sales: a sale another one is claiming
        at this moment is skipped, not waited for (PostgreSQL: SKIP LOCKED). The caller
        releases the ones it does not deliver."""
        with self._write() as conn:
            t = self._now_us(conn)
            rows = conn.execute(
                "UPDATE sales SET claimed_by = ?, claim_expires_at_us = ? WHERE sale_key IN ("
                " SELECT sale_key FROM sales WHERE status = ? AND next_attempt_at_us <= ?"
                " AND (claimed_by IS NULL OR claim_expires_at_us < ?)"
                f" ORDER BY received_at_us LIMIT ?{self._backend.skip_locked})"
                " RETURNING sale_key, received_at_us",
                (holder, t + self._lease_us(), SALE_PENDING, micros(now), t, limit)).fetchall()
        return [r["sale_key"] for r in sorted(rows, key=lambda r: (r[1], r[0]))]

    def claim_sale(self, sale_key: str, holder: str) -> bool:
        """Take the sale for `lease_seconds` so nobody else delivers it at the same time.
        True when taken (or already held by `holder`: the lease is renewed)."""
        with self._write() as conn:
            t = self._now_us(conn)
            cur = conn.execute(
                "UPDATE sales SET claimed_by = ?, claim_expires_at_us = ? WHERE sale_key = ?"
                " AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at_us < ?)",
                (holder, t + self._lease_us(), sale_key, holder, t))
            return cur.rowcount == 1

    def _lease_us(self) -> int:
        return round(self.lease_seconds * 1e6)

    def renew_leases(self, leases: Iterable[tuple[str, str]]) -> list[str]:
        """Renew the leases (sale key, holder) still held, in one transaction; returns
        the keys whose lease was lost (taken over after it ran out)."""
        leases = list(leases)
        lost: list[str] = []
        if not leases:
            return lost
        with self._write() as conn:
            until = self._now_us(conn) + self._lease_us()
            for sale_key, holder in sorted(leases):    # one order: no deadlock
                cur = conn.execute("UPDATE sales SET claim_expires_at_us = ?"
                                   " WHERE sale_key = ? AND claimed_by = ?",
                                   (until, sale_key, holder))
                if cur.rowcount != 1:
                    lost.append(sale_key)
        return lost

    def release_sale(self, sale_key: str, holder: str) -> None:
        """Give the sale back (only if `holder` holds it)."""
        with self._write() as conn:
            conn.execute("UPDATE sales SET claimed_by = NULL, claim_expires_at_us = NULL"
                         " WHERE sale_key = ? AND claimed_by = ?", (sale_key, holder))

    @contextlib.contextmanager
    def holding(self, sale_key: str, holder: str, *, claimed: bool = False) -> Iterator["Hold"]:
        """Claim the sale for the block (the Hold yielded is false, holding nothing, when
        someone else holds it); the lease is renewed every `lease_seconds / 5` seconds by
        this journal's heartbeat thread until the block ends, then released. `claimed`:
        the caller has claimed it already (e.g. in the transaction that recorded it).
        `hold.release()` inside a block of `atomically` gives the lease back with that
        block's commit; the end of the block then writes nothing more."""
        hold = Hold(self, sale_key, holder)
        if not claimed and not self.claim_sale(sale_key, holder):
            hold.held = False
            yield hold
            return
        self._heartbeat().add(sale_key, holder)
        try:
            yield hold
        finally:
            self._heartbeat().remove(sale_key, holder)
            if not hold.released:
                self.release_sale(sale_key, holder)

    def still_holding(self, sale_key: str, holder: str) -> bool:
        """False once the heartbeat found the lease taken over (the holder must stop)."""
        return not self._heartbeat().lost(sale_key, holder)

    def _heartbeat(self) -> "_Heartbeat":
        with self._lock:
            beat = getattr(self, "_beat", None)
            if beat is None:
                beat = self._beat = _Heartbeat(self)
            return beat

    def close(self) -> None:
        beat = getattr(self, "_beat", None)
        if beat is not None:
            beat.stop()
            self._beat = None
        super().close()

    # -- steps -------------------------------------------------------------------------
    def mark_step_done(self, sale_key: str, n: int, result: Any = None, *,
                       problems: int = 0) -> StepMove:
        """The step was delivered; `problems` counts lines in it Astro refused."""
        return self._set_step(sale_key, n, DONE, result, None, problems)

    def mark_step_failed(self, sale_key: str, n: int, error: str,
                         result: Any = None) -> StepMove:
        """Astro refused the step for a business reason; not retried automatically."""
        return self._set_step(sale_key, n, FAILED, result, error)

    def mark_step_uncertain(self, sale_key: str, n: int, error: str,
                            result: Any = None) -> StepMove:
        """The step was sent but its outcome is unknown; reconcile before re-sending."""
        return self._set_step(sale_key, n, UNCERTAIN, result, error)

    def mark_step_undecided(self, sale_key: str, n: int, error: str,
                            result: Any = None) -> StepMove:
        """Whether the (points) step happened cannot be told from Astro: a person decides
        (`decide_points`); no retry sends it."""
        return self._set_step(sale_key, n, UNDECIDED, result, error)

    def mark_step_pending(self, sale_key: str, n: int, result: Any = None,
                          error: str | None = None) -> StepMove:
        """The step is (again) to be sent; `result` keeps e.g. a pre-call snapshot."""
        return self._set_step(sale_key, n, PENDING, result, error)

    def _set_step(self, sale_key, n, state, result, error, problems=0) -> StepMove:
        with self._write() as conn:
            self._lock_sale(conn, sale_key)
            return self._update_step(conn, sale_key, n, state, result, error, problems)

    def _update_step(self, conn, sale_key, n, state, result, error, problems=0) -> StepMove:
        """Set one step's state inside the caller's transaction (which locked the sale),
        and what follows from it: the sale's status and, for points, the customer's
        turn."""
        text = None if result is None else to_json(result)
        row = conn.execute(
            "UPDATE steps SET state = ?, result_json = ?, error = ?, problems = ?,"
            " updated_at_us = ? WHERE sale_key = ? AND n = ? RETURNING kind",
            (state, text, error, problems, micros(utcnow()), sale_key, n)).fetchone()
        if row is None:
            raise KeyError(f"{sale_key} step {n}")
        kind = row["kind"]
        self._step_moved(conn, sale_key, n, kind, state)
        return StepMove(n, state, from_json(text), error, problems,
                        self._status_after_step(conn, sale_key, state))

    def _step_moved(self, conn, sale_key: str, n: int, kind: str, state: str) -> None:
        """Hook: a step of `kind` is now in `state` (inside the transaction)."""

    def _status_after_step(self, conn, sale_key: str, state: str) -> str:
        """The sale's status once one of its steps is in `state`, written only when that
        step can have changed it (the status always follows the steps, so it was right
        before): an open step makes the sale pending; a closed one changes it only when
        no other step is open."""
        if state in OPEN_STATES:
            return self._write_status(conn, sale_key, SALE_PENDING)
        status = self._derived_status(conn, sale_key)
        if status == SALE_PENDING:
            return status       # another step is open: it was pending, and still is
        return self._write_status(conn, sale_key, status)

    def _refresh_status(self, conn, sale_key: str) -> str:
        return self._write_status(conn, sale_key, self._derived_status(conn, sale_key))

    def _derived_status(self, conn, sale_key: str) -> str:
        rows = conn.execute("SELECT kind, state, problems FROM steps WHERE sale_key = ?",
                            (sale_key,)).fetchall()
        return derive_status([(r["kind"], r["state"], r["problems"]) for r in rows])

    def _write_status(self, conn, sale_key: str, status: str) -> str:
        if status == SALE_PENDING:   # a pending sale's row is left as it is
            conn.execute("UPDATE sales SET status = ?, updated_at_us = ? WHERE sale_key = ?"
                         " AND status <> ?", (status, micros(utcnow()), sale_key, status))
        else:  # nothing left to do: off the worker's list
            conn.execute("UPDATE sales SET status = ?, next_attempt_at_us = NULL,"
                         " updated_at_us = ? WHERE sale_key = ?",
                         (status, micros(utcnow()), sale_key))
        return status

    # -- retries -----------------------------------------------------------------------
    def schedule_retry(self, sale_key: str, at: dt.datetime, error: str | None, *,
                       counted: bool = True) -> None:
        """Make the sale due again at `at`; `counted`: an attempt that left work undone
        (the backoff grows with them), not a wait for another sale."""
        with self._write() as conn:
            conn.execute("UPDATE sales SET attempts = attempts + ?, next_attempt_at_us = ?,"
                         " last_error = ?, updated_at_us = ? WHERE sale_key = ? AND status = ?",
                         (1 if counted else 0, micros(at), error, micros(utcnow()), sale_key,
                          SALE_PENDING))

    def give_up(self, sale_key: str, reason: str) -> list[StepRecord]:
        """Stop trying: open steps become given_up, except an uncertain (points) step,
        which becomes undecided: only a person may say whether it happened. Returns the
        steps given up, in the state they had."""
        with self._write() as conn:
            self._lock_sale(conn, sale_key)
            rows = conn.execute("SELECT * FROM steps WHERE sale_key = ? AND state IN (?, ?)"
                                " ORDER BY n", (sale_key, *OPEN_STATES)).fetchall()
            for r in rows:
                self._update_step(conn, sale_key, r["n"],
                                  UNDECIDED if r["state"] == UNCERTAIN else GIVEN_UP,
                                  from_json(r["result_json"]), reason)
            conn.execute("UPDATE sales SET last_error = ? WHERE sale_key = ?", (reason, sale_key))
            self._refresh_status(conn, sale_key)
        return [_step_record(r) for r in rows]

    def retry_sale(self, sale_key: str, now: dt.datetime | None = None) -> bool:
        """A person's Retry: failed and given-up steps become pending, the sale due now.
        An undecided step is left alone: it may have happened (see `decide_points`).
        True when there was something to retry."""
        with self._write() as conn:
            self._lock_sale(conn, sale_key)
            cur = conn.execute("UPDATE steps SET state = ?, updated_at_us = ? WHERE sale_key = ?"
                               " AND state IN (?, ?)",
                               (PENDING, micros(utcnow()), sale_key, FAILED, GIVEN_UP))
            if cur.rowcount == 0:
                return False
            self._refresh_status(conn, sale_key)
            conn.execute("UPDATE sales SET next_attempt_at_us = ?, last_error = NULL"
                         " WHERE sale_key = ?", (micros(now or utcnow()), sale_key))
            return True

    def retry_with_customer(self, sale_key: str, customer: dict, plan: Plan,
                            now: dt.datetime | None = None) -> bool:
        """A sale whose customer Astro refused, to be sent again with the customer as the
        POS gives it now (`customer`: the printable customer; `plan`: the sale's plan
        with that customer, every id the same): both stored, the failed steps pending,
        the sale due now. False (nothing changed) unless its customer step failed."""
        with self.atomically(), self._write() as conn:
            self._lock_sale(conn, sale_key)
            row = conn.execute("SELECT sale_json, plan_json FROM sales WHERE sale_key = ?",
                               (sale_key,)).fetchone()
            failed = conn.execute("SELECT 1 FROM steps WHERE sale_key = ? AND kind = ?"
                                  " AND state = ?", (sale_key, CUSTOMER, FAILED)).fetchone()
            if row is None or failed is None:
                return False
            if Plan.from_dict(from_json(row["plan_json"])).transaction_ids() != \
                    plan.transaction_ids():
                raise ValueError("the corrected plan must keep the sale's ids")
            printable = {**from_json(row["sale_json"]), "customer": customer}
            conn.execute("UPDATE sales SET sale_json = ?, plan_json = ? WHERE sale_key = ?",
                         (to_json(printable), to_json(plan.to_dict()), sale_key))
            return self.retry_sale(sale_key, now)

    # -- receipts ----------------------------------------------------------------------
    def set_receipt(self, sale_key: str, receipt: dict, *, hold: Hold | None = None) -> None:
        """Store the receipt data (JSON-able) the receipt page shows; `hold`: a Hold on
        the sale, given back in the same statement (as `hold.release()` would)."""
        holder = hold.holder if hold is not None and hold.held and not hold.released else None
        with self._write() as conn:
            # SET sees the row as it was: the lease is cleared only if `holder` held it.
            conn.execute("UPDATE sales SET receipt_json = ?, updated_at_us = ?,"
                         " claim_expires_at_us = CASE WHEN claimed_by = ? THEN NULL"
                         " ELSE claim_expires_at_us END,"
                         " claimed_by = CASE WHEN claimed_by = ? THEN NULL ELSE claimed_by END"
                         " WHERE sale_key = ?",
                         (to_json(receipt), micros(utcnow()), holder, holder, sale_key))
        if holder is not None and hold is not None:
            hold.released = True


class Hold:
    """A lease held on a sale for a `holding` block; false when it was not obtained."""

    def __init__(self, journal: "SalesJournal", sale_key: str, holder: str):
        self.journal, self.sale_key, self.holder = journal, sale_key, holder
        self.held, self.released = True, False

    def __bool__(self) -> bool:
        return self.held

    def release(self) -> None:
        """Give the sale back now (inside the caller's transaction, when there is one)."""
        if self.held and not self.released:
            self.journal.release_sale(self.sale_key, self.holder)
            self.released = True


class _Heartbeat:
    """Renews the leases a journal's holders hold, from a thread of its own, while any
    is held."""

    def __init__(self, journal: "SalesJournal"):
        self._journal = journal
        self._held: dict[tuple[str, str], int] = {}
        self._lost: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def add(self, sale_key: str, holder: str) -> None:
        with self._lock:
            self._held[(sale_key, holder)] = self._held.get((sale_key, holder), 0) + 1
            self._lost.discard((sale_key, holder))
            if self._thread is None or not self._thread.is_alive():
                self._stopped = False
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="astro-bridge-leases")
                self._thread.start()

    def remove(self, sale_key: str, holder: str) -> None:
        with self._lock:
            left = self._held.get((sale_key, holder), 0) - 1
            if left > 0:
                self._held[(sale_key, holder)] = left
            else:
                self._held.pop((sale_key, holder), None)
                self._lost.discard((sale_key, holder))

    def lost(self, sale_key: str, holder: str) -> bool:
        with self._lock:
            return (sale_key, holder) in self._lost

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _run(self) -> None:
        every = self._journal.lease_seconds / 5
        while not self._wake.wait(every):
            with self._lock:
                if self._stopped or not self._held:
                    self._thread = None
                    return
                held = list(self._held)
            try:
                lost = set(self._journal.renew_leases(held))
            except Exception:   # the next beat tries again; the lease has 4 more
                log.exception("renewing the leases on %d sale(s) failed", len(held))
                continue
            with self._lock:
                self._lost |= {(k, h) for k, h in held if k in lost}


def _step_record(row) -> StepRecord:
    return StepRecord(row["n"], row["kind"], row["state"], from_json(row["result_json"]),
                      row["error"], row["problems"])


@functools.lru_cache(maxsize=32)    # a click needs its own sale's; tills click at once
def _plan(text: str) -> Plan:
    """The Plan stored as `text`. A sale's plan is read several times a click and
    changes (almost) never: parsed once per text (a Plan is frozen: sharing it is safe)."""
    return Plan.from_dict(from_json(text))


def _sale_record(row, steps) -> SaleRecord:
    return SaleRecord(
        sale_key=row["sale_key"], store_id=row["store_id"], pos_sale_id=row["pos_sale_id"],
        status=row["status"], phase=row["phase"], received_at=from_micros(row["received_at_us"]),
        sale=from_json(row["sale_json"]), plan=_plan(row["plan_json"]),
        steps=tuple(_step_record(s) for s in steps), attempts=row["attempts"],
        next_attempt_at=from_micros(row["next_attempt_at_us"]), last_error=row["last_error"],
        receipt=from_json(row["receipt_json"]))
