"""The journal's foundation: one SQLite connection per thread, the ONE place where
transactions run, the journal's clock, generated secrets and the health check; and the
conversions every part of the journal shares (aware datetimes to UTC epoch seconds, JSON
values to text)."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets as _secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

log = logging.getLogger(__name__)


class JournalError(RuntimeError):
    """The journal cannot be used (file not writable, schema newer than this code), or a
    transaction on it failed (nothing of it was kept)."""


LEASE_SECONDS = 15.0     # a lease not renewed for this long is free (bridge.journal.sales)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class JournalBase:
    """Connections and transactions; every part of the Journal builds on these."""

    def __init__(self, path: str | os.PathLike, *, lease_seconds: float = LEASE_SECONDS,
                 yield_writes: bool = False):
        self.path = os.fspath(path)
        self.lease_seconds = lease_seconds     # see bridge.journal.sales (leases)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        # A bulk job (replay) leaves room for the others' writes: see `_turn`.
        self._turns = threading.Lock() if yield_writes else None

    # -- connections and transactions --------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                # FULL: a commit is on disk before it returns. With NORMAL a power cut
                # can lose the last commits, e.g. "recorded" or "points uncertain".
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.Error as e:
                raise JournalError(f"cannot open the journal {self.path}: {e}") from None
            self._local.conn = conn
            with self._lock:
                self._connections.append((threading.current_thread(), conn))
        return conn

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """The one place a transaction runs. A write takes SQLite's write lock at BEGIN,
        so two writers never both read-then-write the same rows. Whatever fails inside,
        including the COMMIT itself, the transaction is rolled back (or, when even that
        fails, the connection is dropped and the next call opens a new one) and the
        error reaches the caller: a sqlite3 error as JournalError, others unchanged.
        Inside `batch()` it is part of the batch's transaction."""
        batched = getattr(self._local, "batch", None)
        if batched is not None:
            yield batched
            return
        with self._turn(write):
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as e:
                self._abandon(conn)
                raise JournalError(f"journal transaction not started: {e}") from e
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as e:
                self._abandon(conn)
                if isinstance(e, sqlite3.Error):
                    raise JournalError(f"journal {'write' if write else 'read'} failed, "
                                       f"nothing of it was kept: {e}") from e
                raise

    @contextmanager
    def _turn(self, write: bool) -> Iterator[None]:
        """With `yield_writes`: this process's write transactions go one at a time, and
        after each the write lock is left free at least as long as it was held, so a
        writer of another process (a cashier's click on the same journal) finds it free
        instead of waiting behind a bulk job's writes one after the other. (SQLite hands
        its lock to whoever asks at the right moment, not to who waited longest.)"""
        if self._turns is None or not write:
            yield
            return
        with self._turns:
            started = time.monotonic()
            try:
                yield
            finally:
                time.sleep(time.monotonic() - started)

    def _write(self):
        """One write transaction (see `_transaction`)."""
        return self._transaction(write=True)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every journal call this thread makes in the block is part of ONE write
        transaction, committed when the block ends (nothing of it kept if the block
        raises): many small writes in a row cost one commit and one wait for the write
        lock, not one each, so others writing to the journal (a cashier's click) are not
        kept waiting behind them. Hold it for journal work only, never across a call to
        Astro. Nested batches are part of the outer one."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        with self._transaction(write=True) as conn:
            self._local.batch = conn
            try:
                yield
            finally:
                self._local.batch = None

    def _read(self):
        """One read transaction: every SELECT inside sees the same state."""
        return self._transaction(write=False)

    def _abandon(self, conn: sqlite3.Connection) -> None:
        """Leave no transaction open on this thread's connection."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return
        except sqlite3.Error as e:
            log.warning("journal rollback failed (%s); reopening the connection", e)
        self._local.conn = None
        with self._lock:
            self._connections = [(t, c) for t, c in self._connections if c is not conn]
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def clock(self) -> float:
        """Now on the journal's clock, in epoch seconds. Leases are measured on it, so
        every process sharing the journal agrees on them (SQLite: this machine's clock;
        a database server's backend answers with the server's)."""
        return time.time()

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

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- secrets and health ------------------------------------------------------------
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
        except JournalError:
            return False


# -- conversions shared by the parts ---------------------------------------------------
def timestamp(when: dt.datetime) -> float:
    """UTC epoch seconds of an aware datetime (how the journal stores times)."""
    if when.tzinfo is None:
        raise ValueError("journal times must carry a time zone")
    return when.timestamp()


def from_timestamp(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.timezone.utc)


def micros(when: dt.datetime) -> int:
    """UTC epoch microseconds of an aware datetime (exact; how newer tables store times)."""
    if when.tzinfo is None:
        raise ValueError("journal times must carry a time zone")
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=value)


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def where_equal(**filters: Any) -> tuple[str, list]:
    """`WHERE a = ? AND b = ?` and its arguments, for the filters that are not None."""
    pairs = [(k, v) for k, v in filters.items() if v is not None]
    if not pairs:
        return "", []
    return "WHERE " + " AND ".join(f"{k} = ?" for k, _ in pairs), [v for _, v in pairs]
