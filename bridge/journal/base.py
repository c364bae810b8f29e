"""The journal's foundation: one SQLite connection per thread, explicit write
transactions, generated secrets and the health check; and the conversions every part of
the journal shares (aware datetimes to UTC epoch seconds, JSON values to text)."""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets as _secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator


class JournalError(RuntimeError):
    """The journal cannot be used (file not writable, schema newer than this code)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class JournalBase:
    """Connections and transactions; every part of the Journal builds on these."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []

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
        except (sqlite3.Error, JournalError):
            return False


# -- conversions shared by the parts ---------------------------------------------------
def timestamp(when: dt.datetime) -> float:
    """UTC epoch seconds of an aware datetime (how the journal stores times)."""
    if when.tzinfo is None:
        raise ValueError("journal times must carry a time zone")
    return when.timestamp()


def from_timestamp(value: float | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(value, dt.timezone.utc)


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
