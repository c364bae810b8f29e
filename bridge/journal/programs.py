"""What Astro lists, kept: the programs that list each item code (eligiblePurchaseItems)
and the programs each store takes part in (listOffers), each with when Astro said so.

The failure report and the receipt read these answers instead of asking Astro; whoever
may call Astro (the retry worker, the report's command) asks again for what is missing
or older than its age limit (bridge.delivery.programs)."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping

from bridge.journal.base import JournalBase, from_json, from_micros, micros, to_json
from bridge.reasons import ItemPrograms, Program

_CHUNK = 500      # item codes per IN (...) query: well under every backend's limit


class ProgramsJournal(JournalBase):
    """Astro's last answers about which programs list which item codes."""

    def item_programs(self, store_id: str, codes: Iterable[str]) -> ItemPrograms:
        """What Astro last said of `codes` (those it was asked about, whatever the age of
        the answer) and of the store's programs; `asked_at` says when."""
        codes = sorted(set(codes))
        listed, asked = {}, {}
        with self._read() as conn:
            for start in range(0, len(codes), _CHUNK):
                chunk = codes[start:start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                for row in conn.execute(
                        f"SELECT item_code, programs_json, asked_at_us FROM item_programs"
                        f" WHERE store_id = ? AND item_code IN ({marks})",
                        (store_id, *chunk)):
                    listed[row["item_code"]] = _programs(row["programs_json"])
                    asked[row["item_code"]] = from_micros(row["asked_at_us"])
            row = conn.execute("SELECT programs_json, asked_at_us FROM store_programs"
                               " WHERE store_id = ?", (store_id,)).fetchone()
        enrolled = None if row is None else frozenset(
            p.program_id for p in _programs(row["programs_json"]))
        return ItemPrograms(listed, enrolled, asked_at=asked,
                            enrolled_asked_at=None if row is None
                            else from_micros(row["asked_at_us"]))

    def remember_item_programs(self, store_id: str,
                               listed: Mapping[str, tuple[Program, ...]],
                               at: dt.datetime) -> None:
        """Keep Astro's answer for each item code (an empty tuple: no program lists it)."""
        if not listed:
            return
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO item_programs (store_id, item_code, programs_json, asked_at_us)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (store_id, item_code) DO UPDATE"
                " SET programs_json = excluded.programs_json,"
                " asked_at_us = excluded.asked_at_us",
                [(store_id, code, _json(programs), micros(at))
                 for code, programs in listed.items()])

    def remember_store_programs(self, store_id: str, programs: Iterable[Program],
                                at: dt.datetime) -> None:
        """Keep the programs the store takes part in, as listOffers gave them."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO store_programs (store_id, programs_json, asked_at_us)"
                " VALUES (?, ?, ?) ON CONFLICT (store_id) DO UPDATE"
                " SET programs_json = excluded.programs_json,"
                " asked_at_us = excluded.asked_at_us",
                (store_id, _json(tuple(programs)), micros(at)))


def _json(programs: Iterable[Program]) -> str:
    return to_json([{"id": p.program_id, "title": p.title, "mfg": p.mfg_name}
                    for p in programs])


def _programs(text: str) -> tuple[Program, ...]:
    return tuple(Program(str(p["id"]), p.get("title"), p.get("mfg"))
                 for p in from_json(text) or ())
