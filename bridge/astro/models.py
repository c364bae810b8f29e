"""Typed answers of the Astro calls the bridge uses.

Every value is a frozen dataclass built from Astro's ``returnData`` by ``from_data``; the
dict it came from stays in ``.raw`` (left out of repr and equality) so nothing Astro sent
is lost. Field names follow the domain; each field declares its wire name with
``wire(...)``. Astro sends numbers sometimes as strings; both are accepted. Dates stay
the text Astro sent (its date formats are not documented).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from bridge.astro.protocol import ALREADY_EXISTS_MESSAGE, SUCCESS


def _int(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _dec(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def _many(record: type) -> Callable[[Any], tuple]:
    return lambda value: tuple(record.from_data(d) for d in (value or [])
                               if isinstance(d, Mapping))


def wire(name: str, convert: Callable[[Any], Any] = _str, **kw: Any) -> Any:
    """A dataclass field read from the wire key ``name`` through ``convert``."""
    return field(metadata={"wire": name, "convert": convert}, **kw)


class _Record:
    """``from_data`` for dataclasses whose fields are declared with ``wire``."""

    @classmethod
    def from_data(cls, data: Mapping) -> Any:
        values = {f.name: f.metadata["convert"](data.get(f.metadata["wire"]))
                  for f in fields(cls) if "wire" in f.metadata}
        return cls(**values, raw=data)


def _raw() -> Any:
    return field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CardPurchase(_Record):
    """One purchase punched on a frequent-buyer card."""
    transaction_id: str | None = wire("imported_transaction_id")
    item_code: str | None = wire("item_code")
    item_description: str | None = wire("item_description")
    purchase_date: str | None = wire("purchase_date")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class FreeGood(_Record):
    """A reward earned by a complete card; ``redeemed_on`` is None while it is open."""
    reward_id: str | None = wire("astro_reward_id")
    item_id: str | None = wire("astro_item_id")
    item_description: str | None = wire("item_description")
    free_qty: int | None = wire("free_qty", _int)
    redeemed_on: str | None = wire("redeemed_on")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class Card(_Record):
    """A customer's frequent-buyer card for one program."""
    card_id: str | None = wire("astro_card_id")
    program_id: str | None = wire("astro_program_id")
    program_title: str | None = wire("astro_program_title")
    mfg_name: str | None = wire("astro_mfg_name")
    status: str | None = wire("astro_card_status")
    purchase_required_count: int | None = wire("card_purchase_required_count", _int)
    reward_count: int | None = wire("card_reward_count", _int)
    purchases: tuple[CardPurchase, ...] = wire("cardPurchases", _many(CardPurchase))
    free_goods: tuple[FreeGood, ...] = wire("cardFreeGoods", _many(FreeGood))
    raw: Mapping = _raw()


@dataclass(frozen=True)
class OfferReward(_Record):
    """A manufacturer offer reward of the customer."""
    reward_id: str | None = wire("offer_reward_id")
    title: str | None = wire("offer_title")
    offer_type: str | None = wire("offer_type")
    rebate_amount: Decimal | None = wire("rebate_amount", _dec)
    expires: str | None = wire("offer_expires")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class PointsTransaction(_Record):
    """One entry of the customer's points history (``points`` negative for deductions)."""
    points_transaction_id: str | None = wire("astro_points_transaction_id")
    description: str | None = wire("pointsDescription")
    date: str | None = wire("pointsDate")
    points: int | None = wire("pointsQty", _int)
    total_points: int | None = wire("totalPoints", _int)
    raw: Mapping = _raw()


@dataclass(frozen=True)
class PointReward(_Record):
    """A points reward the customer can afford now."""
    reward_id: str | None = wire("astro_points_reward_id")
    title: str | None = wire("pointsRewardTitle")
    points_required: int | None = wire("pointsRequired", _int)
    reward_type: str | None = wire("reward_type")
    reward_value: Decimal | None = wire("reward_value", _dec)
    raw: Mapping = _raw()


@dataclass(frozen=True)
class CustomerStatus(_Record):
    """Answer of customerStatus: the customer, cards, offers and points."""
    astro_customer_id: str | None = wire("astro_customer_id")
    customer_id: str | None = wire("customerID")
    first_name: str | None = wire("first_name")
    last_name: str | None = wire("last_name")
    email: str | None = wire("email_address")
    phone: str | None = wire("phone")
    points_balance: int | None = wire("astroPointsBalance", _int)
    cards: tuple[Card, ...] = wire("astroCardData", _many(Card))
    offer_rewards: tuple[OfferReward, ...] = wire("astroOfferRewards", _many(OfferReward))
    points_transactions: tuple[PointsTransaction, ...] = wire(
        "astroPointsTransactions", _many(PointsTransaction))
    eligible_point_rewards: tuple[PointReward, ...] = wire(
        "astroPointsEligibleRewards", _many(PointReward))
    raw: Mapping = _raw()


@dataclass(frozen=True)
class CustomerMatch(_Record):
    """Answer of searchCustomer: the Astro account found (``customer_id`` if linked)."""
    astro_customer_id: str | None = wire("astro_customer_id")
    customer_id: str | None = wire("customerID")
    first_name: str | None = wire("first_name")
    last_name: str | None = wire("last_name")
    email: str | None = wire("email_address")
    phone: str | None = wire("phone")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class Purchase:
    """One line to send with addTransactionBatch (``amount`` optional, Decimal)."""
    transaction_id: str
    item_code: str
    qty: int
    date: datetime.date
    amount: Decimal | None = None

    def to_wire(self) -> dict:
        d = {"transactionID": self.transaction_id, "item_code": self.item_code,
             "item_qty": self.qty, "item_transaction_date": self.date}
        if self.amount is not None:
            d["item_amount"] = self.amount
        return d


@dataclass(frozen=True)
class LineResult(_Record):
    """Astro's result for one transaction line of addTransactionBatch."""
    transaction_id: str | None = wire("transactionID")
    status: int | None = wire("transaction_status", _int)
    message: str | None = wire("transaction_status_message")
    astro_transaction_id: str | None = wire("astro_transaction_id")
    program_id: str | None = wire("astro_program_id")
    program_title: str | None = wire("astro_program_title")
    raw: Mapping = _raw()

    @property
    def added(self) -> bool:
        """True when Astro added the line to a card now."""
        return self.status == SUCCESS

    @property
    def already_exists(self) -> bool:
        """True when the transactionID was used before (a resend of a delivered line)."""
        return (self.message or "").strip().lower() == ALREADY_EXISTS_MESSAGE.lower()


@dataclass(frozen=True)
class RemovedTransaction(_Record):
    """Astro's result for one line of removeTransaction."""
    transaction_id: str | None = wire("transactionID")
    status: int | None = wire("transaction_status", _int)
    astro_transaction_id: str | None = wire("astro_transaction_id")
    deleted: bool = wire("transactionDeleted", _bool)
    raw: Mapping = _raw()


@dataclass(frozen=True)
class PointsAward(_Record):
    """Answer of addPointsByDollar (and redeemPoints: ``total_points`` deducted)."""
    points_transaction_id: str | None = wire("astro_points_transaction_id")
    total_points: int | None = wire("total_points", _int)
    raw: Mapping = _raw()


@dataclass(frozen=True)
class PointsStatus(_Record):
    """Answer of customerPointsStatus."""
    balance: int | None = wire("astroPointsBalance", _int)
    eligible_rewards: tuple[PointReward, ...] = wire(
        "astroPointsEligibleRewards", _many(PointReward))
    transactions: tuple[PointsTransaction, ...] = wire(
        "astroPointsTransactions", _many(PointsTransaction))
    raw: Mapping = _raw()


@dataclass(frozen=True)
class Eligibility(_Record):
    """Answer of checkRedemptionEligibility; not eligible (code 700) is an answer too."""
    eligible: bool = wire("isEligible", _bool)
    reward_id: str | None = wire("astro_reward_id")
    program_type: str | None = wire("program_type")
    message: str | None = None  # Astro's message when not eligible
    raw: Mapping = _raw()


@dataclass(frozen=True)
class ItemProgram(_Record):
    """A program an item code qualifies for."""
    program_id: str | None = wire("astro_mfg_program_id")
    title: str | None = wire("astro_mfg_program_title")
    program_type: str | None = wire("astro_mfg_program_type")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class EligibleItem(_Record):
    """Answer of eligiblePurchaseItems for one item code."""
    item_code: str | None = wire("item_code")
    description: str | None = wire("item_description")
    mfg_name: str | None = wire("astro_mfg_name")
    programs: tuple[ItemProgram, ...] = wire("available_programs", _many(ItemProgram))
    raw: Mapping = _raw()


@dataclass(frozen=True)
class Offer(_Record):
    """One program of listOffers."""
    program_id: str | None = wire("astro_program_id")
    title: str | None = wire("astro_program_title")
    mfg_id: str | None = wire("astro_mfg_id")
    mfg_name: str | None = wire("astro_mfg_name")
    description: str | None = wire("astro_program_long_description")
    in_store_only: bool = wire("in_store_only", _bool)
    start_date: str | None = wire("astro_program_start_date")
    end_date: str | None = wire("astro_program_end_date")
    raw: Mapping = _raw()
