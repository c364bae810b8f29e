"""The PostgreSQL backend, for several bridges sharing one journal (psycopg 3 and
psycopg_pool: `pip install astro-bridge[postgresql]`).

The parts of the journal write the same SQL for both backends (`?` placeholders, rows
read by column name or position); this module adapts it: placeholders, SQLite's 8-byte
INTEGER as BIGINT, identity columns for AUTOINCREMENT, the schema version in a table of
its own. Write transactions
run at READ COMMITTED: uniqueness comes from unique constraints (`INSERT ... ON
CONFLICT`), one-time changes from conditional updates with their row counts, and the
few read-then-write transactions lock first, always in the same order (a customer's
points, then the sale, then another sale), so two bridges never deadlock:
`lock_customer` (a transaction-scoped advisory lock) and `lock_sale` (the sale's row,
FOR UPDATE). Claims of due sales skip the rows another bridge is claiming (SKIP
LOCKED). Read transactions run at REPEATABLE READ: every SELECT in one sees the same
state. Leases are measured on the server's clock (`clock_timestamp()`), the one clock
every bridge shares."""
from __future__ import annotations

import functools
import re
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlsplit

from bridge.journal.errors import JournalError

try:
    import psycopg
    import psycopg_pool
except ImportError:         # an optional extra: SQLite journals need neither
    # Stand-ins the type system can't express: the modules are absent.
    psycopg = psycopg_pool = None  # type: ignore[assignment]

POOL_SIZE = 16      # connections per process: request threads, the worker, the heartbeat
_NOW_US = "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000) AS BIGINT)"


class Row(tuple):
    """A row readable by position and by column name, like sqlite3.Row."""

    _index: dict[str, int]

    def __new__(cls, values, index: dict[str, int]):
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor):
    index = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


@functools.lru_cache(maxsize=1024)
def _sql(statement: str) -> str:
    """The journal's `?` placeholders as psycopg's `%s` (a literal % doubled)."""
    return statement.replace("%", "%%").replace("?", "%s")


class Connection:
    """The psycopg connection of one transaction, taking the journal's SQL."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, statement: str, params: Any = None):
        if params is None:
            return self._conn.execute(statement)
        return self._conn.execute(_sql(statement), tuple(params))

    def executemany(self, statement: str, rows):
        cur = self._conn.cursor()
        cur.executemany(_sql(statement), [tuple(r) for r in rows])
        return cur


def redacted(url: str) -> str:
    """The URL without its password (how the journal is named in messages and logs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{parts.path}"


class PostgresBackend:
    """A pool of connections to one PostgreSQL database."""

    dialect = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE):
        self.path = None
        self.name = redacted(url)
        if psycopg is None:
            raise JournalError("a postgresql:// journal needs psycopg 3 and psycopg_pool: "
                               "pip install 'astro-bridge[postgresql]'")
        self._pool = psycopg_pool.ConnectionPool(
            url, min_size=1, max_size=pool_size, open=False, name="astro-bridge-journal",
            kwargs={"autocommit": True, "row_factory": _row_factory},
            check=psycopg_pool.ConnectionPool.check_connection)
        try:
            self._pool.open(wait=True, timeout=10)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as e:
            self._pool.close()
            # psycopg's message may quote the connection string: never show it
            raise JournalError(f"cannot connect to the journal {self.name} "
                               f"({_reason(e)})") from None

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Connection]:
        """See JournalBase._transaction."""
        try:
            pooled = self._pool.connection()
            conn = pooled.__enter__()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as e:
            raise JournalError(f"journal transaction not started: {_reason(e)}") from None
        try:
            try:
                conn.execute("BEGIN" if write else
                             "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            except psycopg.Error as e:
                raise JournalError(f"journal transaction not started: {_reason(e)}") from e
            try:
                yield Connection(conn)
                conn.execute("COMMIT")
            except BaseException as e:
                _rollback(conn)
                if isinstance(e, psycopg.Error):
                    raise JournalError(f"journal {'write' if write else 'read'} failed, "
                                       f"nothing of it was kept: {_reason(e)}") from e
                raise
        finally:
            pooled.__exit__(None, None, None)

    # -- what differs between backends ---------------------------------------------
    def now_us(self, conn) -> int:
        """Now on the server's clock, in epoch microseconds."""
        return conn.execute(_NOW_US).fetchone()[0]

    def clock(self) -> float:
        with self.transaction(write=False) as conn:
            return self.now_us(conn) / 1e6

    def lock_sale(self, conn, sale_key: str) -> None:
        # The lock order: the customer of the sale's points first, then the sale.
        for row in conn.execute("SELECT store_id, customer_id FROM points_queue"
                                " WHERE sale_key = ? ORDER BY n", (sale_key,)).fetchall():
            self.lock_customer(conn, row[0], row[1])
        conn.execute("SELECT 1 FROM sales WHERE sale_key = ? FOR UPDATE", (sale_key,))

    def lock_customer(self, conn, store_id: str, customer_id: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
                     (f"points:{len(store_id)}:{store_id}:{customer_id}",))

    def schema_version(self, conn) -> int:
        # One migration at a time, whoever starts first: the others wait here, then
        # find the schema current.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('astro-bridge schema', 0))")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            return 0
        return row[0]

    def set_schema_version(self, conn, version: int) -> None:
        conn.execute("UPDATE schema_version SET version = ?", (version,))

    def ddl(self, statement: str) -> str:
        """SQLite's INTEGER is 8 bytes (microsecond times fit): BIGINT here; its
        AUTOINCREMENT key is an identity column."""
        statement = _AUTOINCREMENT.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                       statement)
        return _INTEGER.sub("BIGINT", statement)

    def json_text(self, column: str, *keys: str) -> str:
        """SQL for the text at `keys` inside the JSON text of `column`."""
        path = ", ".join(f"'{k}'" for k in keys)
        return f"jsonb_extract_path_text(CAST({column} AS jsonb), {path})"

    def close(self) -> None:
        self._pool.close()


_AUTOINCREMENT = re.compile(r"INTEGER PRIMARY KEY AUTOINCREMENT")
_INTEGER = re.compile(r"\bINTEGER\b")


def _rollback(conn) -> None:
    try:
        conn.execute("ROLLBACK")
    except psycopg.Error:
        pass        # the pool discards a connection left broken


def _reason(e: Exception) -> str:
    """psycopg's first line, without anything that could be a connection string."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return re.sub(r"(postgres(?:ql)?://)[^\s\"']*", r"\1...", text)
