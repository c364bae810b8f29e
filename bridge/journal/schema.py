"""The journal's tables, and their migration through `PRAGMA user_version`.

Each migration is a list of statements, applied in one transaction; the schema version
of a journal file is the number of migrations applied to it. A change to the schema is
a new step appended to MIGRATIONS; a step that has been released is never edited.
Statements stay portable SQL (no SQLite-only types or clauses) so the same schema can
serve a PostgreSQL backend; what SQL cannot say (classifying old rows) is a function
of the connection, run in the same transaction."""
from __future__ import annotations

import sqlite3
from typing import Callable

from bridge.journal.base import JournalError
from bridge.reasons import reason_of_old_failure


def _reasons_of_old_failures(conn: sqlite3.Connection) -> None:
    """Each failure recorded before reasons were stored gets, once, the reason the report
    used to read from its kind and message."""
    rows = conn.execute("SELECT id, kind, message FROM failures").fetchall()
    conn.executemany("UPDATE failures SET reason = ? WHERE id = ?",
                     [(reason_of_old_failure(kind, message).value, failure_id)
                      for failure_id, kind, message in rows])


MIGRATIONS: list[list[str | Callable[[sqlite3.Connection], None]]] = [
    [
        # sales and their steps (bridge.journal.sales)
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
        # the customer cache (bridge.journal.customers)
        """CREATE TABLE customers (
            store_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            astro_customer_id TEXT NOT NULL,
            remembered_at REAL NOT NULL,
            PRIMARY KEY (store_id, customer_id))""",
        # the failure report (bridge.journal.failures)
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
            hidden INTEGER NOT NULL DEFAULT 0,
            retried_at REAL)""",
        "CREATE INDEX failures_store_at ON failures (store_id, at)",
        # secrets and the health check (bridge.journal.base)
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE health (id INTEGER PRIMARY KEY, checked_at REAL NOT NULL)",
        # replay staging (dropped by a later step: bridge.replay.stage)
        """CREATE TABLE replay_stage (
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
        "CREATE INDEX replay_stage_group ON replay_stage (run_id, grp, unit, seq)",
        # phased migration: shadow outcomes and unreadable sales (bridge.journal.migration)
        """CREATE TABLE shadow_outcomes (
            sale_key TEXT PRIMARY KEY REFERENCES sales (sale_key),
            outcome_json TEXT NOT NULL,
            evaluated_at REAL NOT NULL)""",
        """CREATE TABLE unreadable_sales (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            store_id TEXT NOT NULL,
            phase TEXT NOT NULL,
            received_at REAL NOT NULL,
            problem TEXT NOT NULL)""",
        "CREATE INDEX unreadable_sales_store_at ON unreadable_sales (store_id, received_at)",
        # redemption attempts (bridge.journal.redemptions)
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
    ],
    [
        # replay: the order of a run's staged groups, computed once, so they are read
        # back page by page in short transactions (a read transaction held open for a
        # whole run kept SQLite from checkpointing: the WAL grew to gigabytes)
        """CREATE TABLE replay_order (
            run_id TEXT NOT NULL,
            pos INTEGER NOT NULL,
            grp TEXT NOT NULL,
            unit INTEGER NOT NULL,
            PRIMARY KEY (run_id, pos))""",
    ],
    [
        # failures: the reason (bridge.reasons.Reason) a line is listed under, given when
        # it is recorded instead of read from its message by the report
        "ALTER TABLE failures ADD COLUMN reason TEXT",
        _reasons_of_old_failures,
    ],
    [
        # points, exactly once (bridge.journal.points): a customer's awards are sent
        # one at a time in the order of this queue; while one is in flight (its step
        # uncertain) the customer's row names it in `turn`
        """CREATE TABLE points_queue (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            store_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            sale_key TEXT NOT NULL REFERENCES sales (sale_key),
            n INTEGER NOT NULL,
            UNIQUE (sale_key, n))""",
        "CREATE INDEX points_queue_customer ON points_queue (store_id, customer_id, seq)",
        # what the bridge knows of each customer's points: the balance and the ids of
        # the points transactions it sums, from the last read or award (times in
        # integer microseconds: exact on every backend)
        """CREATE TABLE customer_points (
            store_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            balance INTEGER,
            transaction_ids TEXT NOT NULL,
            taken_at_us INTEGER NOT NULL,
            turn TEXT,
            PRIMARY KEY (store_id, customer_id))""",
        "CREATE INDEX customer_points_turn ON customer_points (turn)",
        # which sale each points transaction the bridge made belongs to
        """CREATE TABLE points_awards (
            store_id TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            points_transaction_id TEXT NOT NULL,
            sale_key TEXT NOT NULL,
            dollar_amount TEXT NOT NULL,
            points INTEGER,
            at_us INTEGER NOT NULL,
            PRIMARY KEY (store_id, customer_id, points_transaction_id))""",
        "CREATE INDEX points_awards_store ON points_awards (store_id, at_us)",
        # points steps an earlier version failed or gave up after sending them are
        # undecided: a person says whether they were awarded, no retry re-sends them
        """UPDATE steps SET state = 'undecided' WHERE kind = 'points' AND (
            (state = 'failed' AND error LIKE 'points may or may not have been awarded%')
            OR (state = 'given_up' AND result_json LIKE '%"snapshot"%'))""",
    ],
    [
        # replay stages its input in a scratch file of its own (bridge.replay.stage), no
        # longer in the journal: what older runs left staged here is of no use
        "DROP TABLE IF EXISTS replay_order",
        "DROP TABLE IF EXISTS replay_stage",
    ],
]


def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Bring the journal file at `path` to the current schema; call it inside one write
    transaction. Raises JournalError for a file newer than this code."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise JournalError(f"{path}: schema version {version} is newer than "
                           f"this astro-bridge ({len(MIGRATIONS)})")
    for number in range(version, len(MIGRATIONS)):
        for statement in MIGRATIONS[number]:
            if callable(statement):
                statement(conn)
            else:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
