"""Failure reasons and, for each, plain guidance: what the store can do about it.

`Reason` is why a line is in the failure report. It is fixed when the failure is
recorded (`Journal.record_failure(..., reason=...)`) and stored with it, so the report
lists and filters by it without reading the message again: the bridge's own failures
name theirs (`SALE_ID_REUSED`, `POINTS_UNCERTAIN`, `GIVEN_UP`, ...), and a refusal from
Astro takes the reason of Astro's message (`astro_reason`). `guidance_for(reason,
item_code=...)` gives a `Guidance` (a title and a few steps in plain words). The admin
pages and the `astro-bridge failures` command show it next to each failure, so the
person looking at a failure does not have to know Astro's messages by heart.

A `No Item Found` line has a `Cause`, read from what Astro lists (`ItemPrograms`:
eligiblePurchaseItems names the programs that list an item code, enrolled or not;
listOffers the programs the store takes part in). An item no program lists, in neither
of its GTIN forms, is *routine* (`Cause.IN_NO_PROGRAM`: leashes, toys, most of a pet
store): Astro's answer is right and nobody has anything to do. The others are for a
person: an item of a program the store is not enrolled in, the EAN-13 of a listed
UPC-A, an item whose program the store has joined since, or one not looked up yet.
`guidance_for(..., cause=...)` says what to do for each.

`reason_of_old_failure(kind, message)` classifies the failures of journals written
before reasons were stored (the journal's migration calls it once per old row).

Pure; may import the standard library only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping


class Reason(StrEnum):
    """Why a failure was recorded; its value is what the report shows and filters by
    (and what the journal stores)."""

    NO_ITEM_FOUND = "No Item Found"
    ALREADY_EXISTS = "TransactionID Already Exists"
    MISSING_EMAIL = "Missing email"
    MISSING_ADDRESS = "Missing address"
    MISSING_BOTH = "Missing email and address"
    NOT_ELIGIBLE = "Not eligible"
    NO_POINT_REWARDS = "No Astro point rewards are available"
    CUSTOMER_REFUSED = "Customer not accepted by Astro"
    POINTS_UNCERTAIN = "Points uncertain"
    REDEMPTION_UNCERTAIN = "Redemption uncertain"
    SALE_ID_REUSED = "SaleID reused"
    GIVEN_UP = "Given up"
    NOT_REACHED = "Astro not reached"
    REFUSED = "Refused by Astro"       # any other refusal: Astro's message says why


@dataclass(frozen=True)
class Guidance:
    """What a failure reason means and what the store can do, in plain words."""

    reason: Reason
    title: str
    steps: tuple[str, ...]


def upc_a_of(code: str | None) -> str | None:
    """The 12-digit UPC-A of an EAN-13 that is one (leading 0, valid check digit), else
    None. Programs list UPC-A codes, so `0012345678905` must be sent as `012345678905`."""
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    if not code or len(code) != 13 or not _digits(code) or code[0] != "0":
        return None
    return code[1:] if _gtin_check_ok(code) else None


def other_gtin_form(code: str | None) -> str | None:
    """The same product's code in its other GTIN form: the UPC-A of an EAN-13 with a
    leading 0, the EAN-13 of a UPC-A; None for anything else (store item numbers)."""
    if not code or not _digits(code):
        return None
    if len(code) == 13 and code.startswith("0"):
        return code[1:]
    if len(code) == 12:
        return "0" + code
    return None


def _digits(code: str) -> bool:
    return code.isascii() and code.isdigit()


def _gtin_check_ok(code: str) -> bool:
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    # GTIN check digit: weights 3,1,3,... from the right of the body.
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


class Cause(StrEnum):
    """Why Astro answered `No Item Found` for an item code, as far as what it lists
    tells; the value is what the report and the CSV show."""

    IN_NO_PROGRAM = "in no program"            # routine: nothing to do
    NOT_ENROLLED = "program not enrolled"      # listed in a program the store is not in
    OTHER_FORM = "listed in its other form"    # the EAN-13 of a listed UPC-A, or back
    ENROLLED_NOW = "program enrolled now"      # its program is one the store is in now
    NOT_LOOKED_UP = "not looked up yet"        # Astro has not been asked yet


@dataclass(frozen=True)
class Program:
    """A program as Astro names it (eligiblePurchaseItems, listOffers)."""

    program_id: str
    title: str | None = None
    mfg_name: str | None = None

    def __str__(self) -> str:
        title = self.title or f"program {self.program_id}"
        return f"{title} ({self.mfg_name})" if self.mfg_name else title


@dataclass(frozen=True)
class ItemCause:
    """The cause of one item code's `No Item Found`: `programs` list the code (or, for
    OTHER_FORM, `listed_code`, its other form)."""

    cause: Cause
    programs: tuple[Program, ...] = ()
    listed_code: str | None = None

    @property
    def routine(self) -> bool:
        """In no program at all: Astro's answer is right and nobody has to act."""
        return self.cause == Cause.IN_NO_PROGRAM


@dataclass(frozen=True)
class ItemPrograms:
    """What Astro lists, as far as it was asked: `listed` maps each item code looked up
    to the programs that list it (empty: none does); `enrolled` holds the ids of the
    programs the store takes part in (None: not known); `asked_at` and
    `enrolled_asked_at` say when Astro gave those answers."""

    listed: Mapping[str, tuple[Program, ...]] = field(default_factory=dict)
    enrolled: frozenset[str] | None = None
    asked_at: Mapping[str, dt.datetime] = field(default_factory=dict)   # per item code
    enrolled_asked_at: dt.datetime | None = None

    def to_ask(self, item_codes, since: dt.datetime) -> set[str]:
        """The codes, with their other GTIN forms, that Astro has not been asked about
        since `since` (never, or too long ago)."""
        forms = set(item_codes) | {o for c in item_codes if (o := other_gtin_form(c))}
        return {c for c in forms if c not in self.asked_at or self.asked_at[c] < since}

    def cause_of(self, item_code: str) -> ItemCause:
        """Why Astro refused `item_code` with `No Item Found` (NOT_LOOKED_UP until the
        code, and its other GTIN form, have been looked up)."""
        other = other_gtin_form(item_code)
        if item_code not in self.listed or (other and other not in self.listed):
            return ItemCause(Cause.NOT_LOOKED_UP)
        own = self.listed[item_code]
        if own:
            now_in = self.enrolled is not None and any(
                p.program_id in self.enrolled for p in own)
            return ItemCause(Cause.ENROLLED_NOW if now_in else Cause.NOT_ENROLLED, own)
        if other and self.listed[other]:
            return ItemCause(Cause.OTHER_FORM, self.listed[other], other)
        return ItemCause(Cause.IN_NO_PROGRAM)


def astro_reason(message: str | None, *, otherwise: Reason = Reason.REFUSED) -> Reason:
    """The reason of a refusal from Astro, from its message: Astro's known messages
    (any case), a redemption refused for a missing email and/or address, not eligible;
    `otherwise` for any other message (the report shows the message itself)."""
    low = (message or "").strip().lower()
    for known in (Reason.NO_ITEM_FOUND, Reason.ALREADY_EXISTS, Reason.NO_POINT_REWARDS):
        if low == known.lower():
            return known
    if "missing" in low or "requir" in low:
        email, address = "email" in low, "address" in low.replace("email_address", "")
        if email and address:
            return Reason.MISSING_BOTH
        if email:
            return Reason.MISSING_EMAIL
        if address:
            return Reason.MISSING_ADDRESS
    if "not eligible" in low:
        return Reason.NOT_ELIGIBLE
    return otherwise


def reason_of_old_failure(kind: str, message: str | None) -> Reason:
    """The reason of a failure recorded before reasons were stored, read from its kind
    and message as the report used to read them (for the journal's migration only)."""
    low = (message or "").strip().lower()
    if kind == "points" and ("uncertain" in low or "may or may not" in low):
        return Reason.POINTS_UNCERTAIN
    for own in (Reason.POINTS_UNCERTAIN, Reason.REDEMPTION_UNCERTAIN):
        if low.startswith(own.lower()):
            return own
    if "already used for a different sale" in low or "already used by a different sale" in low:
        return Reason.SALE_ID_REUSED
    if low.startswith("gave up after"):
        return Reason.GIVEN_UP
    if kind == "customer":
        return Reason.CUSTOMER_REFUSED
    return astro_reason(message)


def guidance_for(reason: Reason, *, item_code: str | None = None,
                 cause: ItemCause | None = None) -> Guidance:
    """Guidance for one reason; for `No Item Found`, for its `cause` when known (the
    programs and codes it names are the line's own steps). A refusal Astro gave no
    known reason for gets the general advice to read the message and retry once the
    cause is fixed."""
    reason = Reason(reason)
    if reason == Reason.NO_ITEM_FOUND:
        return _no_item_found(item_code, cause or ItemCause(Cause.NOT_LOOKED_UP))
    if reason == Reason.ALREADY_EXISTS:
        return Guidance(reason, "Probably a duplicate: this line was sent before", (
            "Astro already has a purchase with this transaction id on the customer's "
            "account, so the purchase is most likely counted already.",
            "To check: in Astro, open the customer and look at the card's purchases for "
            "this item on the sale date (the purchase shows the transaction id).",
            "If it is there, hide this failure. If it is not, the id was used by another "
            "sale: ring the item up again as a new sale.",
        ))
    if reason in _MISSING:
        what = _MISSING[reason]
        return Guidance(reason, f"The reward needs the customer's {what}", (
            f"This program mails or sends the reward, so Astro refuses the redemption "
            f"without the customer's {what}. The reward was NOT redeemed.",
            f"Ask the customer for their {what}, open their receipt and redeem again: the "
            f"page asks for the {what} and saves it on the customer first.",
            "Do not hand the reward over until the page says it was redeemed.",
        ))
    if reason == Reason.POINTS_UNCERTAIN:
        return Guidance(reason, "Points may or may not have been applied", (
            "Astro did not answer after the points call was sent (points earned for a "
            "sale, or points taken for a reward), and the bridge could not tell from the "
            "customer's points history whether it happened.",
            "Points earned for a sale: the line shows the customer's points history "
            "around the sale. Look in Astro too: is there an entry for this sale's amount "
            "that no other sale explains? Then answer \"Points were awarded\" (nothing "
            "is sent); if not, \"Points were not awarded\" (they are sent once). A Retry "
            "never sends them.",
            "Points taken for a reward: is there a 'Redeemed' entry for this reward? If "
            "there is, hide this line (a retry would take the points twice). If there is "
            "not, retry it.",
        ))
    if reason == Reason.REDEMPTION_UNCERTAIN:
        return Guidance(reason, "The reward may or may not have been redeemed", (
            "Astro did not answer the redemption and the bridge could not read the "
            "customer's cards afterwards.",
            "Open the customer in Astro and look at the card's free goods: if the reward "
            "shows a redemption date, it was redeemed (hide this line); if not, retry it.",
            "Until then, do not hand the reward over.",
        ))
    if reason == Reason.NOT_ELIGIBLE:
        return Guidance(reason, "Astro says the reward is not available", (
            "The card may not be complete yet, or the reward was redeemed already "
            "(perhaps at another register).",
            "Check the customer's cards in Astro; hide this failure if the reward was "
            "used.",
        ))
    if reason == Reason.NO_POINT_REWARDS:
        return Guidance(reason, "Not enough points for this reward", (
            "The customer's points balance no longer covers the reward (points may have "
            "been used in the meantime). The reward was NOT redeemed.",
            "Check the balance in Astro; hide this failure if it is right.",
        ))
    if reason == Reason.SALE_ID_REUSED:
        return Guidance(reason, "A sale number was used twice: this sale was NOT sent", (
            "The POS sent a SaleID the bridge had already recorded for another sale "
            "(another customer, other items, amounts or day). To never count a sale twice "
            "the bridge sent nothing of the second one.",
            "Look at the POS's sale numbering: two registers sharing numbers, or a "
            "numbering that restarted, are the usual causes.",
            "Ring the sale up again with a new sale number (or replay it with its own "
            "sale id), then hide this line. Retry cannot send it: it has no sale of its "
            "own in the journal.",
        ))
    if reason == Reason.NOT_REACHED:
        return Guidance(reason, "Astro could not be reached", (
            "Nothing was recorded at Astro. The bridge keeps retrying by itself; Retry "
            "sends it now.",
        ))
    if reason == Reason.CUSTOMER_REFUSED:
        return Guidance(reason, "The customer could not be linked or added in Astro", (
            "Astro refused to add the POS customer (the message says why, e.g. an email "
            "or phone number that belongs to another customer's account). Nothing of the "
            "sale was sent: its lines wait for the customer.",
            "Fix the customer's details in the POS or in Astro, then Retry: the sale is "
            "sent with the same ids, so nothing is counted twice.",
        ))
    if reason == Reason.GIVEN_UP:
        return Guidance(reason, "The bridge stopped trying: not delivered", (
            "Astro could not be reached (or kept failing) for as long as the bridge "
            "retries a sale, so this part of the sale was not delivered.",
            "Once Astro answers again, Retry: it sends the same ids, so what did reach "
            "Astro is not counted twice.",
        ))
    return Guidance(reason, "Astro refused this", (
        "Read the message: it is Astro's own words.",
        "Fix the cause (in Astro or in the POS), then Retry: it sends the same ids, so "
        "nothing is counted twice.",
    ))


def _no_item_found(item_code: str | None, cause: ItemCause) -> Guidance:
    listed_in = (f"Astro lists it in {', '.join(map(str, cause.programs))}."
                 if cause.programs else None)
    if cause.cause == Cause.IN_NO_PROGRAM:
        return _guidance(Reason.NO_ITEM_FOUND, "In no program: nothing to do", (
            "No program in Astro lists this item code, in either of its forms, so Astro "
            "is right: like leashes and toys, most of a store's items are in no program.",
            "Nothing to do. The report counts these lines per item code under \"In no "
            "program\" and keeps every one in the CSV.",
        ))
    if cause.cause == Cause.NOT_ENROLLED:
        return _guidance(Reason.NO_ITEM_FOUND,
                         "The item's program is one the store is not enrolled in", (
            "Astro lists this item in a program the store is not enrolled in, so it "
            "punched no card.",
            listed_in,
            "To count it: enrol the store in the program in Astro, then Retry: the line "
            "is sent again with the same transaction id.",
            "If the store does not want the program, hide the line.",
        ))
    if cause.cause == Cause.ENROLLED_NOW:
        return _guidance(Reason.NO_ITEM_FOUND, "The store is in the item's program now", (
            "When the sale was sent Astro did not count this item for the store; now it "
            "lists it in a program the store takes part in (enrolled since, or the item "
            "was added to the program).",
            listed_in,
            "Retry: the line is sent again with the same transaction id.",
        ))
    if cause.cause == Cause.OTHER_FORM:
        return _guidance(Reason.NO_ITEM_FOUND,
                         "The POS sent the other form of a code Astro lists", (
            "Programs list a product under one form of its code (the 12-digit UPC-A, or "
            "the 13-digit EAN-13); the POS sent the other form, so Astro did not find it.",
            f"Astro lists it as {cause.listed_code}, in "
            f"{', '.join(map(str, cause.programs))}." if cause.listed_code else None,
            "For the next sales: put the code Astro lists on the item in the POS (or let "
            "the bridge turn EAN-13 codes into UPC-A: convert_upc = true for the store).",
            "This line: a Retry sends the same code and fails again. If the customer "
            "should have the punch, add it in Astro by hand, then hide the line.",
        ))
    steps = [
        "Astro has not been asked yet which programs list this code (the bridge asks in "
        "the background, then sorts the line out). Until then, the usual causes:",
        "The store is not enrolled in the item's program: enrol in Astro (Programs), then "
        "Retry.",
        "A new item of a program the store is enrolled in: add it in Astro as a program "
        "item exception, then Retry.",
        "The POS sent an EAN-13 where the program lists the UPC-A.",
    ]
    upc = upc_a_of(item_code)
    if upc:
        steps.append(f"This code is an EAN-13: its UPC-A is {upc}. Put {upc} on the item "
                     f"in the POS so future sales match.")
    if item_code and not _digits(item_code):
        steps.append("This is a store item number: it counts only in a custom program "
                     "that lists it.")
    steps.append("If the item is in no program at all, nothing is wrong: hide the failure.")
    return _guidance(Reason.NO_ITEM_FOUND, "The item is in none of the store's programs",
                     steps)


def _guidance(reason: Reason, title: str, steps) -> Guidance:
    """A Guidance of the steps that apply (a step given as None does not)."""
    return Guidance(reason, title, tuple(step for step in steps if step))


_MISSING = {Reason.MISSING_EMAIL: "email address", Reason.MISSING_ADDRESS: "mailing address",
            Reason.MISSING_BOTH: "email and mailing address"}
