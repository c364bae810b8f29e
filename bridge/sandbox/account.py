"""The sandbox's Astro account: customers, Buy X Get Y cards, transactions, points,
redemptions and offers, with the business rules of ASTRO_API.md.

State is a plain JSON-able dict guarded by one lock, so it can be shown as is by the
control endpoint and stored as is by a state store. Methods raise `AstroFailure` for
business errors; they return the `returnData` of the endpoint they implement."""
from __future__ import annotations

import copy
import threading
from datetime import datetime, timezone
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from bridge.sandbox.seed import Program, Seed
from bridge.sandbox.state_store import MemoryStore
from bridge.sandbox.wire import SUCCESS, TRANSACTION_ADDED, UNDOCUMENTED, AstroFailure

CUSTOMER_FIELDS = ("first_name", "last_name", "email_address", "phone",
                   "address", "city", "state", "zip")
# addRedemption fields a program's `requires` entry asks for.
REQUIRED_FOR = {
    "email": ("customer_email_address",),
    "address": ("customer_address", "customer_city", "customer_state", "customer_zip"),
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _today() -> str:
    return _now().date().isoformat()


def _text(value: Any) -> str | None:
    """A value as sent, as text (amounts stay exact decimals, never floats), or None."""
    return None if value in (None, "") else str(value)


def seed_state(seed: Seed) -> dict[str, Any]:
    """The state of a fresh account: the seed's customers, nothing bought yet."""
    customers = {}
    for c in seed.customers:
        customers[c.astro_customer_id] = {
            "astro_customer_id": c.astro_customer_id, "customerID": c.customer_id,
            "first_name": c.first_name, "last_name": c.last_name, "email_address": c.email,
            "phone": c.phone, "address": c.address, "city": c.city, "state": c.state,
            "zip": c.zip,
        }
    return {
        "next_id": {"customer": 2001, "card": 1, "transaction": 1, "reward": 1,
                    "points_transaction": 1, "redemption": 1, "offer_reward": 1},
        "customers": customers,
        "cards": [],
        "transactions": {},
        "points_transactions": [],
        "redemptions": [],
        "offer_counts": {},
        "offer_rewards": [],
        "enrolment": {},    # program id (text) -> enrolled, where changed from the seed
    }


class Account:
    """One Astro account (the store's), thread-safe."""

    def __init__(self, seed: Seed, store=None):
        self.seed = seed
        self.store = store or MemoryStore()
        self.lock = threading.RLock()
        self._changed: set[tuple[str, Any]] = set()   # records to store at the next save
        self.state = self.store.load()
        if self.state is None:
            self.state = seed_state(seed)
            self.store.replace(self.state)
        self.state.setdefault("enrolment", {})
        self._reindex()

    # ----- housekeeping -------------------------------------------------------------
    def reset(self) -> None:
        """Back to the seed (also in the state store)."""
        with self.lock:
            self.state = seed_state(self.seed)
            self._changed.clear()
            self._reindex()
            self.store.replace(self.state)

    # ----- indexes ----------------------------------------------------------------------
    # Derived from self.state (never stored), so that a call does not scan every customer,
    # card or points transaction of the account. Kept in step with every change, under
    # self.lock; rebuilt whole when the state is replaced (start, reset).
    def _reindex(self) -> None:
        with self.lock:
            self._order: dict[str, int] = {}          # astro id -> place in customers
            self._by_pos_id: dict[Any, set[str]] = {}  # customerID -> astro ids
            self._by_email: dict[str, set[str]] = {}   # lower-case email -> astro ids
            self._by_phone: dict[str, set[str]] = {}   # phone digits -> astro ids
            # astro id -> its records, in the order of the state's lists
            self._cards_by: dict[str, list[dict[str, Any]]] = {}
            self._points_by: dict[str, list[dict[str, Any]]] = {}
            self._offer_rewards_by: dict[str, list[dict[str, Any]]] = {}
            for astro_id, c in self.state["customers"].items():
                self._index_customer(astro_id, c)
            for card in self.state["cards"]:
                self._cards_by.setdefault(card["astro_customer_id"], []).append(card)
            for t in self.state["points_transactions"]:
                self._points_by.setdefault(t["astro_customer_id"], []).append(t)
            for r in self.state["offer_rewards"]:
                self._offer_rewards_by.setdefault(r["astro_customer_id"], []).append(r)

    @staticmethod
    def _email_key(c: dict[str, Any]) -> str:
        return (c["email_address"] or "").lower()

    @staticmethod
    def _phone_key(c: dict[str, Any]) -> str:
        return "".join(ch for ch in (c["phone"] or "") if ch.isdigit())

    def _index_customer(self, astro_id: str, c: dict[str, Any]) -> None:
        self._order.setdefault(astro_id, len(self._order))
        self._by_pos_id.setdefault(c["customerID"], set()).add(astro_id)
        self._by_email.setdefault(self._email_key(c), set()).add(astro_id)
        self._by_phone.setdefault(self._phone_key(c), set()).add(astro_id)

    def _unindex_customer(self, astro_id: str, c: dict[str, Any]) -> None:
        for index, key in ((self._by_pos_id, c["customerID"]),
                           (self._by_email, self._email_key(c)),
                           (self._by_phone, self._phone_key(c))):
            ids = index.get(key)
            if ids is not None:
                ids.discard(astro_id)
                if not ids:
                    del index[key]

    def _first(self, ids: set[str] | None) -> str | None:
        """Of `ids`, the astro id that comes first in the customers (as a scan finds)."""
        return min(ids, key=self._order.__getitem__) if ids else None

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.state)

    def _touch(self, kind: str, key: Any) -> None:
        """Mark a record (see state_store.SECTIONS) changed, to be stored by save()."""
        self._changed.add((kind, key))

    def save(self) -> None:
        """Store the records changed since the last save (before the answer is sent)."""
        with self.lock:
            self.store.save(self.state, self._changed)
            self._changed.clear()

    def _next(self, kind: str) -> int:
        n = self.state["next_id"][kind]
        self.state["next_id"][kind] = n + 1
        return n

    # ----- enrolment ------------------------------------------------------------------
    def enrolled_programs(self) -> list[Program]:
        """The programs the store is enrolled in now: the seed's `enrolled`, unless
        set_enrolled changed it."""
        with self.lock:
            changed = dict(self.state["enrolment"])
        return [p for p in self.seed.programs if changed.get(str(p.id), p.enrolled)]

    def enrolled_program_for(self, item_code: str) -> Program | None:
        """The first enrolled program listing `item_code` (exact match) as qualifying."""
        return next((p for p in self.enrolled_programs() if p.item(item_code)), None)

    def set_enrolled(self, program_id: int, enrolled: bool) -> None:
        """Enrol the store in the seed's program, or end its enrolment (KeyError when
        the seed has no such program). Kept in the state store; reset() undoes it."""
        if self.seed.program(program_id) is None:
            raise KeyError(program_id)
        with self.lock:
            self.state["enrolment"][str(program_id)] = bool(enrolled)
            self._touch("enrolment", str(program_id))
            self.save()

    # ----- customers ------------------------------------------------------------------
    def customer(self, customer_id: Any) -> dict[str, Any]:
        """The Astro customer linked to the POS id `customer_id`, or No Customer Found."""
        if customer_id in (None, ""):
            raise AstroFailure("incomplete_request")
        customer_id = str(customer_id)
        with self.lock:
            astro_id = self._first(self._by_pos_id.get(customer_id))
            if astro_id is None:
                raise AstroFailure("no_customer_found")
            return self.state["customers"][astro_id]

    def _by_astro_id(self, astro_id: Any) -> dict[str, Any]:
        c = self.state["customers"].get(str(astro_id))
        if c is None:
            raise AstroFailure("no_customer_found")
        return c

    def search_customer(self, email: Any, phone: Any) -> dict[str, Any]:
        """The first customer with this email (any case) or phone (digits compared)."""
        email = str(email or "").strip().lower()
        phone = "".join(ch for ch in str(phone or "") if ch.isdigit())
        if not email and not phone:
            raise AstroFailure("incomplete_request")
        with self.lock:
            ids: set[str] = set()
            if email:
                ids |= self._by_email.get(email, set())
            if phone:
                ids |= self._by_phone.get(phone, set())
            astro_id = self._first(ids)
            if astro_id is not None:
                return self._public_customer(self.state["customers"][astro_id])
        raise AstroFailure("no_customer_found")

    @staticmethod
    def _public_customer(c: dict[str, Any]) -> dict[str, Any]:
        return {k: c[k] for k in ("astro_customer_id", "customerID", "first_name",
                                  "last_name", "email_address", "phone")}

    def link_customer(self, customer_id: str, astro_id: str) -> dict[str, Any]:
        with self.lock:
            c = self._by_astro_id(astro_id)
            taken = bool(self._by_pos_id.get(customer_id))
            if c["customerID"] or taken:
                raise AstroFailure("customer_already_linked")
            self._unindex_customer(c["astro_customer_id"], c)
            c["customerID"] = customer_id
            self._index_customer(c["astro_customer_id"], c)
            self._touch("customer", c["astro_customer_id"])
            self.save()
            return {"astro_customer_id": c["astro_customer_id"]}

    def add_customer(self, customer_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if self._by_pos_id.get(customer_id):
                raise AstroFailure("customer_id_exists")
            astro_id = str(self._next("customer"))
            c = {"astro_customer_id": astro_id, "customerID": customer_id}
            c.update({k: str(fields.get(k) or "") for k in CUSTOMER_FIELDS})
            self.state["customers"][astro_id] = c
            self._index_customer(astro_id, c)
            self._touch("customer", astro_id)
            self.save()
            return {"astro_customer_id": astro_id}

    def update_customer(self, astro_id: Any, customer_id: Any,
                        fields: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            c = self._by_astro_id(astro_id) if astro_id else self.customer(customer_id)
            self._unindex_customer(c["astro_customer_id"], c)
            for k in CUSTOMER_FIELDS:
                if fields.get(k) is not None:
                    c[k] = str(fields[k])
            self._index_customer(c["astro_customer_id"], c)
            self._touch("customer", c["astro_customer_id"])
            self.save()
            return {"astro_customer_id": c["astro_customer_id"]}

    # ----- cards and transactions -----------------------------------------------------
    def _cards_of(self, astro_id: str, program_id: int | None = None) -> list[dict[str, Any]]:
        return [card for card in self._cards_by.get(astro_id, ())
                if program_id is None or card["astro_program_id"] == program_id]

    def _punch(self, astro_id: str, program: Program, punch: dict[str, Any]) -> None:
        """One punch on the oldest open card of the program; X punches earn the reward."""
        card = next((cd for cd in self._cards_of(astro_id, program.id)
                     if len(cd["punches"]) < program.purchase_required), None)
        if card is None:
            card = {"astro_card_id": self._next("card"), "astro_customer_id": astro_id,
                    "astro_program_id": program.id, "punches": [], "free_goods": []}
            self.state["cards"].append(card)
            self._cards_by.setdefault(astro_id, []).append(card)
        card["punches"].append(punch)
        self._touch("card", card["astro_card_id"])
        if len(card["punches"]) == program.purchase_required:
            reward = program.reward_items[0] if program.reward_items else None
            card["free_goods"].append({
                "astro_reward_id": self._next("reward"),
                "astro_item_id": reward.code if reward else None,
                "item_description": reward.description if reward else program.title,
                "free_qty": program.reward_count, "redeemed_on": None,
            })

    def _unpunch(self, card: dict[str, Any], punch: dict[str, Any]) -> None:
        """Take one punch off; a card below X loses its unredeemed reward."""
        program = self.seed.program(card["astro_program_id"])
        card["punches"].remove(punch)
        self._touch("card", card["astro_card_id"])
        if len(card["punches"]) < program.purchase_required:
            card["free_goods"] = [g for g in card["free_goods"] if g["redeemed_on"]]
        if not card["punches"] and not card["free_goods"]:
            self.state["cards"].remove(card)
            mine = self._cards_by[card["astro_customer_id"]]
            mine.remove(card)
            if not mine:
                del self._cards_by[card["astro_customer_id"]]

    def _line(self, customer: dict[str, Any], line: Any, sale_id: Any,
              seen: set[str]) -> dict[str, Any]:
        result = {"transactionID": None, "astro_transaction_id": None,
                  "astro_program_id": None, "astro_program_title": None}

        def fail(key: str) -> dict[str, Any]:
            answer = UNDOCUMENTED[key]
            return {"transaction_status": answer.code,
                    "transaction_status_message": answer.message, **result}

        if not isinstance(line, dict):
            return fail("incomplete_request")
        tid, code = line.get("transactionID"), line.get("item_code")
        result["transactionID"] = tid
        if tid in (None, "") or code in (None, "") or line.get("item_qty") in (None, ""):
            return fail("incomplete_request")
        tid, code = str(tid), str(code)
        try:
            qty = int(Decimal(str(line["item_qty"])))
            if qty != Decimal(str(line["item_qty"])) or qty == 0:
                return fail("invalid_quantity")
        except (InvalidOperation, ValueError):
            return fail("invalid_quantity")
        date = str(line.get("item_transaction_date") or _today())[:10]
        try:
            datetime.strptime(date, "%Y-%m-%d")  # noqa: DTZ007 (only the form is checked)
        except ValueError:
            return fail("incomplete_request")
        if tid in self.state["transactions"] or tid in seen:
            return fail("transaction_id_exists")
        program = self.enrolled_program_for(code)
        if program is None:
            return fail("no_item_found")
        seen.add(tid)
        astro_tid = self._next("transaction")
        result.update(astro_transaction_id=astro_tid, astro_program_id=program.id,
                      astro_program_title=program.title)
        self._touch("transaction", tid)
        self.state["transactions"][tid] = {
            "transactionID": tid, "astro_transaction_id": astro_tid, "kind": "card",
            "astro_customer_id": customer["astro_customer_id"],
            "customerID": customer["customerID"], "saleID": _text(sale_id), "item_code": code,
            "item_qty": qty, "item_amount": _text(line.get("item_amount")),
            "item_transaction_date": date, "astro_program_id": program.id,
            "punched": 0, "deleted": False,
        }
        if qty > 0:
            description = program.item(code).description
            for _ in range(qty):
                self._punch(customer["astro_customer_id"], program, {
                    "imported_transaction_id": tid, "astro_transaction_id": astro_tid,
                    "item_code": code, "item_description": description,
                    "purchase_date": date})
            self.state["transactions"][tid]["punched"] = qty
        else:
            # A return: the newest punches of the program come off the customer's cards.
            self._return(customer["astro_customer_id"], program, -qty)
        return {"transaction_status": SUCCESS, "transaction_status_message": TRANSACTION_ADDED,
                **result}

    def _return(self, astro_id: str, program: Program, count: int) -> None:
        for card in reversed(self._cards_of(astro_id, program.id)):
            while count and card["punches"] and not any(
                    g["redeemed_on"] for g in card["free_goods"]):
                self._unpunch(card, card["punches"][-1])
                count -= 1
                if card not in self._cards_by.get(astro_id, ()):
                    break

    def add_transactions(self, customer_id: Any, lines: Any, sale_id: Any) -> list[dict]:
        """Per-line results; failed lines change nothing and do not use up their id."""
        if not isinstance(lines, list) or not lines:
            raise AstroFailure("incomplete_request")
        with self.lock:
            customer = self.customer(customer_id)
            seen: set[str] = set()
            results = [self._line(customer, line, sale_id, seen) for line in lines]
            self.save()
            return results

    def remove_transaction(self, customer_id: Any, transaction_id: Any,
                           quantity: Any = None, kind: str = "card") -> list[dict]:
        with self.lock:
            customer = self.customer(customer_id)
            tx = self.state["transactions"].get(str(transaction_id or ""))
            if transaction_id in (None, ""):
                raise AstroFailure("incomplete_request")
            if (tx is None or tx["kind"] != kind or tx["deleted"]
                    or tx["astro_customer_id"] != customer["astro_customer_id"]):
                raise AstroFailure("transaction_not_found")
            try:
                count = tx["punched"] if quantity in (None, "") else int(quantity)
            except ValueError:
                raise AstroFailure("invalid_quantity") from None
            if kind == "card":
                for card in reversed(self._cards_of(customer["astro_customer_id"])):
                    for punch in reversed(list(card["punches"])):
                        if count and punch["astro_transaction_id"] == tx["astro_transaction_id"]:
                            self._unpunch(card, punch)
                            tx["punched"] -= 1
                            count -= 1
            else:
                self._unoffer(customer["astro_customer_id"], tx, count)
            tx["deleted"] = tx["punched"] <= 0
            self._touch("transaction", tx["transactionID"])
            self.save()
            return [{"transaction_status": SUCCESS, "transactionID": tx["transactionID"],
                     "astro_transaction_id": tx["astro_transaction_id"],
                     "transactionDeleted": True}]

    # ----- redemptions ----------------------------------------------------------------
    def _free_goods(self, astro_id: str):
        for card in self._cards_of(astro_id):
            for good in card["free_goods"]:
                yield card, self.seed.program(card["astro_program_id"]), good

    def check_redemption(self, customer_id: Any, item_code: Any) -> dict[str, Any]:
        with self.lock:
            customer = self.customer(customer_id)
            if item_code in (None, ""):
                raise AstroFailure("incomplete_request")
            for _card, program, good in self._free_goods(customer["astro_customer_id"]):
                if not good["redeemed_on"] and program.reward_item(str(item_code)):
                    return {"isEligible": True, "astro_reward_id": good["astro_reward_id"],
                            "astro_item_id": str(item_code), "program_type": program.type,
                            "astro_program_id": program.id,
                            "astro_program_title": program.title,
                            "requires": list(program.requires)}
            raise AstroFailure("not_eligible")

    def _find_good(self, astro_id: str, reward_id: Any):
        for card, program, good in self._free_goods(astro_id):
            if str(good["astro_reward_id"]) == str(reward_id):
                return card, program, good
        raise AstroFailure("reward_not_found")

    def add_redemption(self, customer_id: Any, payload: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            customer = self.customer(customer_id)
            if payload.get("astro_reward_id") in (None, ""):
                raise AstroFailure("incomplete_request")
            card, program, good = self._find_good(customer["astro_customer_id"],
                                                  payload["astro_reward_id"])
            if good["redeemed_on"]:
                raise AstroFailure("reward_already_redeemed")
            item_id = payload.get("astro_item_id") or good["astro_item_id"]
            if program.reward_item(str(item_id)) is None:
                raise AstroFailure("no_item_found")
            missing = [f for need in program.requires for f in REQUIRED_FOR.get(need, ())
                       if not str(payload.get(f) or "").strip()]
            if missing:
                raise AstroFailure("missing_customer_info", ", ".join(missing))
            good["redeemed_on"] = _today()
            good["astro_item_id"] = str(item_id)
            self._touch("card", card["astro_card_id"])
            self._record_redemption({"kind": "card",
                "astro_customer_id": customer["astro_customer_id"],
                "astro_reward_id": good["astro_reward_id"], "astro_item_id": str(item_id),
                "astro_program_id": program.id, "redeemed_on": good["redeemed_on"],
                "shipping": {f: payload.get(f) for need in program.requires
                             for f in REQUIRED_FOR.get(need, ())},
                "removed": False})
            self.save()
            return {"astro_reward_id": good["astro_reward_id"]}

    def _record_redemption(self, redemption: dict[str, Any]) -> None:
        redemption_id = self._next("redemption")
        self.state["redemptions"].append({"astro_redemption_id": redemption_id, **redemption})
        self._touch("redemption", redemption_id)

    def remove_redemption(self, customer_id: Any, reward_id: Any) -> dict[str, Any]:
        with self.lock:
            customer = self.customer(customer_id)
            if reward_id in (None, ""):
                raise AstroFailure("incomplete_request")
            card, _program, good = self._find_good(customer["astro_customer_id"], reward_id)
            if not good["redeemed_on"]:
                raise AstroFailure("reward_not_redeemed")
            good["redeemed_on"] = None
            self._touch("card", card["astro_card_id"])
            for r in self.state["redemptions"]:
                if r["kind"] == "card" and r["astro_reward_id"] == good["astro_reward_id"]:
                    r["removed"] = True
                    self._touch("redemption", r["astro_redemption_id"])
            self.save()
            return {"astro_reward_id": good["astro_reward_id"]}

    # ----- points ---------------------------------------------------------------------
    def points_balance(self, astro_id: str) -> int:
        return sum(t["pointsQty"] for t in self._points_by.get(astro_id, ()))

    def _add_points(self, astro_id: str, qty: int, description: str) -> dict[str, Any]:
        total = self.points_balance(astro_id) + qty
        tx = {"astro_points_transaction_id": self._next("points_transaction"),
              "astro_customer_id": astro_id, "pointsDescription": description,
              "pointsDate": _now().isoformat(timespec="seconds"), "pointsQty": qty,
              "totalPoints": total}
        self.state["points_transactions"].append(tx)
        self._points_by.setdefault(astro_id, []).append(tx)
        self._touch("points", tx["astro_points_transaction_id"])
        return tx

    def add_points_by_dollar(self, customer_id: Any, amount: Any) -> dict[str, Any]:
        """Points = dollars x rate, rounded toward zero; a negative amount deducts."""
        if amount in (None, "") or isinstance(amount, bool):
            raise AstroFailure("incomplete_request")
        try:
            dollars = Decimal(str(amount))
        except InvalidOperation:
            raise AstroFailure("invalid_amount") from None
        if not dollars.is_finite():
            raise AstroFailure("invalid_amount")
        with self.lock:
            customer = self.customer(customer_id)
            points = int((dollars * self.seed.points_per_dollar).to_integral_value(ROUND_DOWN))
            label = "Purchase" if dollars >= 0 else "Refund"
            tx = self._add_points(customer["astro_customer_id"], points,
                                  f"{label} ${abs(dollars):.2f}")
            self.save()
            return {"astro_points_transaction_id": tx["astro_points_transaction_id"],
                    "total_points": points, "astroPointsBalance": tx["totalPoints"]}

    def eligible_point_rewards(self, astro_id: str) -> list[dict[str, Any]]:
        balance = self.points_balance(astro_id)
        return [{"astro_points_reward_id": r.id, "pointsRewardTitle": r.title,
                 "pointsRequired": r.points, "reward_type": r.reward_type,
                 "reward_value": str(r.reward_value)}
                for r in self.seed.points_rewards if r.points <= balance]

    def redeem_points(self, customer_id: Any, reward_id: Any) -> dict[str, Any]:
        with self.lock:
            customer = self.customer(customer_id)
            if reward_id in (None, ""):
                raise AstroFailure("incomplete_request")
            try:
                reward = self.seed.points_reward(int(reward_id))
            except ValueError:
                reward = None
            if reward is None:
                raise AstroFailure("points_reward_not_found")
            astro_id = customer["astro_customer_id"]
            if self.points_balance(astro_id) < reward.points:
                raise AstroFailure("no_point_rewards")
            tx = self._add_points(astro_id, -reward.points, f"Redeemed: {reward.title}")
            self._record_redemption({"kind": "points",
                "astro_customer_id": astro_id, "astro_points_reward_id": reward.id,
                "points": reward.points, "redeemed_on": _today(),
                "astro_points_transaction_id": tx["astro_points_transaction_id"],
                "removed": False})
            self.save()
            return {"total_points": reward.points, "astroPointsBalance": tx["totalPoints"]}

    # ----- offers ---------------------------------------------------------------------
    def add_offer_transaction(self, customer_id: Any, tid: Any, code: Any,
                              qty: Any) -> dict[str, Any]:
        with self.lock:
            customer = self.customer(customer_id)
            if tid in (None, "") or code in (None, ""):
                raise AstroFailure("incomplete_request")
            try:
                qty = int(qty if qty not in (None, "") else 1)
            except ValueError:
                raise AstroFailure("invalid_quantity") from None
            if qty <= 0:
                raise AstroFailure("invalid_quantity")
            tid = str(tid)
            if tid in self.state["transactions"]:
                raise AstroFailure("transaction_id_exists")
            offer = self.seed.offer_for(str(code))
            if offer is None:
                raise AstroFailure("no_item_found")
            astro_id = customer["astro_customer_id"]
            astro_tid = self._next("transaction")
            self._touch("transaction", tid)
            self._touch("offer_counts", astro_id)
            self.state["transactions"][tid] = {
                "transactionID": tid, "astro_transaction_id": astro_tid, "kind": "offer",
                "astro_customer_id": astro_id, "customerID": customer["customerID"],
                "saleID": None, "item_code": str(code), "item_qty": qty,
                "item_amount": None, "item_transaction_date": _today(),
                "astro_offer_id": offer.id, "punched": qty, "deleted": False}
            counts = self.state["offer_counts"].setdefault(astro_id, {})
            before = counts.get(str(offer.id), 0)
            counts[str(offer.id)] = before + qty
            earned = (before + qty) // offer.purchase_required - before // offer.purchase_required
            for _ in range(earned):
                reward_id = self._next("offer_reward")
                self._touch("offer_reward", reward_id)
                reward = {
                    "offer_reward_id": reward_id, "astro_customer_id": astro_id,
                    "astro_offer_id": offer.id, "offer_title": offer.title,
                    "offer_type": offer.type, "rebate_amount": str(offer.rebate_amount),
                    "offer_expires": offer.expires, "redeemed_on": None}
                self.state["offer_rewards"].append(reward)
                self._offer_rewards_by.setdefault(astro_id, []).append(reward)
            self.save()
            return {"transactionID": tid, "astro_transaction_id": astro_tid,
                    "astro_offer_id": offer.id, "offer_rewards_earned": earned}

    def _unoffer(self, astro_id: str, tx: dict[str, Any], count: int) -> None:
        offer = self.seed.offer(tx["astro_offer_id"])
        counts = self.state["offer_counts"].setdefault(astro_id, {})
        self._touch("offer_counts", astro_id)
        count = min(count, tx["punched"])
        counts[str(offer.id)] = counts.get(str(offer.id), 0) - count
        tx["punched"] -= count
        keep = counts[str(offer.id)] // offer.purchase_required
        mine = [r for r in self._offer_rewards_by.get(astro_id, ())
                if r["astro_offer_id"] == offer.id]
        for r in reversed(mine):
            if len(mine) <= keep:
                break
            if not r["redeemed_on"]:
                self._touch("offer_reward", r["offer_reward_id"])
                self.state["offer_rewards"].remove(r)
                self._offer_rewards_by[astro_id].remove(r)
                mine.remove(r)

    def add_offer_redemption(self, customer_id: Any, reward_id: Any) -> dict[str, Any]:
        with self.lock:
            customer = self.customer(customer_id)
            if reward_id in (None, ""):
                raise AstroFailure("incomplete_request")
            reward = next((r for r in self._offer_rewards_by.get(
                               customer["astro_customer_id"], ())
                           if str(r["offer_reward_id"]) == str(reward_id)), None)
            if reward is None:
                raise AstroFailure("reward_not_found")
            if reward["redeemed_on"]:
                raise AstroFailure("reward_already_redeemed")
            reward["redeemed_on"] = _today()
            self._touch("offer_reward", reward["offer_reward_id"])
            self._record_redemption({"kind": "offer",
                "astro_customer_id": customer["astro_customer_id"],
                "offer_reward_id": reward["offer_reward_id"],
                "redeemed_on": reward["redeemed_on"], "removed": False})
            self.save()
            return {"offer_reward_id": reward["offer_reward_id"]}

    # ----- views ----------------------------------------------------------------------
    def card_view(self, card: dict[str, Any]) -> dict[str, Any]:
        program = self.seed.program(card["astro_program_id"])
        complete = len(card["punches"]) >= program.purchase_required
        redeemed = complete and all(g["redeemed_on"] for g in card["free_goods"])
        return {
            "astro_card_id": card["astro_card_id"], "astro_program_id": program.id,
            "astro_program_title": program.title, "astro_mfg_name": program.mfg_name,
            "astro_card_status": "redeemed" if redeemed else
                                 "completed" if complete else "active",
            "card_purchase_required_count": program.purchase_required,
            "card_reward_count": program.reward_count,
            "astro_program_image": "", "astro_program_long_description": program.description,
            "cardPurchases": [{k: p[k] for k in ("imported_transaction_id", "item_code",
                                                   "item_description", "purchase_date")}
                              for p in card["punches"]],
            "cardFreeGoods": [dict(g) for g in card["free_goods"]],
        }

    def customer_status(self, customer_id: Any, completed_cards: Any = 0) -> dict[str, Any]:
        """completed_cards=1 also lists cards whose rewards were all redeemed."""
        with self.lock:
            c = self.customer(customer_id)
            astro_id = c["astro_customer_id"]
            cards = [self.card_view(card) for card in self._cards_of(astro_id)]
            if str(completed_cards) not in ("1", "True", "true"):
                cards = [cd for cd in cards if cd["astro_card_status"] != "redeemed"]
            return {
                **self._public_customer(c),
                "astroPointsBalance": self.points_balance(astro_id),
                "astroCardData": cards,
                "astroOfferRewards": self.offer_rewards(astro_id),
                "astroPointsTransactions": self.points_transactions(astro_id),
                "astroPointsEligibleRewards": self.eligible_point_rewards(astro_id),
            }

    def offer_rewards(self, astro_id: str) -> list[dict[str, Any]]:
        return [{k: r[k] for k in ("offer_reward_id", "offer_title", "offer_type",
                                   "rebate_amount", "offer_expires")}
                for r in self._offer_rewards_by.get(astro_id, ()) if not r["redeemed_on"]]

    def points_transactions(self, astro_id: str) -> list[dict[str, Any]]:
        return [{k: t[k] for k in ("astro_points_transaction_id", "pointsDescription",
                                   "pointsDate", "pointsQty", "totalPoints")}
                for t in self._points_by.get(astro_id, ())]

    def points_status(self, customer_id: Any) -> dict[str, Any]:
        with self.lock:
            astro_id = self.customer(customer_id)["astro_customer_id"]
            return {"astroPointsBalance": self.points_balance(astro_id),
                    "astroPointsEligibleRewards": self.eligible_point_rewards(astro_id),
                    "astroPointsTransactions": self.points_transactions(astro_id)}

    def reward_status(self, customer_id: Any) -> list[dict[str, Any]]:
        """The customer's unredeemed card rewards (free goods)."""
        with self.lock:
            astro_id = self.customer(customer_id)["astro_customer_id"]
            return [{**good, "astro_program_id": program.id,
                     "astro_program_title": program.title, "program_type": program.type,
                     "astro_card_id": card["astro_card_id"]}
                    for card, program, good in self._free_goods(astro_id)
                    if not good["redeemed_on"]]
