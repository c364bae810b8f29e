"""The embedded backend: one SQLite file in WAL mode, synchronous=FULL (a commit is on
disk when it returns), connections pooled: a transaction takes an idle one (or opens
one) and gives it back when it ends. A write transaction takes SQLite's
write lock at BEGIN (BEGIN IMMEDIATE), so writers run one at a time: the row locks the
PostgreSQL backend takes (`lock_sale`, `lock_customer`, SKIP LOCKED) are not needed.

The WAL is checkpointed into the database file by a thread of its own (`_Checkpointer`,
every `CHECKPOINT_SECONDS` after writes), never by a commit: SQLite's automatic
checkpoint runs inside the COMMIT that fills the WAL past 1000 pages, and that copy and
its fsync took 100-400 ms of whichever cashier's click made it."""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from bridge.journal.errors import JournalError

log = logging.getLogger(__name__)

# Seconds between checkpoints of the WAL, while there are writes.
CHECKPOINT_SECONDS = 1.0


class SQLiteBackend:
    """Connections and transactions on one journal file."""

    dialect = "sqlite"
    for_update = ""             # writers are serialized: nothing to lock
    skip_locked = ""

    def __init__(self, path: str):
        self.path = path
        self.name = path
        self._lock = threading.Lock()
        # Idle connections, the last given back on top: a server's threads (40 or more)
        # share as many connections as there are transactions at once, each with its
        # statements prepared and its pages cached, instead of one each that most
        # threads seldom use.
        self._idle: list[sqlite3.Connection] = []
        self._open: set[sqlite3.Connection] = set()
        self._writers = threading.Lock()    # one write transaction of this process at a time
        self._checkpointer: _Checkpointer | None = None

    def _connect(self) -> sqlite3.Connection:
        try:
            # 16 prepared statements kept a connection, not 128: each takes some 10-50
            # KB, and a busy server keeps several connections.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False, cached_statements=16)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before it returns. With NORMAL a power cut can
            # lose the last commits, e.g. "recorded" or "points uncertain".
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # A page cache of 256 KiB a connection (SQLite's default is 2 MiB): the
            # file's pages are in the OS's cache anyway.
            conn.execute("PRAGMA cache_size=-256")
            # Checkpoints are _Checkpointer's, not a commit's (module docstring).
            conn.execute("PRAGMA wal_autocheckpoint=0")
        except sqlite3.Error as e:
            raise JournalError(f"cannot open the journal {self.path}: {e}") from None
        with self._lock:
            self._open.add(conn)
        return conn

    def _take(self) -> sqlite3.Connection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _give_back(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn in self._open:
                self._idle.append(conn)
                return
        conn.close()                        # the journal was closed meanwhile

    @contextmanager
    def transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """See JournalBase._transaction."""
        conn = self._take()
        # This process's writers queue here: SQLite's own wait for its write lock sleeps
        # in steps of up to 100 ms, which a busy till would feel on every click.
        with self._writers if write else contextlib.nullcontext():
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
        self._give_back(conn)
        if write:
            self._written()

    def _abandon(self, conn: sqlite3.Connection) -> None:
        """Give back a connection with no transaction left open on it; one that cannot
        be rolled back is closed."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._give_back(conn)
            return
        except sqlite3.Error as e:
            log.warning("journal rollback failed (%s); reopening the connection", e)
        with self._lock:
            self._open.discard(conn)
        try:
            conn.close()
        except sqlite3.Error:
            pass

    # -- what differs between backends ---------------------------------------------
    def now_us(self, conn) -> int:
        """Now on the journal's clock: this machine's, in epoch microseconds."""
        return time.time_ns() // 1000

    def clock(self) -> float:
        return time.time()

    def lock_sale(self, conn, sale_key: str) -> None:
        """(PostgreSQL: the sale's row is locked; here BEGIN IMMEDIATE did it all.)"""

    def lock_customer(self, conn, store_id: str, customer_id: str) -> None:
        """(PostgreSQL: the customer's points are locked; here BEGIN IMMEDIATE did.)"""

    def schema_version(self, conn) -> int:
        return conn.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, conn, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")

    def ddl(self, statement: str) -> str:
        return statement

    def json_text(self, column: str, *keys: str) -> str:
        """SQL for the text at `keys` inside the JSON text of `column`."""
        return f"json_extract({column}, '$.{'.'.join(keys)}')"

    def _written(self) -> None:
        """A write was committed (and its connection given back): the WAL has pages for
        the checkpointer. Never raises: the commit stands whatever happens here."""
        with self._lock:
            if self._checkpointer is None:
                try:
                    self._checkpointer = _Checkpointer(self.path)
                except RuntimeError as e:     # no thread to be had: the next commit tries
                    log.warning("journal checkpointer not started: %s", e)
                    return
            checkpointer = self._checkpointer
        checkpointer.due.set()

    def close(self) -> None:
        """Close the idle connections, and checkpoint the WAL a last time. One in use by
        a transaction is closed when the transaction gives it back (closing a SQLite
        connection in use from another thread can crash the process). The journal stays
        usable: the next transaction opens a new connection."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._open.clear()
            checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()
        for conn in idle:
            conn.close()


class _Checkpointer:
    """A thread that checkpoints the WAL (PASSIVE: it never waits for, nor holds up,
    the transactions) at most every CHECKPOINT_SECONDS while there are writes, on a
    connection of its own."""

    def __init__(self, path: str):
        self.path = path
        self.due = threading.Event()       # a write was committed since the last pass
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="astro-bridge-checkpoint",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.is_set():
                self.due.wait()
                self._stop.wait(CHECKPOINT_SECONDS)    # gather a second of commits
                self.due.clear()
                conn = self._checkpoint(conn)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        try:
            if conn is None:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            return conn
        except sqlite3.Error as e:    # the next pass tries again, on a new connection
            log.warning("journal checkpoint failed: %s", e)
            if conn is not None:
                conn.close()
            return None

    def stop(self) -> None:
        """The last pass, then the thread ends."""
        self._stop.set()
        self.due.set()
        self._thread.join(10)
