"""What a customerStatus read sent in the same round as a sale's writes saw, told from
the data itself, and the customer's status once those writes are in. Pure.

A read that overlaps the writes on the wire may be answered before or after Astro did
each of them. A line of this sale is in the read when a card lists its transactionID
(`cardPurchases[].imported_transaction_id`); the sale's award is in it when the points
history lists the award's `astro_points_transaction_id`. What the read did not see is
added to it the way Astro does it: a line's punches go on the oldest open card of its
program (a new card when none is open, with the program's punches required as the
customer's other cards of it show), the award's points on the balance.

What cannot be told that way is said, with what can be told filled in:

- the cards (`cards_known` False): a line of a program the customer has no card of yet
  (how many punches it needs is not in the read, nor known from other customers'
  cards), a line or removal the read should have shown but did not;
- a free good (`free_goods_known` False): a card completed by a line the read did not
  see is told (complete, and the next card opened), but its free good, and that
  reward's id, are Astro's to give: it is shown without them;
- the point rewards (`point_rewards_known` False): an award the read did not see that
  raises the balance (the point rewards it makes affordable are not in the read: those
  it lists stay; the balance itself is known).

The caller then reads once more (the writes are answered by then), or, for a free good
or the point rewards only, has it read in the background.

    status_after(read, sale, *, award=None, removals=False, card_sizes=None)
        -> Overlap(status, cards_known, point_rewards_known, free_goods_known)
    card_sizes_of(status) -> {program id: punches a card needs}
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Mapping

from bridge.astro import Card, CardPurchase, CustomerStatus, FreeGood, PointsTransaction
from bridge.journal import SaleRecord
from bridge.translate import TransactionsStep

ADDED, ALREADY = "added", "already"


@dataclass(frozen=True)
class Overlap:
    """The customer's status after the sale's writes, as far as the read tells it, and
    which parts it tells exactly (module docstring)."""
    status: CustomerStatus
    cards_known: bool
    point_rewards_known: bool
    free_goods_known: bool = True

    @property
    def exact(self) -> bool:
        return self.cards_known and self.point_rewards_known and self.free_goods_known


def status_after(read: CustomerStatus, sale: SaleRecord, *,
                 award: tuple[str, int | None] | None = None, removals: bool = False,
                 card_sizes: Mapping[str, int] | None = None) -> Overlap:
    """The customer's status after this sale's writes, from `read`, a customerStatus sent
    together with them, and whether it is exact (module docstring).

    `sale` is the sale with the round's results recorded (its lines added or already
    there); `award` the (points transaction id, points) of the award answered in the
    round, if any; `removals` True when the round took lines off the cards;
    `card_sizes` the punches a card of each program needs, as other customers' cards
    showed them (`card_sizes_of`), for a program the customer has no card of yet."""
    cards_known, rewards_known = not removals, True     # rewards: the point rewards
    free_goods_known = True
    cards = list(read.cards)
    seen = Counter(p.transaction_id for c in read.cards for p in c.purchases
                   if p.transaction_id)
    for line, outcome, program_id, title in _lines_of(sale):
        if seen[line.transaction_id]:
            continue
        if outcome == ALREADY or not program_id:
            cards_known = False   # sent in an earlier attempt: a read now should show it
            continue
        for _ in range(line.qty):
            found = _open_card(cards, program_id)
            if found is None:
                required = next((c.purchase_required_count for c in cards
                                 if c.program_id == program_id and c.purchase_required_count),
                                (card_sizes or {}).get(program_id))
                if not required:
                    cards_known = False
                    break
                cards.append(Card(card_id=None, program_id=program_id, program_title=title,
                                  mfg_name=None, status="active",
                                  purchase_required_count=required, reward_count=None,
                                  purchases=(), free_goods=()))
                found = len(cards) - 1, required
            at, required = found
            card = cards[at]
            purchases = card.purchases + (CardPurchase(
                line.transaction_id, line.item_code, line.description,
                sale.plan.transaction_date),)
            if len(purchases) >= required:
                # Complete: its free good is Astro's to make; until a read shows it, one
                # without an id (nothing to redeem it by yet).
                free_goods_known = False
                card = dataclasses.replace(card, status="completed", free_goods=(
                    *card.free_goods, FreeGood(None, None, None, card.reward_count, None)))
            cards[at] = dataclasses.replace(card, purchases=purchases)
    status = dataclasses.replace(read, cards=tuple(cards))
    if award is None:
        return Overlap(status, cards_known, rewards_known, free_goods_known)
    transaction_id, points = award
    if any(str(t.points_transaction_id) == str(transaction_id)
           for t in read.points_transactions):
        return Overlap(status, cards_known, rewards_known, free_goods_known)
    if points is None or read.points_balance is None:
        return Overlap(dataclasses.replace(status, points_balance=None), cards_known, False,
                       free_goods_known)
    balance = read.points_balance + points
    return Overlap(dataclasses.replace(
        status, points_balance=balance,
        points_transactions=read.points_transactions + (
            PointsTransaction(str(transaction_id), description=None, date=None,
                              points=points, total_points=balance),),
        eligible_point_rewards=tuple(
            r for r in read.eligible_point_rewards
            if r.points_required is None or r.points_required <= balance)),
        cards_known, rewards_known and points <= 0, free_goods_known)


def card_sizes_of(status: CustomerStatus) -> dict[str, int]:
    """The punches a card of each program needs, as this customer's cards show it."""
    return {c.program_id: c.purchase_required_count for c in status.cards
            if c.program_id and c.purchase_required_count}


def _lines_of(sale: SaleRecord):
    """(line, outcome, program id, program title) of each line of the sale Astro has."""
    step_of = {s.n: s for s in sale.steps}
    for step in sale.plan.steps:
        if not isinstance(step, TransactionsStep):
            continue
        record = step_of.get(step.n)
        results = {r["transaction_id"]: r for r in ((record.result or {}).get("lines") or ())
                   } if record else {}
        for line in step.lines:
            got = results.get(line.transaction_id) or {}
            if got.get("result") in (ADDED, ALREADY):
                yield line, got["result"], got.get("program_id"), got.get("program_title")


def _open_card(cards: list[Card], program_id: str) -> tuple[int, int] | None:
    """Index of the program's oldest card with punches left to fill, and the punches
    that card needs."""
    for i, card in enumerate(cards):
        required = card.purchase_required_count
        if (card.program_id == program_id and card.status == "active"
                and required and len(card.purchases) < required):
            return i, required
    return None
