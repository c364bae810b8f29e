"""Where the sandbox keeps its account state: memory, or a SQLite file that survives
restarts (and kill -9 once a request has been answered: each change is committed
before the answer is sent)."""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable

# Record kind -> (state section, id field of the records of a list section; None for a
# dict section keyed by the record key). `next_id` is stored whole with every change.
SECTIONS: dict[str, tuple[str, str | None]] = {
    "customer": ("customers", None),
    "transaction": ("transactions", None),
    "offer_counts": ("offer_counts", None),
    "card": ("cards", "astro_card_id"),
    "points": ("points_transactions", "astro_points_transaction_id"),
    "redemption": ("redemptions", "astro_redemption_id"),
    "offer_reward": ("offer_rewards", "offer_reward_id"),
    "enrolment": ("enrolment", None),
}

Changed = Iterable[tuple[str, Any]]   # (record kind, record key) pairs


class MemoryStore:
    """Keeps nothing: the state lives only in the Account object."""

    def load(self) -> dict[str, Any] | None:
        return None

    def replace(self, state: dict[str, Any]) -> None:
        pass

    def save(self, state: dict[str, Any], changed: Changed) -> None:
        pass

    def close(self) -> None:
        pass


def _dump(record: Any) -> str:
    # default=str: numbers sent as JSON decimals are kept as Decimal in the state.
    return json.dumps(record, separators=(",", ":"), default=str)


class SQLiteStore:
    """One row per record (customer, card, transaction, ...), so a change writes only
    the records it touched."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is enough to survive the process being killed (not a power cut).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sandbox_record (kind TEXT NOT NULL, key TEXT NOT NULL,"
            " document TEXT NOT NULL, PRIMARY KEY (kind, key))")

    def load(self) -> dict[str, Any] | None:
        with self._lock:
            rows = self._db.execute("SELECT kind, key, document FROM sandbox_record").fetchall()
        if not rows:
            return None
        state: dict[str, Any] = {}
        for section, id_field in SECTIONS.values():
            state[section] = [] if id_field else {}
        for kind, key, document in rows:
            record = json.loads(document)
            if kind == "next_id":
                state["next_id"] = record
                continue
            section, id_field = SECTIONS[kind]
            if id_field:
                state[section].append(record)
            else:
                state[section][key] = record
        for section, id_field in SECTIONS.values():
            if id_field:
                state[section].sort(key=lambda r, f=id_field: r[f])
        return state

    def _rows(self, state: dict[str, Any], changed: Changed):
        """(kind, key, document or None to delete) of the changed records."""
        indexes: dict[str, dict[str, Any]] = {}
        for kind, key in changed:
            section, id_field = SECTIONS[kind]
            if id_field:
                if kind not in indexes:
                    indexes[kind] = {str(r[id_field]): r for r in state[section]}
                record = indexes[kind].get(str(key))
            else:
                record = state[section].get(key)
            yield kind, str(key), None if record is None else _dump(record)
        yield "next_id", "", _dump(state["next_id"])

    def _write(self, rows, clear: bool = False) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if clear:
                    self._db.execute("DELETE FROM sandbox_record")
                for kind, key, document in rows:
                    if document is None:
                        self._db.execute("DELETE FROM sandbox_record WHERE kind = ? AND key = ?",
                                         (kind, key))
                    else:
                        self._db.execute(
                            "INSERT INTO sandbox_record (kind, key, document) VALUES (?, ?, ?)"
                            " ON CONFLICT (kind, key) DO UPDATE SET document = excluded.document",
                            (kind, key, document))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def replace(self, state: dict[str, Any]) -> None:
        """Store `state` as the whole account (start, reset)."""
        every = [(kind, r[id_field] if id_field else key)
                 for kind, (section, id_field) in SECTIONS.items()
                 for key, r in (state[section].items() if not id_field
                                else enumerate(state[section]))]
        self._write(list(self._rows(state, every)), clear=True)

    def save(self, state: dict[str, Any], changed: Changed) -> None:
        """Store the records named in `changed` (deleting those no longer in `state`)."""
        self._write(list(self._rows(state, list(changed))))

    def close(self) -> None:
        with self._lock:
            self._db.close()
