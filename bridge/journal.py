"""The journal: every sale, its plan and delivery state, the customer cache, the failure
report and generated secrets. The only module with SQL.

SQLite in WAL mode; one connection per thread; every write is one explicit transaction;
the schema is created and migrated through `PRAGMA user_version`. The interface speaks
in domain values (plans, steps, failures, aware datetimes), never SQL, so a PostgreSQL
backend can be added behind the same methods.

Public interface (times are aware datetimes; stored as UTC epoch seconds)::

    j = Journal(path)                        # creates/migrates the file; j.close()
    j.new_sale_key(store_id) -> "<store>-B<time-sortable id>"
    j.record_sale(store_id, sale, plan, fingerprint, received_at, phase="rest",
                  *, dedupe_window=120, force_new=False, first_attempt_at=None)
                  -> RecordResult(sale_key, created)
    j.get_sale(key) -> SaleRecord | None     j.sales(store_id=None, status=None, limit=100)
    j.pending_steps(key) -> tuple[StepRecord] (states pending and uncertain, in order)
    j.due_sales(now, limit) -> list[str]     j.claim_sale(key, worker_id, lease_seconds, now)
    j.release_sale(key, worker_id)
    j.mark_step_done(key, n, result=None, *, problems=0)   # problems: failed lines inside
    j.mark_step_failed(key, n, error, result=None)         # business failure, final
    j.mark_step_uncertain(key, n, error, result=None)      # points maybe applied
    j.mark_step_pending(key, n, result=None, error=None)   # (back) to pending, e.g. snapshot
    j.schedule_retry(key, at, error)         j.give_up(key, reason)
    j.retry_sale(key, now)                   # person's Retry: failed/given_up -> pending
    j.set_receipt(key, receipt)
    j.known_customer(store_id, customer_id) -> astro_customer_id | None
    j.remember_customer(store_id, customer_id, astro_customer_id, at=None)
    j.record_failure(store_id, kind, message, ...) -> id
    j.failures(store=None, since=None, reason=None, kind=None, include_hidden=False)
    j.hide_failure(id) -> bool               j.mark_failure_retried(id, at=None) -> bool
    j.retried_failure_ids(since=None) -> set[int]
    j.secret(name) -> str                    j.health_check() -> bool

Step states: pending, done, failed (business reason; final until a person retries),
uncertain (sent, outcome unknown: reconcile before any re-send), given_up, skipped
(phase passthrough/shadow: recorded, not sent). Sale status, derived from its steps
whenever one changes: pending (something left to do), delivered (all done, no failed
line), partial (something failed, something delivered), failed (nothing but the
customer step got through), given_up, or the phase name for passthrough/shadow sales.

What is stored of a sale is its printable form (`LegacySale.to_printable()`): never the
button's password.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import secrets as _secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from bridge.translate import CUSTOMER, Plan

PENDING, DONE, FAILED, UNCERTAIN, GIVEN_UP, SKIPPED = (
    "pending", "done", "failed", "uncertain", "given_up", "skipped")
STEP_STATES = (PENDING, DONE, FAILED, UNCERTAIN, GIVEN_UP, SKIPPED)
OPEN_STATES = (PENDING, UNCERTAIN)
SALE_PENDING, SALE_DELIVERED, SALE_PARTIAL, SALE_FAILED, SALE_GIVEN_UP = (
    "pending", "delivered", "partial", "failed", "given_up")
FAILURE_KINDS = ("transaction", "redemption", "customer", "points")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Each migration is a list of statements, applied in one transaction; the schema version
# is the number of migrations applied (PRAGMA user_version).
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE sales (
            sale_key TEXT PRIMARY KEY,
            store_id TEXT NOT NULL,
            pos_sale_id TEXT,
            fingerprint TEXT NOT NULL,
            received_at REAL NOT NULL,
            phase TEXT NOT NULL,
            sale_json TEXT NOT NULL,
            plan_json TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            last_error TEXT,
            claimed_by TEXT,
            claim_expires_at REAL,
            receipt_json TEXT,
            updated_at REAL NOT NULL)""",
        "CREATE INDEX sales_due ON sales (status, next_attempt_at)",
        "CREATE INDEX sales_fingerprint ON sales (store_id, fingerprint, received_at)",
        """CREATE TABLE steps (
            sale_key TEXT NOT NULL REFERENCES sales (sale_key),
            n INTEGER NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            problems INTEGER NOT NULL DEFAULT 0,
            result_json TEXT,
            error TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (sale_key, n))""",
        """CREATE TABLE customers (
            store_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            astro_customer_id TEXT NOT NULL,
            remembered_at REAL NOT NULL,
            PRIMARY KEY (store_id, customer_id))""",
        """CREATE TABLE failures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            store_id TEXT NOT NULL,
            sale_key TEXT,
            customer_id TEXT,
            item_code TEXT,
            description TEXT,
            transaction_id TEXT,
            at REAL NOT NULL,
            endpoint TEXT,
            status_code INTEGER,
            message TEXT NOT NULL,
            kind TEXT NOT NULL,
            hidden INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX failures_store_at ON failures (store_id, at)",
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE health (id INTEGER PRIMARY KEY, checked_at REAL NOT NULL)",
    ],
    # 2: replay staging (the "Replay staging" section of Journal; owner: bridge.replay).
    [
        """CREATE TABLE IF NOT EXISTS replay_stage (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            grp TEXT NOT NULL,
            unit INTEGER NOT NULL,
            customer TEXT NOT NULL,
            day TEXT NOT NULL,
            file TEXT NOT NULL,
            line INTEGER NOT NULL,
            payload TEXT,
            error TEXT,
            PRIMARY KEY (run_id, seq))""",
        "CREATE INDEX IF NOT EXISTS replay_stage_group ON replay_stage (run_id, grp, unit, seq)",
    ],
]


class JournalError(RuntimeError):
    """The journal cannot be used (file not writable, schema newer than this code)."""


@dataclass(frozen=True)
class RecordResult:
    sale_key: str
    created: bool          # False: the sale was already there (SaleID or double click)


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

    def step(self, n: int) -> StepRecord:
        return self.steps[n]

    @property
    def open_steps(self) -> tuple[StepRecord, ...]:
        return tuple(s for s in self.steps if s.state in OPEN_STATES)


@dataclass(frozen=True)
class Failure:
    id: int
    store_id: str
    sale_key: str | None
    customer_id: str | None
    item_code: str | None
    description: str | None
    transaction_id: str | None
    at: dt.datetime
    endpoint: str | None
    status_code: int | None
    message: str
    kind: str              # transaction | redemption | customer | points
    hidden: bool
    retried_at: dt.datetime | None = None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Journal:
    """The durable record of sales and their delivery. Thread-safe."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._migrate()

    # -- connections and transactions --------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.Error as e:
                raise JournalError(f"cannot open the journal {self.path}: {e}") from None
            self._local.conn = conn
            with self._lock:
                self._connections.append((threading.current_thread(), conn))
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken at BEGIN so two writers never
        both read-then-write the same rows."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection and those of threads that have ended.

        A connection another live thread may be using is not closed under it (closing a
        SQLite connection in use from another thread can crash the process): it is let
        go, and closes when that thread drops it. The journal stays usable: the next call
        in any thread opens a new connection."""
        me = threading.current_thread()
        with self._lock:
            for thread, conn in self._connections:
                if thread is me or not thread.is_alive():
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _migrate(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise JournalError(f"{self.path}: schema version {version} is newer than "
                                   f"this astro-bridge ({len(MIGRATIONS)})")
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")

    # -- sales -------------------------------------------------------------------------
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
        already recorded (same store and SaleID) or, for a sale without SaleID, when an
        identical sale (same fingerprint) was received within `dedupe_window` seconds,
        unless `force_new` ("send again as a new sale"). Sales of phase passthrough or
        shadow are recorded with their steps `skipped`; they are never delivered.

        The sale is due for the retry worker from `first_attempt_at` (default: at once);
        a button request that delivers it itself passes received_at + its deadline."""
        if plan.store_id != store_id:
            raise ValueError("the plan belongs to another store")
        received = _ts(received_at)
        step_state = PENDING if phase == "rest" else SKIPPED
        with self._write() as conn:
            row = conn.execute("SELECT sale_key FROM sales WHERE sale_key = ?",
                               (plan.sale_key,)).fetchone()
            if row is not None:
                return RecordResult(row["sale_key"], False)
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
                 _dumps(sale.to_printable()), _dumps(plan.to_dict()),
                 SALE_PENDING if phase == "rest" else phase,
                 (_ts(first_attempt_at) if first_attempt_at else received)
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
              limit: int = 100) -> list[SaleRecord]:
        """The newest sales first, optionally of one store and/or one status."""
        where, args = _where(store_id=store_id, status=status)
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

    def due_sales(self, now: dt.datetime, limit: int = 20) -> list[str]:
        """Keys of pending sales whose next attempt is due and that nobody holds."""
        t = _ts(now)
        rows = self._conn().execute(
            "SELECT sale_key FROM sales WHERE status = ? AND next_attempt_at <= ?"
            " AND (claimed_by IS NULL OR claim_expires_at < ?)"
            " ORDER BY next_attempt_at LIMIT ?", (SALE_PENDING, t, t, limit)).fetchall()
        return [r["sale_key"] for r in rows]

    def claim_sale(self, sale_key: str, worker_id: str, lease_seconds: float,
                   now: dt.datetime | None = None) -> bool:
        """Take the sale for `lease_seconds` so no other worker or request delivers it at
        the same time. True when taken (or already held by `worker_id`, lease renewed)."""
        t = _ts(now or utcnow())
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
                (state, None if result is None else _dumps(result), error, problems,
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

    def schedule_retry(self, sale_key: str, at: dt.datetime, error: str | None) -> None:
        """Count an attempt that left work undone and make the sale due again at `at`."""
        with self._write() as conn:
            conn.execute("UPDATE sales SET attempts = attempts + 1, next_attempt_at = ?,"
                         " last_error = ?, updated_at = ? WHERE sale_key = ? AND status = ?",
                         (_ts(at), error, time.time(), sale_key, SALE_PENDING))

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
                         " WHERE sale_key = ?", (_ts(now or utcnow()), sale_key))
            return True

    def set_receipt(self, sale_key: str, receipt: dict) -> None:
        """Store the receipt data (JSON-able) the receipt page shows."""
        with self._write() as conn:
            conn.execute("UPDATE sales SET receipt_json = ?, updated_at = ? WHERE sale_key = ?",
                         (_dumps(receipt), time.time(), sale_key))

    # -- customers ---------------------------------------------------------------------
    def known_customer(self, store_id: str, customer_id: str) -> str | None:
        """The astro_customer_id of a customer this bridge has already linked, or None."""
        row = self._conn().execute(
            "SELECT astro_customer_id FROM customers WHERE store_id = ? AND customer_id = ?",
            (store_id, customer_id)).fetchone()
        return None if row is None else row["astro_customer_id"]

    def remember_customer(self, store_id: str, customer_id: str, astro_customer_id: str,
                          at: dt.datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO customers (store_id, customer_id, astro_customer_id, remembered_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (store_id, customer_id) DO UPDATE"
                " SET astro_customer_id = excluded.astro_customer_id,"
                " remembered_at = excluded.remembered_at",
                (store_id, customer_id, astro_customer_id or "", _ts(at or utcnow())))

    # -- failure report ----------------------------------------------------------------
    def record_failure(self, store_id: str, kind: str, message: str, *,
                       sale_key: str | None = None, customer_id: str | None = None,
                       item_code: str | None = None, description: str | None = None,
                       transaction_id: str | None = None, endpoint: str | None = None,
                       status_code: int | None = None, at: dt.datetime | None = None) -> int:
        """Add a line to the failure report; returns its id."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO failures (store_id, sale_key, customer_id, item_code, description,"
                " transaction_id, at, endpoint, status_code, message, kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (store_id, sale_key, customer_id, item_code, description, transaction_id,
                 _ts(at or utcnow()), endpoint, status_code, message, kind))
            return int(cur.lastrowid)

    def failures(self, store: str | None = None, since: dt.datetime | None = None,
                 reason: str | None = None, kind: str | None = None,
                 include_hidden: bool = False, sale_key: str | None = None) -> list[Failure]:
        """Failure report lines, newest first. `reason` matches the message exactly."""
        where, args = _where(store_id=store, message=reason, kind=kind, sale_key=sale_key)
        clauses = [where] if where else []
        if since is not None:
            clauses.append(("AND" if clauses else "WHERE") + " at >= ?")
            args.append(_ts(since))
        if not include_hidden:
            clauses.append(("AND" if clauses else "WHERE") + " hidden = 0")
        rows = self._conn().execute(
            f"SELECT * FROM failures {' '.join(clauses)} ORDER BY at DESC, id DESC",
            args).fetchall()
        return [_failure(r) for r in rows]

    def hide_failure(self, failure_id: int) -> bool:
        """Hide a line of the failure report; True if it existed."""
        with self._write() as conn:
            return conn.execute("UPDATE failures SET hidden = 1 WHERE id = ?",
                                (failure_id,)).rowcount == 1

    def mark_failure_retried(self, failure_id: int, at: dt.datetime | None = None) -> bool:
        """Note that a person retried this failure line; True if it existed."""
        with self._write() as conn:
            return conn.execute("UPDATE failures SET retried_at = ? WHERE id = ?",
                                (_ts(at or utcnow()), failure_id)).rowcount == 1

    def retried_failure_ids(self, since: dt.datetime | None = None) -> set[int]:
        """Ids of failure lines (recorded at or after `since`) a person has retried."""
        query, args = "SELECT id FROM failures WHERE retried_at IS NOT NULL", []
        if since is not None:
            query += " AND at >= ?"
            args.append(_ts(since))
        return {r["id"] for r in self._conn().execute(query, args)}

    # -- misc --------------------------------------------------------------------------
    def secret(self, name: str) -> str:
        """A random secret kept in the journal under `name`, made on first use; every
        bridge process sharing this journal gets the same value."""
        with self._write() as conn:
            conn.execute("INSERT INTO secrets (name, value) VALUES (?, ?)"
                         " ON CONFLICT (name) DO NOTHING", (name, _secrets.token_urlsafe(32)))
            return conn.execute("SELECT value FROM secrets WHERE name = ?",
                                (name,)).fetchone()["value"]

    def health_check(self) -> bool:
        """True when the journal can be written now."""
        try:
            with self._write() as conn:
                conn.execute("INSERT INTO health (id, checked_at) VALUES (1, ?)"
                             " ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                             (time.time(),))
            return True
        except (sqlite3.Error, JournalError):
            return False

    # == Replay staging (owner: REPLAY; used by bridge.replay) ===========================
    # The input records of a replay run are staged here so the rows of one sale can be
    # read back together (ORDER BY), whatever their order in the files, without holding
    # a file in memory. A staged row is a tuple in STAGE_COLUMNS order.
    STAGE_COLUMNS = ("group", "unit", "customer", "day", "file", "line", "payload", "error")

    def stage_rows(self, run_id: str, rows: Iterable[Any], batch: int = 5000) -> int:
        """Append `rows` (objects with the STAGE_COLUMNS as attributes) to the stage of
        `run_id`, one transaction per `batch` rows; returns how many were staged."""
        rows = iter(rows)
        with self._write() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM replay_stage"
                               " WHERE run_id = ?", (run_id,)).fetchone()[0]
        staged = 0
        while True:
            chunk = [(run_id, seq + staged + i + 1, r.group, r.unit, r.customer, r.day,
                      r.file, r.line, r.payload, r.error)
                     for i, r in enumerate(itertools.islice(rows, batch))]
            if not chunk:
                return staged
            with self._write() as conn:
                conn.executemany(
                    "INSERT INTO replay_stage (run_id, seq, grp, unit, customer, day, file,"
                    " line, payload, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk)
            staged += len(chunk)

    def staged_group_count(self, run_id: str) -> int:
        """How many groups (sales) `staged_groups(run_id)` will yield."""
        return self._conn().execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT grp, unit FROM replay_stage"
            " WHERE run_id = ?) AS g", (run_id,)).fetchone()[0]

    def staged_groups(self, run_id: str) -> Iterator[list[tuple]]:
        """The staged rows of `run_id`, one list per group (same group and unit), the
        rows in staging order; groups ordered by their earliest day, then customer,
        group and unit. Reads on a connection of its own, so the caller may write to
        the journal (from any thread) while iterating."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            cursor = conn.execute(
                "SELECT s.grp, s.unit, s.customer, s.day, s.file, s.line, s.payload, s.error"
                " FROM (SELECT grp, unit, MIN(day) AS day, MIN(customer) AS customer"
                "       FROM replay_stage WHERE run_id = ? GROUP BY grp, unit) AS g"
                " JOIN replay_stage AS s ON s.run_id = ? AND s.grp = g.grp AND s.unit = g.unit"
                " ORDER BY g.day, g.customer, g.grp, g.unit, s.seq", (run_id, run_id))
            group: list[tuple] = []
            for row in cursor:
                if group and (row[0], row[1]) != (group[0][0], group[0][1]):
                    yield group
                    group = []
                group.append(tuple(row))
            if group:
                yield group
        finally:
            conn.close()

    def drop_stage(self, run_id: str) -> None:
        """Forget what was staged for `run_id`."""
        with self._write() as conn:
            conn.execute("DELETE FROM replay_stage WHERE run_id = ?", (run_id,))
    # == end of Replay staging =========================================================


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


def _ts(when: dt.datetime) -> float:
    if when.tzinfo is None:
        raise ValueError("journal times must carry a time zone")
    return when.timestamp()


def _dt(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.timezone.utc)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _where(**filters: Any) -> tuple[str, list]:
    pairs = [(k, v) for k, v in filters.items() if v is not None]
    if not pairs:
        return "", []
    return "WHERE " + " AND ".join(f"{k} = ?" for k, _ in pairs), [v for _, v in pairs]


def _step_record(row: sqlite3.Row) -> StepRecord:
    return StepRecord(row["n"], row["kind"], row["state"], _loads(row["result_json"]),
                      row["error"], row["problems"])


def _sale_record(row: sqlite3.Row, steps: list[sqlite3.Row]) -> SaleRecord:
    return SaleRecord(
        sale_key=row["sale_key"], store_id=row["store_id"], pos_sale_id=row["pos_sale_id"],
        status=row["status"], phase=row["phase"], received_at=_dt(row["received_at"]),
        sale=_loads(row["sale_json"]), plan=Plan.from_dict(_loads(row["plan_json"])),
        steps=tuple(_step_record(s) for s in steps), attempts=row["attempts"],
        next_attempt_at=_dt(row["next_attempt_at"]), last_error=row["last_error"],
        receipt=_loads(row["receipt_json"]))


def _failure(row: sqlite3.Row) -> Failure:
    return Failure(
        id=row["id"], store_id=row["store_id"], sale_key=row["sale_key"],
        customer_id=row["customer_id"], item_code=row["item_code"],
        description=row["description"], transaction_id=row["transaction_id"],
        at=_dt(row["at"]), endpoint=row["endpoint"], status_code=row["status_code"],
        message=row["message"], kind=row["kind"], hidden=bool(row["hidden"]),
        retried_at=_dt(row["retried_at"]))


# == Phased migration (owner: MIGRATE; used by bridge.migrate) ========================
# Sales seen under passthrough/shadow are ordinary `sales` rows with skipped steps (see
# record_sale). This block adds what the readiness report needs besides: the shadow dry
# run's outcome of such a sale, and the queries that did not parse at all (Astro got
# them through the legacy URL; REST would have refused them). The methods are attached
# to Journal here so this block stays in one place at the end of the module.
MIGRATIONS.append([
    """CREATE TABLE IF NOT EXISTS shadow_outcomes (
        sale_key TEXT PRIMARY KEY REFERENCES sales (sale_key),
        outcome_json TEXT NOT NULL,
        evaluated_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS unreadable_sales (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        store_id TEXT NOT NULL,
        phase TEXT NOT NULL,
        received_at REAL NOT NULL,
        problem TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS unreadable_sales_store_at ON unreadable_sales (store_id, received_at)",
])
MIGRATION_PHASES = ("passthrough", "shadow")


def _record_shadow_outcome(self, sale_key: str, outcome: dict,
                           at: dt.datetime | None = None) -> None:
    """Keep the shadow dry run's outcome (JSON-able, no secrets) of a recorded sale;
    a later outcome replaces an earlier one."""
    with self._write() as conn:
        conn.execute(
            "INSERT INTO shadow_outcomes (sale_key, outcome_json, evaluated_at)"
            " VALUES (?, ?, ?) ON CONFLICT (sale_key) DO UPDATE"
            " SET outcome_json = excluded.outcome_json,"
            " evaluated_at = excluded.evaluated_at",
            (sale_key, _dumps(outcome), _ts(at or utcnow())))


def _record_unreadable_sale(self, store_id: str, phase: str, problem: str,
                            received_at: dt.datetime) -> int:
    """Note a passthrough/shadow query that did not parse; `problem` is the parser's
    (redacted) message. Returns its id."""
    with self._write() as conn:
        cur = conn.execute(
            "INSERT INTO unreadable_sales (store_id, phase, received_at, problem)"
            " VALUES (?, ?, ?, ?)", (store_id, phase, _ts(received_at), problem))
        return int(cur.lastrowid)


def _migration_sales(self, store: str | None = None,
                     since: dt.datetime | None = None) -> list[dict]:
    """Every sale recorded under passthrough or shadow (oldest first), as mappings:
    id (sale key, or "unreadable-<n>"), store, phase, received_at, sale (printable
    form, None if unreadable), problem, outcome (the shadow outcome or None)."""
    def where(prefix: str) -> tuple[str, list]:
        clauses, args = [], []
        if store is not None:
            clauses.append(f"{prefix}store_id = ?")
            args.append(store)
        if since is not None:
            clauses.append(f"{prefix}received_at >= ?")
            args.append(_ts(since))
        return "".join(f" AND {c}" for c in clauses), args

    conn = self._conn()
    extra, args = where("s.")
    rows = conn.execute(
        "SELECT s.sale_key, s.store_id, s.phase, s.received_at, s.sale_json,"
        " o.outcome_json FROM sales s LEFT JOIN shadow_outcomes o"
        " ON o.sale_key = s.sale_key WHERE s.phase IN (?, ?)" + extra,
        (*MIGRATION_PHASES, *args)).fetchall()
    result = [{"id": r["sale_key"], "store": r["store_id"], "phase": r["phase"],
               "received_at": _dt(r["received_at"]), "sale": _loads(r["sale_json"]),
               "problem": None, "outcome": _loads(r["outcome_json"])} for r in rows]
    extra, args = where("")
    rows = conn.execute("SELECT * FROM unreadable_sales WHERE 1 = 1" + extra,
                        args).fetchall()
    result += [{"id": f"unreadable-{r['id']}", "store": r["store_id"], "phase": r["phase"],
                "received_at": _dt(r["received_at"]), "sale": None,
                "problem": r["problem"], "outcome": None} for r in rows]
    return sorted(result, key=lambda r: r["received_at"])


Journal.record_shadow_outcome = _record_shadow_outcome
Journal.record_unreadable_sale = _record_unreadable_sale
Journal.migration_sales = _migration_sales
# == end of Phased migration ========================================================


# == Redemptions and failure retries (owner: ADMIN; used by bridge.redeem, bridge.admin) ==
# Redemption attempts, written before anything is sent so a double submit cannot redeem
# twice, and the "retried" mark of failure report lines (a retried line leaves the
# report; a retry that fails again adds a new line). One migration step; the methods are
# attached to Journal here so this block stays in one place at the end of the module.
REDEMPTION_STATES = ("pending", "done", "failed", "uncertain")

MIGRATIONS.append([
    """CREATE TABLE redemptions (
        key TEXT PRIMARY KEY,
        store_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        sale_key TEXT,
        kind TEXT NOT NULL,
        reward_id TEXT NOT NULL,
        item_id TEXT,
        title TEXT,
        state TEXT NOT NULL,
        failure_id INTEGER,
        started_at REAL NOT NULL,
        updated_at REAL NOT NULL)""",
    "CREATE INDEX redemptions_failure ON redemptions (failure_id)",
    "ALTER TABLE failures ADD COLUMN retried_at REAL",
])


@dataclass(frozen=True)
class RedemptionRecord:
    """One redemption attempt: `state` pending (claimed, being sent), done, failed (sure
    it did not happen; may be tried again) or uncertain (sent, answer lost)."""
    key: str
    store_id: str
    customer_id: str
    sale_key: str | None
    kind: str
    reward_id: str
    item_id: str | None
    title: str | None
    state: str
    failure_id: int | None
    started_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class RedemptionClaim:
    """Answer of begin_redemption: `started` True when this caller may send now."""
    started: bool
    status: str


def _redemption(row: sqlite3.Row) -> RedemptionRecord:
    return RedemptionRecord(
        key=row["key"], store_id=row["store_id"], customer_id=row["customer_id"],
        sale_key=row["sale_key"], kind=row["kind"], reward_id=row["reward_id"],
        item_id=row["item_id"], title=row["title"], state=row["state"],
        failure_id=row["failure_id"], started_at=_dt(row["started_at"]),
        updated_at=_dt(row["updated_at"]))


def _redemption_of(self: Journal, key: str) -> RedemptionRecord | None:
    """The redemption attempt with this key, or None."""
    row = self._conn().execute("SELECT * FROM redemptions WHERE key = ?", (key,)).fetchone()
    return None if row is None else _redemption(row)


def _redemption_by_failure(self: Journal, failure_id: int) -> RedemptionRecord | None:
    """The redemption attempt whose last failure is report line `failure_id`, or None."""
    row = self._conn().execute("SELECT * FROM redemptions WHERE failure_id = ?",
                               (failure_id,)).fetchone()
    return None if row is None else _redemption(row)


def _redemptions_of_sale(self: Journal, sale_key: str) -> list[RedemptionRecord]:
    """The redemption attempts made from one receipt, oldest first."""
    rows = self._conn().execute("SELECT * FROM redemptions WHERE sale_key = ?"
                                " ORDER BY started_at", (sale_key,)).fetchall()
    return [_redemption(r) for r in rows]


def _begin_redemption(self: Journal, key: str, *, store: str, customer_id: str,
                      sale_key: str | None, kind: str, reward_id: str, item_id: str | None,
                      title: str | None, when: dt.datetime) -> RedemptionClaim:
    """Claim the redemption `key` before anything is sent: a new attempt, or one that
    failed for sure, becomes pending and `started` is True; any other state (pending,
    done, uncertain) is left alone and `started` is False. One transaction, so of two
    simultaneous submits exactly one starts."""
    t = _ts(when)
    with self._write() as conn:
        row = conn.execute("SELECT state FROM redemptions WHERE key = ?", (key,)).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO redemptions (key, store_id, customer_id, sale_key, kind,"
                " reward_id, item_id, title, state, started_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (key, store, customer_id, sale_key, kind, reward_id, item_id, title, t, t))
            return RedemptionClaim(True, "pending")
        if row["state"] != "failed":
            return RedemptionClaim(False, row["state"])
        conn.execute("UPDATE redemptions SET state = 'pending', updated_at = ? WHERE key = ?",
                     (t, key))
        return RedemptionClaim(True, "pending")


def _finish_redemption(self: Journal, key: str, state: str, *, when: dt.datetime,
                       endpoint: str | None = None, status_code: int | None = None,
                       message: str | None = None, reason: str | None = None) -> int | None:
    """Record how the attempt ended. `failed` and `uncertain` also add a Redemption
    Failure to the report (message `reason: message` when they differ) and return its id;
    a success marks the attempt's earlier failure line as retried."""
    if state not in REDEMPTION_STATES or state == "pending":
        raise ValueError(f"a redemption cannot end as {state!r}")
    failure_id = None
    with self._write() as conn:
        row = conn.execute("SELECT * FROM redemptions WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        if state == "done":
            if row["failure_id"] is not None:
                conn.execute("UPDATE failures SET retried_at = ? WHERE id = ?",
                             (_ts(when), row["failure_id"]))
        else:
            text = message or reason or state
            cur = conn.execute(
                "INSERT INTO failures (store_id, sale_key, customer_id, item_code, description,"
                " transaction_id, at, endpoint, status_code, message, kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'redemption')",
                (row["store_id"], row["sale_key"], row["customer_id"], row["item_id"],
                 row["title"], row["reward_id"], _ts(when), endpoint, status_code, text))
            failure_id = int(cur.lastrowid)
            if row["failure_id"] is not None:   # the new line replaces the old one
                conn.execute("UPDATE failures SET retried_at = ? WHERE id = ?",
                             (_ts(when), row["failure_id"]))
        conn.execute("UPDATE redemptions SET state = ?, failure_id = COALESCE(?, failure_id),"
                     " updated_at = ? WHERE key = ?", (state, failure_id, _ts(when), key))
    return failure_id


def _reopen_uncertain_redemption(self: Journal, key: str, when: dt.datetime) -> bool:
    """A person checked Astro and asks to try an uncertain redemption again: it becomes
    failed (so begin_redemption may start it). True when it was uncertain."""
    with self._write() as conn:
        return conn.execute("UPDATE redemptions SET state = 'failed', updated_at = ?"
                            " WHERE key = ? AND state = 'uncertain'",
                            (_ts(when), key)).rowcount == 1


def _mark_failure_retried(self: Journal, failure_id: int, when: dt.datetime) -> bool:
    """A person retried this report line: it leaves the list (kept in the table; a new
    line is recorded if the retry fails again). True if it existed."""
    with self._write() as conn:
        return conn.execute("UPDATE failures SET retried_at = ? WHERE id = ?",
                            (_ts(when), failure_id)).rowcount == 1


def _retried_failure_ids(self: Journal, since: dt.datetime | None = None) -> set[int]:
    """Ids of report lines a person retried (at or after `since`)."""
    sql = "SELECT id FROM failures WHERE retried_at IS NOT NULL"
    args: list = []
    if since is not None:
        sql += " AND at >= ?"
        args.append(_ts(since))
    return {r["id"] for r in self._conn().execute(sql, args)}


Journal.redemption = _redemption_of
Journal.redemption_by_failure = _redemption_by_failure
Journal.redemptions_of_sale = _redemptions_of_sale
Journal.begin_redemption = _begin_redemption
Journal.finish_redemption = _finish_redemption
Journal.reopen_uncertain_redemption = _reopen_uncertain_redemption
Journal.mark_failure_retried = _mark_failure_retried
Journal.retried_failure_ids = _retried_failure_ids
# == end of Redemptions and failure retries ===========================================
