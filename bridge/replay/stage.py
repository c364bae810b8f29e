"""Replay's scratch store: the input records of one run, staged in a SQLite file of their
own so the rows of one sale can be read back together (whatever their order in the
files) and the sales in order, without holding a file in memory.

The file is scratch, not a journal: nothing in it matters once the run ends, and a run
killed half-way stages its input again from the start. So it is written without a
rollback journal or syncs (staging a million lines takes seconds, not minutes), and it
is never the live journal: a running replay does not hold the journal's write lock
while it stages or sorts, so a cashier's click never waits on it.

    with Stage(path) as stage:         # a new, empty file (a leftover one is replaced)
        stage.add(rows)                # StagedRow values -> how many
        stage.count()                  # how many sales (groups) `groups()` yields
        for rows in stage.groups():    # [StagedRow] of one sale, sales in order
            ...
                                       # closing removes the file
"""
from __future__ import annotations

import itertools
import os
import sqlite3
from typing import Iterable, Iterator

from bridge.replay.rows import StagedRow

_SCHEMA = """
CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE rows (
    seq INTEGER PRIMARY KEY,
    grp TEXT NOT NULL,
    unit INTEGER NOT NULL,
    customer TEXT NOT NULL,
    day TEXT NOT NULL,
    file INTEGER NOT NULL,
    line INTEGER NOT NULL,
    payload TEXT,
    error TEXT);
"""


class Stage:
    """The staged records of one replay run, in the SQLite file `path` (see the module
    docstring). Used from one thread."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        _remove(self.path)             # what a killed run of the same command left
        self._conn = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE",
                       "cache_size = -8000", "locking_mode = EXCLUSIVE"):
            self._conn.execute(f"PRAGMA {pragma}")
        self._conn.executescript(_SCHEMA)
        self._files: dict[str, int] = {}
        self._ordered = False

    def add(self, rows: Iterable[StagedRow], batch: int = 20_000) -> int:
        """Stage `rows` (in input order); returns how many were staged."""
        rows = iter(rows)
        staged = 0
        while True:
            chunk = [(r.group, r.unit, r.customer, r.day, self._file(r.file), r.line,
                      r.payload, r.error) for r in itertools.islice(rows, batch)]
            if not chunk:
                return staged
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "INSERT INTO rows (grp, unit, customer, day, file, line, payload, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", chunk)
            self._conn.execute("COMMIT")
            staged += len(chunk)

    def _file(self, name: str) -> int:
        number = self._files.get(name)
        if number is None:
            number = self._files[name] = len(self._files) + 1
            self._conn.execute("INSERT INTO files (id, name) VALUES (?, ?)", (number, name))
        return number

    def _order(self) -> None:
        """Sort once, after everything is staged: the rows of a group by staging order
        (an index built in one pass, cheaper than keeping it up to date row by row),
        then the groups by customer, earliest day, group and unit (a table whose rowid
        is the position)."""
        if self._ordered:
            return
        self._conn.executescript("""
            BEGIN;
            CREATE INDEX rows_group ON rows (grp, unit, seq);
            CREATE TABLE sales AS
                SELECT MIN(customer) AS customer, MIN(day) AS day, grp, unit FROM rows
                GROUP BY grp, unit ORDER BY customer, day, grp, unit;
            COMMIT;""")
        self._ordered = True

    def count(self) -> int:
        """How many sales (groups) `groups()` yields."""
        self._order()
        return self._conn.execute("SELECT COUNT(*) FROM sales").fetchone()[0]

    def groups(self) -> Iterator[list[StagedRow]]:
        """The staged rows, one list per group (same group and unit), the rows in
        staging order; groups ordered by customer, then their earliest day, group and
        unit, so a customer's sales come together, oldest first."""
        self._order()
        files = {number: name for name, number in self._files.items()}
        cursor = self._conn.execute(
            "SELECT s.rowid, r.grp, r.unit, r.customer, r.day, r.file, r.line, r.payload,"
            " r.error FROM sales AS s JOIN rows AS r ON r.grp = s.grp AND r.unit = s.unit"
            " ORDER BY s.rowid, r.seq")
        group: list[StagedRow] = []
        position = None
        while True:
            page = cursor.fetchmany(2000)
            if not page:
                break
            for pos, grp, unit, customer, day, file, line, payload, error in page:
                if pos != position and group:
                    yield group
                    group = []
                position = pos
                group.append(StagedRow(grp, unit, customer, day, files[file], line,
                                       payload, error))
        if group:
            yield group

    def close(self) -> None:
        """Close and remove the file."""
        self._conn.close()
        _remove(self.path)

    def __enter__(self) -> "Stage":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _remove(path: str) -> None:
    for name in (path, path + "-journal", path + "-wal", path + "-shm"):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
