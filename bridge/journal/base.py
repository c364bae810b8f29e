"""The journal's foundation: the backend (SQLite file or PostgreSQL database) it runs
on, the ONE place where transactions run, the journal's clock, generated secrets and the
health check; and the conversions every part of the journal shares (aware datetimes to
UTC epoch microseconds, JSON values to text)."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import os
import secrets as _secrets
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator, overload

from bridge.journal.errors import JournalError
from bridge.metrics import JOURNAL_ERRORS
from bridge.journal.postgres import PostgresBackend
from bridge.journal.sqlite import SQLiteBackend

log = logging.getLogger(__name__)

LEASE_SECONDS = 15.0     # a lease not renewed for this long is free (bridge.journal.sales)
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def open_backend(location) -> SQLiteBackend | PostgresBackend:
    """The backend of a journal location: a file path, `sqlite:///path`, or a
    `postgresql://` URL (given as text, or as a secret: an object whose `reveal()`
    gives the text, e.g. bridge.config.Secret)."""
    text = location.reveal() if hasattr(location, "reveal") else os.fspath(location)
    if text.startswith(POSTGRES_SCHEMES):
        return PostgresBackend(text)
    if text.startswith("sqlite://"):
        text = text[len("sqlite://"):]
    if not text:
        raise JournalError("the journal's location is empty")
    return SQLiteBackend(text)


class JournalBase:
    """The backend and its transactions; every part of the Journal builds on these."""

    def __init__(self, location, *, lease_seconds: float = LEASE_SECONDS,
                 yield_writes: bool = False):
        self._backend = open_backend(location)
        self.path = self._backend.path      # the SQLite file; None on PostgreSQL
        self.name = self._backend.name      # for messages: never a password
        self.dialect = self._backend.dialect
        self.lease_seconds = lease_seconds     # see bridge.journal.sales (leases)
        self._lock = threading.Lock()
        self._local = threading.local()       # a thread's `atomically` transaction
        self._commits = itertools.count()   # write transactions committed (see `commits`)
        self._committed = 0
        self._reads = itertools.count()     # read transactions run (see `reads`)
        self._reads_run = 0
        # A bulk job (replay) leaves room for the others' writes on SQLite: see `_turn`.
        self._turns = threading.Lock() if yield_writes and self.dialect == "sqlite" else None

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def atomically(self) -> Iterator[None]:
        """Every journal call this thread makes inside the block is part of ONE write
        transaction: one commit at the end, or nothing of it kept when the block raises.
        Blocks nest (an inner block joins the outer one). Never wait for the network
        inside: other writers wait for the block."""
        if getattr(self._local, "unit", None) is not None:
            yield
            return
        with self._transaction(write=True) as conn:
            self._local.unit = conn
            try:
                yield
            finally:
                self._local.unit = None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Every journal read this thread makes inside the block is part of ONE read
        transaction (they see one state; one BEGIN and COMMIT). No writes inside
        (RuntimeError); inside `atomically` it joins that block."""
        if getattr(self._local, "unit", None) is not None:
            yield
            return
        with self._transaction(write=False) as conn:
            self._local.unit, self._local.read_only = conn, True
            try:
                yield
            finally:
                self._local.unit, self._local.read_only = None, False

    @contextmanager
    def _transaction(self, write: bool):
        """The one place a transaction runs (a context manager giving the connection).
        SQLite: a write takes the write lock at BEGIN, so two writers never both
        read-then-write the same rows. PostgreSQL: see bridge.journal.postgres (unique
        constraints, conditional updates, `_lock_sale` / `_lock_customer`). Whatever
        fails inside, including the COMMIT itself, the transaction is rolled back and
        the error reaches the caller: a database error as JournalError, others
        unchanged. Inside `atomically` it joins the block's transaction."""
        unit = getattr(self._local, "unit", None)
        if unit is not None:
            if write and getattr(self._local, "read_only", False):
                raise RuntimeError("a journal write inside `reading`")
            yield unit
            return
        try:
            with self._turn(write), self._backend.transaction(write) as conn:
                yield conn
            if write:
                self._committed = next(self._commits) + 1
            else:
                self._reads_run = next(self._reads) + 1
        except JournalError:
            JOURNAL_ERRORS.inc()
            raise

    @contextmanager
    def _turn(self, write: bool) -> Iterator[None]:
        """With `yield_writes` on SQLite: this process's write transactions go one at a
        time, and after each the write lock is left free at least as long as it was
        held, so a writer of another process (a cashier's click on the same journal)
        finds it free instead of waiting behind a bulk job's writes one after the other.
        (SQLite hands its lock to whoever asks at the right moment, not to who waited
        longest.)"""
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

    def _read(self):
        """One read transaction: every SELECT inside sees the same state."""
        return self._transaction(write=False)

    def _lock_sale(self, conn, sale_key: str) -> None:
        """Inside a write transaction: nobody else changes the sale until it ends. Lock
        order: a customer's points (`_lock_customer`) first, then the sale."""
        self._backend.lock_sale(conn, sale_key)

    def _lock_customer(self, conn, store_id: str, customer_id: str) -> None:
        """Inside a write transaction: the customer's points turn and snapshot are this
        transaction's until it ends."""
        self._backend.lock_customer(conn, store_id, customer_id)

    def _now_us(self, conn) -> int:
        """Now on the journal's clock (epoch microseconds), inside a transaction."""
        return self._backend.now_us(conn)

    @property
    def commits(self) -> int:
        """Write transactions this Journal committed so far (what a benchmark counts)."""
        return self._committed

    @property
    def reads(self) -> int:
        """Read transactions this Journal ran so far (what a test of a click counts)."""
        return self._reads_run

    def clock(self) -> float:
        """Now on the journal's clock, in epoch seconds. Leases are measured on it, so
        every process sharing the journal agrees on them (SQLite: this machine's clock;
        PostgreSQL: the server's)."""
        return self._backend.clock()

    def close(self) -> None:
        """Let go of the connections (SQLite: those of this thread and of ended threads;
        see SQLiteBackend.close). The journal stays usable."""
        self._backend.close()

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
                conn.execute("INSERT INTO health (id, checked_at_us) VALUES (1, ?)"
                             " ON CONFLICT (id) DO UPDATE"
                             " SET checked_at_us = excluded.checked_at_us",
                             (micros(utcnow()),))
            return True
        except JournalError:
            return False


# -- conversions shared by the parts ---------------------------------------------------
def micros(when: dt.datetime) -> int:
    """UTC epoch microseconds of an aware datetime (exact: how the journal stores
    every time, on every backend)."""
    if when.tzinfo is None:
        raise ValueError("journal times must carry a time zone")
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@overload
def from_micros(value: int) -> dt.datetime: ...
@overload
def from_micros(value: int | None) -> dt.datetime | None: ...
def from_micros(value: int | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=value)


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def equal_clauses(**filters: Any) -> tuple[list[str], list]:
    """`["a = ?", "b = ?"]` and their arguments, for the filters that are not None."""
    pairs = [(k, v) for k, v in filters.items() if v is not None]
    return [f"{k} = ?" for k, _ in pairs], [v for _, v in pairs]


def where(clauses: list[str]) -> str:
    """`WHERE c1 AND c2 ...`, or nothing for no clause."""
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""

