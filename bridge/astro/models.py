"""Typed answers of the Astro calls the bridge uses.

Every value is a frozen dataclass built from Astro's ``returnData`` by ``from_data``; the
dict it came from stays in ``.raw`` (left out of repr and equality) so nothing Astro sent
is lost. Field names follow the domain; each field declares its wire name with
``wire(...)``. Astro sends numbers sometimes as strings; both are accepted, and ids are
always text (``310645666`` and ``"310645666"`` are the same id). A list may come as one
object (``records``). Fields Astro adds are ignored; a field a record cannot do without
(its ``required``) missing or unreadable, or a record that is not an object, is
``Malformed``, which the client turns into a ProtocolError naming it. Dates stay the
text Astro sent (its date formats are not documented).
"""
from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, ClassVar

from bridge.astro.protocol import ALREADY_EXISTS_MESSAGE, SUCCESS


class Malformed(ValueError):
    """An answer the client cannot use; the text says what is wrong with it."""


def records(data: Any) -> list[Mapping]:
    """The records of a list answer: a list of objects, one object alone, or nothing
    (None, empty). Anything else is Malformed."""
    if data in (None, "") or (isinstance(data, Mapping) and not data):
        return []
    if isinstance(data, Mapping):
        return [data]
    if not isinstance(data, list) or not all(isinstance(d, Mapping) for d in data):
        raise Malformed(f"expected a list of objects, got {type(data).__name__}")
    return data


def _dec(value: Any) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    return number if number.is_finite() else None


def _int(value: Any) -> int | None:
    if type(value) is int:          # the usual wire form: no Decimal needed
        return value if abs(value) < 10 ** 19 else None
    number = _dec(value)
    # Counts and points are far below 10**18; a larger one is not a count (and turning
    # 1E+999999 into an int would take a while).
    return None if number is None or number.adjusted() > 18 else int(number)


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _id(value: Any) -> str | None:
    """An id as text: 1209, 1209.0 and "1209" are the same id."""
    if type(value) is int:
        return str(value)
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        number = _int(value)
        if number is not None and number == _dec(value):
            return str(number)
    return _str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


def _many(record: type[_Record]) -> Callable[[Any], tuple]:
    return lambda value: tuple(record.from_data(d) for d in records(value))


def wire(name: str, convert: Callable[[Any], Any] = _str, **kw: Any) -> Any:
    """A dataclass field read from the wire key ``name`` through ``convert``."""
    return field(metadata={"wire": name, "convert": convert}, **kw)


class _Record:
    """``from_data`` for dataclasses whose fields are declared with ``wire``."""

    required: ClassVar[tuple[str, ...]] = ()   # wire names a record cannot do without

    @classmethod
    def from_data(cls, data: Any, required: tuple[str, ...] | None = None) -> Any:
        """The record of ``data`` (Malformed if it is not an object, or lacks a field of
        ``required``, by default the class's)."""
        if not isinstance(data, Mapping):
            raise Malformed("no returnData" if data is None
                            else f"expected an object, got {type(data).__name__}")
        required = cls.required if required is None else required
        values = {}
        # A class is hashable; mypy checks the instances' __hash__ against Hashable.
        for attr, name, convert in _wired(cls):  # type: ignore[arg-type]
            value = values[attr] = convert(data.get(name))
            if name in required and (value is None or data.get(name) in (None, "")):
                raise Malformed(f"no usable {name}")
        # Every record class is a dataclass with a `raw` field (_raw()); _Record is not.
        return cls(**values, raw=data)  # type: ignore[call-arg]


@functools.lru_cache(maxsize=None)
def _wired(cls: type) -> tuple[tuple[str, str, Callable[[Any], Any]], ...]:
    """(attribute, wire name, converter) of each wired field of a record class: read once
    per class, not once per record (a customer's card history has hundreds)."""
    return tuple((f.name, f.metadata["wire"], f.metadata["convert"])
                 for f in fields(cls) if "wire" in f.metadata)


def _raw() -> Any:
    return field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CardPurchase(_Record):
    """One purchase punched on a frequent-buyer card."""
    transaction_id: str | None = wire("imported_transaction_id", _id)
    item_code: str | None = wire("item_code")
    item_description: str | None = wire("item_description")
    purchase_date: str | None = wire("purchase_date")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class FreeGood(_Record):
    """A reward earned by a complete card; ``redeemed_on`` is None while it is open."""
    reward_id: str | None = wire("astro_reward_id", _id)
    item_id: str | None = wire("astro_item_id", _id)
    item_description: str | None = wire("item_description")
    free_qty: int | None = wire("free_qty", _int)
    redeemed_on: str | None = wire("redeemed_on")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class Card(_Record):
    """A customer's frequent-buyer card for one program."""
    card_id: str | None = wire("astro_card_id", _id)
    program_id: str | None = wire("astro_program_id", _id)
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
    reward_id: str | None = wire("offer_reward_id", _id)
    title: str | None = wire("offer_title")
    offer_type: str | None = wire("offer_type")
    rebate_amount: Decimal | None = wire("rebate_amount", _dec)
    expires: str | None = wire("offer_expires")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class PointsTransaction(_Record):
    """One entry of the customer's points history (``points`` negative for deductions)."""
    required = ("astro_points_transaction_id",)
    points_transaction_id: str | None = wire("astro_points_transaction_id", _id)
    description: str | None = wire("pointsDescription")
    date: str | None = wire("pointsDate")
    points: int | None = wire("pointsQty", _int)
    total_points: int | None = wire("totalPoints", _int)
    raw: Mapping = _raw()


@dataclass(frozen=True)
class PointReward(_Record):
    """A points reward the customer can afford now."""
    reward_id: str | None = wire("astro_points_reward_id", _id)
    title: str | None = wire("pointsRewardTitle")
    points_required: int | None = wire("pointsRequired", _int)
    reward_type: str | None = wire("reward_type")
    reward_value: Decimal | None = wire("reward_value", _dec)
    raw: Mapping = _raw()


@dataclass(frozen=True)
class CustomerStatus(_Record):
    """Answer of customerStatus: the customer, cards, offers and points."""
    astro_customer_id: str | None = wire("astro_customer_id", _id)
    customer_id: str | None = wire("customerID", _id)
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
    required = ("astro_customer_id",)
    astro_customer_id: str | None = wire("astro_customer_id", _id)
    customer_id: str | None = wire("customerID", _id)
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
    required = ("transaction_status",)
    transaction_id: str | None = wire("transactionID", _id)
    status: int | None = wire("transaction_status", _int)
    message: str | None = wire("transaction_status_message")
    astro_transaction_id: str | None = wire("astro_transaction_id", _id)
    program_id: str | None = wire("astro_program_id", _id)
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
    required = ("transaction_status",)
    transaction_id: str | None = wire("transactionID", _id)
    status: int | None = wire("transaction_status", _int)
    message: str | None = wire("transaction_status_message")
    astro_transaction_id: str | None = wire("astro_transaction_id", _id)
    deleted: bool = wire("transactionDeleted", _bool)
    raw: Mapping = _raw()


@dataclass(frozen=True)
class PointsAward(_Record):
    """Answer of addPointsByDollar (and of redeemPoints, which sends only
    ``total_points``, the points deducted)."""
    required = ("astro_points_transaction_id", "total_points")
    points_transaction_id: str | None = wire("astro_points_transaction_id", _id)
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
    required = ("isEligible",)
    eligible: bool = wire("isEligible", _bool)
    reward_id: str | None = wire("astro_reward_id", _id)
    program_type: str | None = wire("program_type")
    message: str | None = None  # Astro's message when not eligible
    raw: Mapping = _raw()


@dataclass(frozen=True)
class ItemProgram(_Record):
    """A program an item code qualifies for."""
    program_id: str | None = wire("astro_mfg_program_id", _id)
    title: str | None = wire("astro_mfg_program_title")
    program_type: str | None = wire("astro_mfg_program_type")
    raw: Mapping = _raw()


@dataclass(frozen=True)
class EligibleItem(_Record):
    """Answer of eligiblePurchaseItems for one item code."""
    required = ("item_code",)
    item_code: str | None = wire("item_code")
    description: str | None = wire("item_description")
    mfg_name: str | None = wire("astro_mfg_name")
    programs: tuple[ItemProgram, ...] = wire("available_programs", _many(ItemProgram))
    raw: Mapping = _raw()


@dataclass(frozen=True)
class Offer(_Record):
    """One program of listOffers."""
    required = ("astro_program_id",)
    program_id: str | None = wire("astro_program_id", _id)
    title: str | None = wire("astro_program_title")
    mfg_id: str | None = wire("astro_mfg_id", _id)
    mfg_name: str | None = wire("astro_mfg_name")
    description: str | None = wire("astro_program_long_description")
    in_store_only: bool = wire("in_store_only", _bool)
    start_date: str | None = wire("astro_program_start_date")
    end_date: str | None = wire("astro_program_end_date")
    raw: Mapping = _raw()
