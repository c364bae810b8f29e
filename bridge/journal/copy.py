"""Copying one journal into another: a store's SQLite journal into the PostgreSQL
journal its bridges will share (`astro-bridge journal copy`).

Idempotent: a row already in the target is left as it is, so running the copy again
copies nothing twice (and a copy stopped halfway goes on where it stopped). Rows keyed
by their contents (a sale by its key, a step by sale and number, ...) are inserted with
ON CONFLICT DO NOTHING; rows numbered by the journal (failures, unreadable sales) get
new numbers in the target, and the target remembers which source row each came from
(`copied_rows`, the source named by a random id kept in it), so a redemption keeps
pointing at its own failure line. Leases are not copied (the source's bridge is
stopped: its sales are free to take), nor what only lives a moment (login guesses,
ended sessions, the health row, replay staging).
"""
from __future__ import annotations

from dataclasses import dataclass, field

BATCH = 500

# (table, its key columns) copied as they are, in an order that keeps references whole.
KEYED = (
    ("sales", ("sale_key",)),
    ("steps", ("sale_key", "n")),
    ("customers", ("store_id", "customer_id")),
    ("shadow_outcomes", ("sale_key",)),
    ("customer_points", ("store_id", "customer_id")),
    ("points_awards", ("store_id", "customer_id", "points_transaction_id")),
    ("sale_fingerprints", ("store_id", "fingerprint")),
    ("item_programs", ("store_id", "item_code")),
    ("store_programs", ("store_id",)),
    ("secrets", ("name",)),
)
# Tables whose rows the journal numbers: copied with new numbers.
NUMBERED = ("failures", "unreadable_sales")
# Copied after the failures, their failure_id renumbered.
REDEMPTIONS = "redemptions"
# Copied in the source's order (a customer's awards are sent in it), new numbers.
QUEUE = "points_queue"
# Not copied: bookkeeping of the journal itself, or what lives only a moment.
NOT_COPIED = ("health", "replay_stage", "replay_order", "login_guesses", "ended_sessions",
              "copied_rows", "schema_version")


@dataclass
class CopyCount:
    """Rows copied and rows already in the target, per table."""
    copied: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, copied: int, present: int) -> None:
        self.copied[table] = self.copied.get(table, 0) + copied
        self.present[table] = self.present.get(table, 0) + present

    @property
    def total_copied(self) -> int:
        return sum(self.copied.values())


def copy_journal(source, target, *, batch: int = BATCH) -> CopyCount:
    """Copy every row of journal `source` that `target` lacks (see the module
    docstring); both are open Journals at the same schema version."""
    count = CopyCount()
    origin = source.secret("journal_id")
    for table, key in KEYED:
        for rows in _pages(source, table, key, batch):
            if table == "secrets":      # the source's own name stays its own
                rows = [r for r in rows if r["name"] != "journal_id"] or rows[:0]
                if not rows:
                    continue
            columns = [c for c in rows[0].keys()
                       if not (table == "sales" and c in ("claimed_by", "claim_expires_at_us"))]
            copied = _insert(target, table, columns, key, [[r[c] for c in columns]
                                                           for r in rows])
            count.add(table, copied, len(rows) - copied)
    failure_ids: dict[int, int] = {}
    for table in NUMBERED:
        mapping = _copy_numbered(source, target, origin, table, batch, count)
        if table == "failures":
            failure_ids = mapping
    for rows in _pages(source, REDEMPTIONS, ("key",), batch):
        columns = list(rows[0].keys())
        values = [[failure_ids.get(r[c], r[c]) if c == "failure_id" else r[c]
                   for c in columns] for r in rows]
        copied = _insert(target, REDEMPTIONS, columns, ("key",), values)
        count.add(REDEMPTIONS, copied, len(rows) - copied)
    for rows in _pages(source, QUEUE, ("seq",), batch):
        columns = [c for c in rows[0].keys() if c != "seq"]
        copied = _insert(target, QUEUE, columns, ("sale_key", "n"),
                         [[r[c] for c in columns] for r in rows])
        count.add(QUEUE, copied, len(rows) - copied)
    return count


def tables_of(journal) -> set[str]:
    """Every table of `journal`'s schema (to check that each is copied or not on
    purpose)."""
    with journal._read() as conn:
        if journal.dialect == "sqlite":
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                " AND name NOT LIKE 'sqlite_%'").fetchall()
        else:
            rows = conn.execute("SELECT table_name FROM information_schema.tables"
                                " WHERE table_schema = current_schema()").fetchall()
    return {r[0] for r in rows}


def _pages(journal, table: str, key: tuple[str, ...], batch: int):
    """The rows of `table` in key order, `batch` at a time, each page its own read."""
    order = ", ".join(key)
    last = None
    while True:
        with journal._read() as conn:
            if last is None:
                rows = conn.execute(f"SELECT * FROM {table} ORDER BY {order} LIMIT ?",
                                    (batch,)).fetchall()
            else:
                marks = ", ".join("?" for _ in key)
                rows = conn.execute(f"SELECT * FROM {table} WHERE ({order}) > ({marks})"
                                    f" ORDER BY {order} LIMIT ?", (*last, batch)).fetchall()
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][k] for k in key)


def _insert(target, table: str, columns: list[str], key: tuple[str, ...],
            values: list[list]) -> int:
    """Insert the rows the target lacks (by `key`); how many were inserted."""
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
           f" ({', '.join('?' for _ in columns)}) ON CONFLICT ({', '.join(key)}) DO NOTHING")
    inserted = 0
    with target._write() as conn:
        for row in values:
            inserted += conn.execute(sql, row).rowcount
    return inserted


def _copy_numbered(source, target, origin: str, table: str, batch: int,
                   count: CopyCount) -> dict[int, int]:
    """Copy `table` with new ids; returns source id -> target id (old copies too)."""
    with target._read() as conn:
        mapping = {r[0]: r[1] for r in conn.execute(
            "SELECT source_id, target_id FROM copied_rows WHERE source = ? AND tbl = ?",
            (origin, table)).fetchall()}
    for rows in _pages(source, table, ("id",), batch):
        columns = [c for c in rows[0].keys() if c != "id"]
        fresh = [r for r in rows if r["id"] not in mapping]
        with target._write() as conn:
            for r in fresh:
                new_id = conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
                    f" ({', '.join('?' for _ in columns)}) RETURNING id",
                    [r[c] for c in columns]).fetchone()[0]
                conn.execute("INSERT INTO copied_rows (source, tbl, source_id, target_id)"
                             " VALUES (?, ?, ?, ?)", (origin, table, r["id"], new_id))
                mapping[r["id"]] = new_id
        count.add(table, len(fresh), len(rows) - len(fresh))
    return mapping
