"""Replay staging (used by bridge.replay): the input records of a replay run are staged
in the journal so the rows of one sale can be read back together (ORDER BY), whatever
their order in the files, without holding a file in memory."""
from __future__ import annotations

import itertools
from typing import Any, Iterable, Iterator

from bridge.journal.base import JournalBase


class StagingJournal(JournalBase):
    """The staged rows of replay runs. A staged row is the tuple (group, unit, customer,
    day, file, line, payload, error)."""

    def stage_rows(self, run_id: str, rows: Iterable[Any], batch: int = 5000) -> int:
        """Append `rows` (objects with the attributes group, unit, customer, day, file,
        line, payload and error) to the stage of `run_id`, one transaction per `batch`
        rows; returns how many were staged."""
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
        with self._read() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM (SELECT DISTINCT grp, unit FROM replay_stage"
                " WHERE run_id = ?) AS g", (run_id,)).fetchone()[0]

    def staged_groups(self, run_id: str, page: int = 500) -> Iterator[list[tuple]]:
        """The staged rows of `run_id`, one list per group (same group and unit), the
        rows in staging order; groups ordered by their earliest day, then customer,
        group and unit. The order is computed once; the groups are then read `page` at a
        time, each page in a short read of its own, so the caller may write to the
        journal (from any thread) while iterating and SQLite can checkpoint its WAL."""
        with self._write() as conn:
            conn.execute("DELETE FROM replay_order WHERE run_id = ?", (run_id,))
            conn.execute(
                "INSERT INTO replay_order (run_id, pos, grp, unit)"
                " SELECT ?, ROW_NUMBER() OVER (ORDER BY day, customer, grp, unit), grp, unit"
                " FROM (SELECT grp, unit, MIN(day) AS day, MIN(customer) AS customer"
                "       FROM replay_stage WHERE run_id = ? GROUP BY grp, unit) AS g",
                (run_id, run_id))
        last = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    "SELECT s.grp, s.unit, s.customer, s.day, s.file, s.line, s.payload,"
                    " s.error, o.pos FROM replay_order AS o"
                    " JOIN replay_stage AS s ON s.run_id = o.run_id AND s.grp = o.grp"
                    "  AND s.unit = o.unit"
                    " WHERE o.run_id = ? AND o.pos > ? AND o.pos <= ?"
                    " ORDER BY o.pos, s.seq", (run_id, last, last + page)).fetchall()
            if not rows:
                return
            last += page
            for _pos, group in itertools.groupby(rows, key=lambda r: r[8]):
                yield [tuple(r)[:8] for r in group]

    def drop_stage(self, run_id: str) -> None:
        """Forget what was staged for `run_id`."""
        with self._write() as conn:
            conn.execute("DELETE FROM replay_stage WHERE run_id = ?", (run_id,))
            conn.execute("DELETE FROM replay_order WHERE run_id = ?", (run_id,))
