"""The customer cache: which Astro customer a store's POS customer id is linked to."""
from __future__ import annotations

import datetime as dt

from bridge.journal.base import JournalBase, micros, utcnow


class CustomerJournal(JournalBase):
    """Customers this bridge has already found or linked in Astro."""

    def known_customer(self, store_id: str, customer_id: str) -> str | None:
        """The astro_customer_id of a customer this bridge has already linked, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT astro_customer_id FROM customers"
                               " WHERE store_id = ? AND customer_id = ?",
                               (store_id, customer_id)).fetchone()
        return None if row is None else row["astro_customer_id"]

    def remember_customer(self, store_id: str, customer_id: str, astro_customer_id: str,
                          at: dt.datetime | None = None) -> None:
        """Keep (or replace) the link of `customer_id` to `astro_customer_id`."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO customers (store_id, customer_id, astro_customer_id, remembered_at_us)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (store_id, customer_id) DO UPDATE"
                " SET astro_customer_id = excluded.astro_customer_id,"
                " remembered_at_us = excluded.remembered_at_us",
                (store_id, customer_id, astro_customer_id or "", micros(at or utcnow())))

    def forget_customer(self, store_id: str, customer_id: str) -> bool:
        """Drop the cached link of `customer_id` (Astro no longer knows it); True if
        there was one."""
        with self._write() as conn:
            return conn.execute("DELETE FROM customers WHERE store_id = ? AND customer_id = ?",
                                (store_id, customer_id)).rowcount == 1
