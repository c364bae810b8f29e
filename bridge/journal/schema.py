"""The journal's tables: one list of migrations for both backends.

Each migration is a list of statements, applied in one transaction; the schema version
of a journal is the number of migrations applied to it (SQLite: `PRAGMA user_version`;
PostgreSQL: the table `schema_version`). A change to the schema is a new step appended
to MIGRATIONS; a step that has been released is never edited. Statements are portable
SQL (SQLite 3.35+ and PostgreSQL 11+); the one SQLite form the backends translate is
`INTEGER PRIMARY KEY AUTOINCREMENT` (an identity column on PostgreSQL). What SQL cannot
say (classifying old rows) is a function of the connection, run in the same
transaction.

Times are integer microseconds since the epoch (UTC), in columns named `*_us`: exact on
both backends (the first steps' REAL seconds are converted by step 5)."""
from __future__ import annotations

from typing import Callable

from bridge.journal.errors import JournalError
from bridge.reasons import reason_of_old_failure


def _reasons_of_old_failures(conn) -> None:
    """Each failure recorded before reasons were stored gets, once, the reason the report
    used to read from its kind and message."""
    rows = conn.execute("SELECT id, kind, message FROM failures").fetchall()
    conn.executemany("UPDATE failures SET reason = ? WHERE id = ?",
                     [(reason_of_old_failure(kind, message).value, failure_id)
                      for failure_id, kind, message in rows])


def _seconds_to_micros(table: str, columns: dict[str, str]) -> list[str]:
    """Statements replacing REAL epoch-second columns by exact integer microseconds:
    `columns` maps each old column to its NOT NULL-ness ("NOT NULL" or "")."""
    statements = []
    for old, null in columns.items():
        default = " DEFAULT 0" if null else ""
        statements.append(f"ALTER TABLE {table} ADD COLUMN {old}_us BIGINT {null}{default}")
    statements.append(f"UPDATE {table} SET " + ", ".join(
        f"{old}_us = CAST(ROUND({old} * 1000000) AS BIGINT)" for old in columns))
    statements += [f"ALTER TABLE {table} DROP COLUMN {old}" for old in columns]
    return statements


MIGRATIONS: list[list[str | Callable]] = [
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
        # several bridges on one journal (SQLite file or PostgreSQL): every time exact,
        # in integer microseconds (a REAL is 4 bytes on PostgreSQL)
        "DROP INDEX sales_due",
        "DROP INDEX sales_fingerprint",
        "DROP INDEX failures_store_at",
        "DROP INDEX unreadable_sales_store_at",
        *_seconds_to_micros("sales", {"received_at": "NOT NULL", "next_attempt_at": "",
                                      "claim_expires_at": "", "updated_at": "NOT NULL"}),
        *_seconds_to_micros("steps", {"updated_at": "NOT NULL"}),
        *_seconds_to_micros("customers", {"remembered_at": "NOT NULL"}),
        *_seconds_to_micros("failures", {"at": "NOT NULL", "retried_at": ""}),
        *_seconds_to_micros("health", {"checked_at": "NOT NULL"}),
        *_seconds_to_micros("shadow_outcomes", {"evaluated_at": "NOT NULL"}),
        *_seconds_to_micros("unreadable_sales", {"received_at": "NOT NULL"}),
        *_seconds_to_micros("redemptions", {"started_at": "NOT NULL",
                                            "updated_at": "NOT NULL"}),
        "CREATE INDEX sales_due ON sales (status, next_attempt_at_us)",
        "CREATE INDEX sales_received ON sales (received_at_us)",
        "CREATE INDEX failures_store_at ON failures (store_id, at_us)",
        "CREATE INDEX unreadable_sales_store_at ON unreadable_sales (store_id, received_at_us)",
        # the double-click dedupe as a unique key: the latest sale without SaleID of
        # each (store, fingerprint), taken over by a new sale only once the window has
        # passed (bridge.journal.sales.record_sale), so identical clicks on two bridges
        # are one sale
        """CREATE TABLE sale_fingerprints (
            store_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            sale_key TEXT NOT NULL,
            received_at_us BIGINT NOT NULL,
            PRIMARY KEY (store_id, fingerprint))""",
        """INSERT INTO sale_fingerprints (store_id, fingerprint, sale_key, received_at_us)
           SELECT s.store_id, s.fingerprint, s.sale_key, s.received_at_us FROM sales AS s
           WHERE s.pos_sale_id IS NULL AND NOT EXISTS (
               SELECT 1 FROM sales AS t WHERE t.store_id = s.store_id
               AND t.fingerprint = s.fingerprint AND t.pos_sale_id IS NULL
               AND (t.received_at_us > s.received_at_us OR (
                    t.received_at_us = s.received_at_us AND t.sale_key > s.sale_key)))""",
        # login guesses per address (bridge.webbase.throttle) and ended admin sessions
        # (bridge.admin.sessions), shared by every bridge on the journal
        """CREATE TABLE login_guesses (
            address TEXT PRIMARY KEY,
            record TEXT NOT NULL,
            last_seen_us BIGINT NOT NULL,
            locked_until_us BIGINT NOT NULL)""",
        "CREATE INDEX login_guesses_seen ON login_guesses (last_seen_us)",
        """CREATE TABLE ended_sessions (
            sid TEXT PRIMARY KEY,
            expires_us BIGINT NOT NULL)""",
        "CREATE INDEX ended_sessions_expires ON ended_sessions (expires_us)",
        # `astro-bridge journal copy`: which row of which source journal each numbered
        # row copied here came from (bridge.journal.copy), so a copy run again copies
        # nothing twice
        """CREATE TABLE copied_rows (
            source TEXT NOT NULL,
            tbl TEXT NOT NULL,
            source_id BIGINT NOT NULL,
            target_id BIGINT NOT NULL,
            PRIMARY KEY (source, tbl, source_id))""",
    ],
    [
        # what Astro lists (bridge.journal.programs): the programs listing each item
        # code (eligiblePurchaseItems) and those each store takes part in (listOffers),
        # so the report and the receipt tell routine `No Item Found` lines without a call
        """CREATE TABLE item_programs (
            store_id TEXT NOT NULL,
            item_code TEXT NOT NULL,
            programs_json TEXT NOT NULL,
            asked_at_us BIGINT NOT NULL,
            PRIMARY KEY (store_id, item_code))""",
        """CREATE TABLE store_programs (
            store_id TEXT PRIMARY KEY,
            programs_json TEXT NOT NULL,
            asked_at_us BIGINT NOT NULL)""",
        "CREATE INDEX failures_reason_at ON failures (reason, at_us)",
    ],
    [
        # replay stages its input in a scratch file of its own (bridge.replay.stage), no
        # longer in the journal: what older runs left staged here is of no use
        "DROP TABLE IF EXISTS replay_order",
        "DROP TABLE IF EXISTS replay_stage",
    ],
]


def migrate(backend, conn, name: str) -> int:
    """Bring the journal `name` to the current schema; call it inside one write
    transaction of `backend` (on PostgreSQL it takes a lock first, so bridges starting
    together migrate one after the other). Returns how many steps were applied; raises
    JournalError for a journal newer than this code."""
    version = backend.schema_version(conn)
    if version > len(MIGRATIONS):
        raise JournalError(f"{name}: schema version {version} is newer than "
                           f"this astro-bridge ({len(MIGRATIONS)})")
    for number in range(version, len(MIGRATIONS)):
        for statement in MIGRATIONS[number]:
            if callable(statement):
                statement(conn)
            else:
                conn.execute(backend.ddl(statement))
        backend.set_schema_version(conn, number + 1)
    return len(MIGRATIONS) - version
