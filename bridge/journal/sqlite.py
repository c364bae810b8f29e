"""The embedded backend: one SQLite file in WAL mode, synchronous=FULL (a commit is on
disk when it returns), one connection per thread. A write transaction takes SQLite's
write lock at BEGIN (BEGIN IMMEDIATE), so writers run one at a time: the row locks the
PostgreSQL backend takes (`lock_sale`, `lock_customer`, SKIP LOCKED) are not needed."""
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


class SQLiteBackend:
    """Connections and transactions on one journal file."""

    dialect = "sqlite"
    for_update = ""             # writers are serialized: nothing to lock
    skip_locked = ""

    def __init__(self, path: str):
        self.path = path
        self.name = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._writers = threading.Lock()    # one write transaction of this process at a time

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                # 8 prepared statements kept a connection, not 128: each takes some
                # 10-50 KB, and with a connection per thread the default grew a server
                # by 12 MB in 20,000 requests.
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False, cached_statements=8)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                # FULL: a commit is on disk before it returns. With NORMAL a power cut
                # can lose the last commits, e.g. "recorded" or "points uncertain".
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
                # A page cache of 64 KiB a connection (SQLite's default is 2 MiB): a
                # server has one per thread, 40 or more, and the file's pages are in
                # the OS's cache anyway.
                conn.execute("PRAGMA cache_size=-64")
            except sqlite3.Error as e:
                raise JournalError(f"cannot open the journal {self.path}: {e}") from None
            self._local.conn = conn
            with self._lock:
                # Threads come and go (a receipt's refresh, the lease keeper): the
                # connections of those that ended are closed here, or each would keep
                # its page cache for the life of the process.
                ended = [c for t, c in self._connections if not t.is_alive()]
                self._connections = [(t, c) for t, c in self._connections if t.is_alive()]
                self._connections.append((threading.current_thread(), conn))
            for old in ended:
                old.close()
        return conn

    @contextmanager
    def transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """See JournalBase._transaction."""
        conn = self._conn()
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
