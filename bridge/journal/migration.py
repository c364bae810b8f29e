"""What the phased migration's readiness report needs besides the sales themselves.

Sales seen under passthrough/shadow are ordinary `sales` rows with skipped steps (see
record_sale). Kept here: the shadow dry run's outcome of such a sale, and the queries
that did not parse at all (Astro got them through the legacy URL; REST would have
refused them)."""
from __future__ import annotations

import datetime as dt

from bridge.journal.base import JournalBase, from_json, from_micros, micros, to_json, utcnow

MIGRATION_PHASES = ("passthrough", "shadow")


class MigrationJournal(JournalBase):
    """Shadow outcomes and unreadable sales of stores in passthrough or shadow."""

    def record_shadow_outcome(self, sale_key: str, outcome: dict,
                              at: dt.datetime | None = None) -> None:
        """Keep the shadow dry run's outcome (JSON-able, no secrets) of a recorded sale;
        a later outcome replaces an earlier one."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO shadow_outcomes (sale_key, outcome_json, evaluated_at_us)"
                " VALUES (?, ?, ?) ON CONFLICT (sale_key) DO UPDATE"
                " SET outcome_json = excluded.outcome_json,"
                " evaluated_at_us = excluded.evaluated_at_us",
                (sale_key, to_json(outcome), micros(at or utcnow())))

    def record_unreadable_sale(self, store_id: str, phase: str, problem: str,
                               received_at: dt.datetime) -> int:
        """Note a passthrough/shadow query that did not parse; `problem` is the parser's
        (redacted) message. Returns its id."""
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO unreadable_sales (store_id, phase, received_at_us, problem)"
                " VALUES (?, ?, ?, ?) RETURNING id",
                (store_id, phase, micros(received_at), problem)).fetchone()
            return int(row[0])

    def migration_sales(self, store: str | None = None,
                        since: dt.datetime | None = None) -> list[dict]:
        """Every sale recorded under passthrough or shadow (oldest first), as mappings:
        id (sale key, or "unreadable-<n>"), store, phase, received_at, sale (printable
        form, None if unreadable), problem, outcome (the shadow outcome or None)."""
        def where(prefix: str) -> tuple[str, list]:
            clauses: list[str] = []
            args: list[object] = []
            if store is not None:
                clauses.append(f"{prefix}store_id = ?")
                args.append(store)
            if since is not None:
                clauses.append(f"{prefix}received_at_us >= ?")
                args.append(micros(since))
            return "".join(f" AND {c}" for c in clauses), args

        with self._read() as conn:
            extra, args = where("s.")
            sales = conn.execute(
                "SELECT s.sale_key, s.store_id, s.phase, s.received_at_us, s.sale_json,"
                " o.outcome_json FROM sales s LEFT JOIN shadow_outcomes o"
                " ON o.sale_key = s.sale_key WHERE s.phase IN (?, ?)" + extra,
                (*MIGRATION_PHASES, *args)).fetchall()
            extra, args = where("")
            rows = conn.execute("SELECT * FROM unreadable_sales WHERE 1 = 1" + extra,
                                args).fetchall()
        result = [{"id": r["sale_key"], "store": r["store_id"], "phase": r["phase"],
                   "received_at": from_micros(r["received_at_us"]),
                   "sale": from_json(r["sale_json"]), "problem": None,
                   "outcome": from_json(r["outcome_json"])} for r in sales]
        result += [{"id": f"unreadable-{r['id']}", "store": r["store_id"],
                    "phase": r["phase"], "received_at": from_micros(r["received_at_us"]),
                    "sale": None, "problem": r["problem"], "outcome": None} for r in rows]
        return sorted(result, key=lambda r: r["received_at"])
