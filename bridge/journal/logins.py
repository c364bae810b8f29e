"""What every bridge on the journal must know about logins: the wrong-password record of
each address (kept for bridge.webbase.throttle, which alone reads it) and the admin
sessions that were logged out (bridge.admin.sessions). Shared, so a guesser cannot
spread guesses over bridges and a logout holds on every bridge.

Both are bounded: a record not seen for its window (and not locked) is deleted, at most
`max_records` records are kept (the least recently seen go first), and an ended session
is forgotten once it would have expired anyway."""
from __future__ import annotations

from typing import Any, Callable

from bridge.journal.base import JournalBase


class LoginJournal(JournalBase):
    """Login guesses per address, and ended admin sessions."""

    def login_record(self, address: str) -> tuple[str, float] | None:
        """(record, last seen in epoch seconds) of `address`, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT record, last_seen_us FROM login_guesses"
                               " WHERE address = ? AND record <> ''", (address,)).fetchone()
        return None if row is None else (row["record"], row["last_seen_us"] / 1e6)

    def change_login_record(self, address: str,
                            change: Callable[[tuple[str, float] | None],
                                             tuple[str | None, float, Any]],
                            *, now: float, window: float, max_records: int) -> Any:
        """Change the record of `address` in one transaction, the record locked, so two
        bridges never both change it from the same state: `change(found)` (found as
        `login_record` gives it) returns (new record or None to delete it, the time
        until which the address is locked, a result), and the result is returned.
        Records not seen for `window` seconds and not locked are deleted, and the least
        recently seen beyond `max_records`."""
        now_us = round(now * 1e6)
        with self._write() as conn:
            # The row exists before it is locked: two first guesses at once wait for
            # each other instead of both inserting.
            conn.execute("INSERT INTO login_guesses (address, record, last_seen_us,"
                         " locked_until_us) VALUES (?, '', ?, 0)"
                         " ON CONFLICT (address) DO NOTHING", (address, now_us))
            row = conn.execute("SELECT record, last_seen_us FROM login_guesses"
                               f" WHERE address = ?{self._backend.for_update}",
                               (address,)).fetchone()
            found = (row["record"], row["last_seen_us"] / 1e6) if row["record"] else None
            record, locked_until, result = change(found)
            if record is None:
                conn.execute("DELETE FROM login_guesses WHERE address = ?", (address,))
            else:
                conn.execute("UPDATE login_guesses SET record = ?, last_seen_us = ?,"
                             " locked_until_us = ? WHERE address = ?",
                             (record, now_us, round(locked_until * 1e6), address))
            conn.execute("DELETE FROM login_guesses WHERE last_seen_us < ?"
                         " AND locked_until_us <= ? AND address <> ?",
                         (now_us - round(window * 1e6), now_us, address))
            extra = conn.execute("SELECT COUNT(*) FROM login_guesses").fetchone()[0] \
                - max_records
            if extra > 0:
                conn.execute("DELETE FROM login_guesses WHERE address IN ("
                             " SELECT address FROM login_guesses WHERE address <> ?"
                             " ORDER BY last_seen_us LIMIT ?)", (address, extra))
        return result

    def login_record_count(self) -> int:
        """How many addresses have a record."""
        with self._read() as conn:
            return conn.execute("SELECT COUNT(*) FROM login_guesses"
                                " WHERE record <> ''").fetchone()[0]

    # -- admin sessions ------------------------------------------------------------
    def end_session(self, sid: str, expires: float, *, now: float) -> None:
        """Session `sid` was logged out: it is refused until `expires` (epoch seconds),
        when it would have expired anyway (ended sessions older than `now` go)."""
        with self._write() as conn:
            conn.execute("INSERT INTO ended_sessions (sid, expires_us) VALUES (?, ?)"
                         " ON CONFLICT (sid) DO NOTHING", (sid, round(expires * 1e6)))
            conn.execute("DELETE FROM ended_sessions WHERE expires_us <= ?",
                         (round(now * 1e6),))

    def session_ended(self, sid: str) -> bool:
        """True when session `sid` was logged out (on any bridge)."""
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM ended_sessions WHERE sid = ?",
                                (sid,)).fetchone() is not None
