"""Where the sandbox keeps its account state: memory, or one SQLite file that survives
restarts (and kill -9 once a request has been answered: each change is committed
before the answer is sent)."""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any


class MemoryStore:
    """Keeps nothing: the state lives only in the Account object."""

    def load(self) -> dict[str, Any] | None:
        return None

    def save(self, state: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


class SQLiteStore:
    """The whole account state as one JSON document in a one-row table.

    Simple on purpose: the sandbox is a test double; a write rewrites the document."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sandbox_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
            " document TEXT NOT NULL)")

    def load(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT document FROM sandbox_state WHERE id = 1").fetchone()
        return json.loads(row[0]) if row else None

    def save(self, state: dict[str, Any]) -> None:
        # default=str: numbers sent as JSON decimals are kept as Decimal in the state.
        document = json.dumps(state, separators=(",", ":"), default=str)
        with self._lock:
            self._db.execute(
                "INSERT INTO sandbox_state (id, document) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET document = excluded.document", (document,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
