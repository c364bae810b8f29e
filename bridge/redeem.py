"""Redeeming a customer's rewards: what is ready, and redeeming one exactly once.

`rewards_ready(status)` lists, from a customerStatus answer, the free goods of complete
cards that are not redeemed yet and the point rewards the points balance covers.

`redeem(...)` redeems one of them:

- free goods: checkRedemptionEligibility (which also says whether the program needs the
  customer's email or mailing address), then addRedemption;
- point rewards: redeemPoints.

When the program needs an email or address that the customer does not have and the
caller did not give, nothing is sent and the outcome says what to ask for
(`needs_info`). When it is given, the customer is updated first (updateCustomer), then
the reward is redeemed with it.

Exactly once: the attempt is written to the journal, under a key fixed by the reward
(a free good's reward id; a points reward per receipt), BEFORE anything is sent. A
second submit of the same reward finds the attempt and sends nothing: "already
redeemed" or "being redeemed". Only an attempt that failed for sure may be tried again.
A failure is kept in the journal as a Redemption Failure, and the outcome says plainly
that the reward was NOT redeemed.

May import: bridge.astro, bridge.journal, bridge.reasons. No HTTP pages: the receipt's
Redeem routes (bridge.web.rewards) call it.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from bridge.reasons import Reason, astro_reason
from bridge.astro import Ambiguous, AstroError, BusinessError, NotSent

FREE_GOOD = "free_good"
POINTS = "points"

# Outcome statuses.
REDEEMED = "redeemed"
ALREADY = "already_redeemed"
IN_PROGRESS = "in_progress"
NEEDS_INFO = "needs_info"
FAILED = "failed"
UNCERTAIN = "uncertain"

EMAIL = "email"
ADDRESS = "address"


@dataclass(frozen=True)
class Reward:
    """A reward the customer can take now."""

    kind: str                        # FREE_GOOD | POINTS
    reward_id: str
    title: str
    item_id: str | None = None       # free goods: the item handed over
    program_title: str | None = None
    points_required: int | None = None
    reward_type: str | None = None   # point rewards: e.g. "dollar_off"
    reward_value: str | None = None  # ...and its value ("5.00": $5 off)

    def handing_over(self) -> str:
        """What the cashier does with the reward once it is redeemed."""
        if self.kind == POINTS and self.reward_type == "dollar_off" and self.reward_value:
            return f"Take {dollars(self.reward_value)} off this sale."
        if self.kind == POINTS:
            return "Give it to the customer with this sale."
        return "Hand it over."


@dataclass(frozen=True)
class CustomerInfo:
    """What a program may need to redeem: given on the form, or known from Astro."""

    email: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None

    def has_address(self) -> bool:
        return all((v or "").strip() for v in (self.address, self.city, self.state, self.zip))

    def has_email(self) -> bool:
        return "@" in (self.email or "")

    def missing(self, requires) -> tuple[str, ...]:
        """Which of the required `email` / `address` this info lacks."""
        out = []
        if EMAIL in requires and not self.has_email():
            out.append(EMAIL)
        if ADDRESS in requires and not self.has_address():
            out.append(ADDRESS)
        return tuple(out)


@dataclass(frozen=True)
class RedeemOutcome:
    """What happened to one redeem request, in words a cashier can act on."""

    status: str                      # REDEEMED, ALREADY, IN_PROGRESS, NEEDS_INFO, FAILED, UNCERTAIN
    reward: Reward
    message: str
    needs: tuple[str, ...] = ()      # NEEDS_INFO (or a refusal for missing info)
    reason: Reason | None = None     # the failure reason (FAILED / UNCERTAIN)

    @property
    def redeemed(self) -> bool:
        """True only when Astro confirmed the redemption (now or by an earlier submit)."""
        return self.status in (REDEEMED, ALREADY)


def rewards_ready(status) -> tuple[Reward, ...]:
    """Free goods of complete cards not redeemed yet, then the point rewards that the
    balance covers, from a `CustomerStatus`."""
    rewards = []
    for card in status.cards:
        for good in card.free_goods:
            if good.redeemed_on or not good.reward_id:
                continue
            rewards.append(Reward(FREE_GOOD, good.reward_id,
                                  good.item_description or card.program_title or "Free item",
                                  item_id=good.item_id, program_title=card.program_title))
    balance = status.points_balance or 0
    for r in status.eligible_point_rewards:
        if r.reward_id and (r.points_required is None or r.points_required <= balance):
            rewards.append(Reward(POINTS, r.reward_id, r.title or "Points reward",
                                  points_required=r.points_required,
                                  reward_type=r.reward_type,
                                  reward_value=None if r.reward_value is None
                                  else str(r.reward_value)))
    return tuple(rewards)


def attempt_key(store: str, customer_id: str, kind: str, reward_id: str,
                sale_key: str | None) -> str:
    """The journal key of a redemption: one per free good (its reward id is unique), one
    per points reward and receipt (a points reward may be taken again later)."""
    if kind == FREE_GOOD:
        return f"{store}:{customer_id}:free:{reward_id}"
    return f"{sale_key or '-'}:{customer_id}:points:{reward_id}"


def find_reward(status, kind: str, reward_id: str) -> Reward | None:
    """The ready reward of that kind and id, or None (redeemed, or no longer covered)."""
    return next((r for r in rewards_ready(status)
                 if r.kind == kind and r.reward_id == reward_id), None)


def redeem(client, journal, *, store: str, customer_id: str, reward: Reward,
           sale_key: str | None = None, info: CustomerInfo = CustomerInfo(),
           known_email: str | None = None,
           now: datetime.datetime | None = None) -> RedeemOutcome:
    """Redeem `reward` for the customer, at most once (see the module docstring).

    `info` is what the cashier typed on the form; `known_email` the email Astro already
    has. Never raises for an Astro problem: every outcome is a RedeemOutcome, and every
    failure is in the journal as a Redemption Failure."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    key = attempt_key(store, customer_id, reward.kind, reward.reward_id, sale_key)
    earlier = journal.redemption(key)
    if earlier is not None and earlier.state == "done":
        return _already(reward)
    if earlier is not None and earlier.state in ("pending", "uncertain"):
        return _in_progress(reward, earlier.state)

    requires: tuple[str, ...] = ()
    if reward.kind == FREE_GOOD and reward.item_id:
        try:
            eligibility = client.check_redemption_eligibility(customer_id, reward.item_id)
        except AstroError as exc:
            # Nothing was redeemed by a failed check; record why, as a failure.
            if not journal.begin_redemption(key, **_attempt_fields(
                    store, customer_id, sale_key, reward, now)).started:
                return _in_progress(reward, "pending")
            return _failed(journal, key, reward, exc, "checkRedemptionEligibility", now)
        if not eligibility.eligible:
            if not journal.begin_redemption(key, **_attempt_fields(
                    store, customer_id, sale_key, reward, now)).started:
                return _in_progress(reward, "pending")
            exc = BusinessError(eligibility.message or "Not eligible",
                                endpoint="checkRedemptionEligibility", code=700)
            return _failed(journal, key, reward, exc, "checkRedemptionEligibility", now)
        raw = eligibility.raw if isinstance(eligibility.raw, dict) else {}
        requires = tuple(str(r) for r in raw.get("requires") or ())
    have = CustomerInfo(email=info.email or known_email, address=info.address,
                        city=info.city, state=info.state, zip=info.zip)
    missing = have.missing(requires)
    if missing:
        return RedeemOutcome(NEEDS_INFO, reward, _needs_text(missing), needs=missing)

    claim = journal.begin_redemption(key, **_attempt_fields(store, customer_id, sale_key,
                                                            reward, now))
    if not claim.started:
        return _already(reward) if claim.status == "done" else _in_progress(reward, claim.status)

    endpoint = "updateCustomer"
    try:
        if info.has_email() and info.email != known_email:
            client.update_customer(customer_id, email=info.email.strip())
        if info.has_address():
            # So Astro keeps it; addRedemption below carries it in any case.
            client.update_customer(customer_id, address=info.address.strip(),
                                   city=info.city.strip(), state=info.state.strip(),
                                   zip=info.zip.strip())
        if reward.kind == FREE_GOOD:
            endpoint = "addRedemption"
            client.add_redemption(
                customer_id, reward.reward_id, reward.item_id or "",
                email=(have.email if EMAIL in requires or info.has_email() else None),
                address=info.address if info.has_address() else None,
                city=info.city if info.has_address() else None,
                state=info.state if info.has_address() else None,
                zip=info.zip if info.has_address() else None)
        else:
            endpoint = "redeemPoints"
            client.redeem_points(customer_id, reward.reward_id)
    except Ambiguous as exc:
        if reward.kind == FREE_GOOD and _free_good_redeemed(client, customer_id, reward):
            journal.finish_redemption(key, "done", when=now)
            return RedeemOutcome(REDEEMED, reward, f"Redeemed: {reward.title}.")
        return _uncertain(journal, key, reward, exc, endpoint, now)
    except AstroError as exc:
        return _failed(journal, key, reward, exc, endpoint, now)
    journal.finish_redemption(key, "done", when=now)
    return RedeemOutcome(REDEEMED, reward, f"Redeemed: {reward.title}. {reward.handing_over()}")


def dollars(value) -> str:
    """"$5" for 5.00, "$5.50" for 5.5: money as a cashier says it."""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not amount.is_finite():
        return str(value)
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def _attempt_fields(store, customer_id, sale_key, reward: Reward, now) -> dict:
    return dict(store=store, customer_id=customer_id, sale_key=sale_key, kind=reward.kind,
                reward_id=reward.reward_id, item_id=reward.item_id, title=reward.title,
                when=now)


def _free_good_redeemed(client, customer_id: str, reward: Reward) -> bool:
    """After a lost answer: does Astro show the free good as redeemed?"""
    try:
        # completed_cards: a card whose only reward was just redeemed is "completed".
        status = client.customer_status(customer_id, completed_cards=True)
    except AstroError:
        return False
    return any(g.reward_id == reward.reward_id and g.redeemed_on
               for card in status.cards for g in card.free_goods)


def _already(reward: Reward) -> RedeemOutcome:
    return RedeemOutcome(ALREADY, reward, f"Already redeemed: {reward.title}. It was not "
                                          f"redeemed a second time.")


def _in_progress(reward: Reward, status: str) -> RedeemOutcome:
    if status == "uncertain":
        return RedeemOutcome(UNCERTAIN, reward, (
            f"{reward.title}: it is not known whether this redemption went through. It "
            f"was NOT redeemed again. Check the customer in Astro; the failure report "
            f"lists it."), reason=_uncertain_reason(reward))
    return RedeemOutcome(IN_PROGRESS, reward, f"{reward.title} is being redeemed already "
                                              f"(another submit). It was not sent again.")


def _needs_text(missing: tuple[str, ...]) -> str:
    words = " and ".join("email address" if m == EMAIL else "mailing address"
                         for m in missing)
    return f"This reward needs the customer's {words}. It is NOT redeemed yet."


def _failed(journal, key, reward, exc: AstroError, endpoint: str, now) -> RedeemOutcome:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc)
    reason = Reason.NOT_REACHED if isinstance(exc, NotSent) else astro_reason(message)
    journal.finish_redemption(key, "failed", when=now, endpoint=exc.endpoint or endpoint,
                              status_code=code, message=message, reason=reason)
    needs = {Reason.MISSING_EMAIL: (EMAIL,), Reason.MISSING_ADDRESS: (ADDRESS,),
             Reason.MISSING_BOTH: (EMAIL, ADDRESS)}.get(reason, ())
    return RedeemOutcome(FAILED, reward, f"NOT redeemed: {reward.title}. Astro said: "
                                         f"{message}. Do not hand it over as redeemed.",
                         needs=needs, reason=reason)


def _uncertain(journal, key, reward, exc: AstroError, endpoint: str, now) -> RedeemOutcome:
    reason = _uncertain_reason(reward)
    journal.finish_redemption(key, "uncertain", when=now, endpoint=exc.endpoint or endpoint,
                              status_code=None, message=f"{reason}: {exc}", reason=reason)
    return RedeemOutcome(UNCERTAIN, reward, (
        f"{reward.title}: Astro did not answer, so it is not known whether it was "
        f"redeemed. Do not hand it over until it is checked in Astro; the failure "
        f"report lists it."), reason=reason)


def _uncertain_reason(reward: Reward) -> Reason:
    return Reason.POINTS_UNCERTAIN if reward.kind == POINTS else Reason.REDEMPTION_UNCERTAIN
