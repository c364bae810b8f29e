"""Retry, Hide and the points decision of failure report lines, shared by the admin
pages and the CLI.

Hide keeps the line in the journal and takes it out of the report. Retry:

- a Transaction Failure (or a customer / points failure) re-delivers its sale with
  `bridge.delivery.deliver_sale`: the failed steps become pending again and are sent
  with the same ids as before, so nothing already delivered is counted twice. The line
  leaves the report; if the sale fails again, the new failure is a new line. An award
  that may have been applied (undecided) is never sent by a Retry.
- a Redemption Failure redeems the same reward again through `bridge.redeem` (same
  journal key), if the reward is still ready.

Decide (`decide_points`): a person's answer for an undecided award, after looking at
the customer's points history around the sale (`PointsQuestion`): "were awarded" ->
done, nothing is sent; "were not awarded" -> sent once.

Each line gives an ActionResult; several lines of one sale are delivered once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bridge import redeem as redemption
from bridge.admin.report import points_question
from bridge.astro import AstroError
from bridge.delivery import deliver_sale
from bridge.journal import SALE_PENDING, UNCERTAIN
from bridge.translate import POINTS, TRANSACTIONS

AWARDED, NOT_AWARDED = "awarded", "not_awarded"


@dataclass(frozen=True)
class ActionResult:
    """What happened to one report line."""

    failure_id: int
    ok: bool
    message: str


def hide(journal, ids) -> list[ActionResult]:
    """Hide each line (kept in the journal, out of the report)."""
    return [ActionResult(i, True, "hidden") if journal.hide_failure(i)
            else ActionResult(i, False, "no such failure") for i in ids]


def retry(journal, config, client_for, ids, *, now: dt.datetime | None = None
          ) -> list[ActionResult]:
    """Retry each line (see the module docstring); `client_for(store_id)` gives the
    store's AstroClient."""
    now = now or dt.datetime.now(dt.timezone.utc)
    wanted = set(ids)
    by_id = {f.id: f for f in journal.failures(include_hidden=True, ids=wanted)}
    results: list[ActionResult] = []
    delivered: dict[str, ActionResult] = {}
    for i in ids:
        failure = by_id.get(i)
        if failure is None:
            results.append(ActionResult(i, False, "no such failure"))
        elif failure.retried_at is not None:
            results.append(ActionResult(i, False, "already retried"))
        elif failure.kind == "redemption":
            results.append(_retry_redemption(journal, client_for, failure, now))
        elif not failure.sale_key:
            results.append(ActionResult(i, False, "no sale to retry"))
        elif points_question(journal, failure) is not None:
            results.append(ActionResult(i, False, _DECIDE_FIRST))
        else:
            if failure.sale_key not in delivered:
                delivered[failure.sale_key] = _retry_sale(journal, config, client_for,
                                                          failure, now)
            r = delivered[failure.sale_key]
            results.append(ActionResult(i, r.ok, r.message))
    return results


def _retry_sale(journal, config, client_for, failure, now) -> ActionResult:
    sale = journal.get_sale(failure.sale_key)
    if sale is None:
        return ActionResult(failure.id, False, "the sale is not in the journal")
    before = {f.id for f in journal.failures(sale_key=sale.sale_key, include_hidden=True)}
    # Every line of this sale leaves the report: the retry re-sends all of them, but
    # an undecided award, which waits for a person's answer.
    for f in journal.failures(sale_key=sale.sale_key):
        if points_question(journal, f, sale) is None:
            journal.mark_failure_retried(f.id, now)
    # Failed steps become pending (retry_sale); so does a transactions step that was done
    # with refused lines (routine ones too), so the whole batch is sent again with the
    # same transactionIDs (lines added before answer "TransactionID Already Exists" =
    # already delivered).
    for step in sale.steps:
        if step.kind == TRANSACTIONS and step.state == "done" and _refused_lines(step):
            journal.mark_step_pending(sale.sale_key, step.n)
    journal.retry_sale(sale.sale_key, now)
    outcome = deliver_sale(journal, client_for(sale.store_id), sale.sale_key)
    return _delivered(journal, failure.id, sale.sale_key, before, outcome)


def _refused_lines(step) -> bool:
    lines = (step.result or {}).get("lines") or () if isinstance(step.result, dict) else ()
    return bool(step.problems) or any(ln.get("result") == "failed" for ln in lines)


def _delivered(journal, failure_id: int, sale_key: str, before: set, outcome) -> ActionResult:
    """What a re-delivery did, for the person who asked for it."""
    new = [f for f in journal.failures(sale_key=sale_key) if f.id not in before]
    if new:
        return ActionResult(failure_id, False, new[0].message)
    if not outcome.finished:
        left = [s for s in journal.get_sale(sale_key).open_steps]
        if outcome.claimed and all(s.kind == POINTS and s.state == UNCERTAIN for s in left):
            return ActionResult(failure_id, True, "delivered; the bridge is still checking "
                                                  "whether Astro recorded the points")
        why = outcome.error or "another delivery is running"
        return ActionResult(failure_id, False, f"not delivered yet ({why}); the bridge "
                                               f"keeps retrying")
    return ActionResult(failure_id, True, "delivered")


_DECIDE_FIRST = ("the points may already have been awarded: a Retry never sends them; say "
                 "whether they were awarded (the customer's points history is shown)")


def decide_points(journal, client_for, failure_id: int, answer: str, *, by: str,
                  now: dt.datetime | None = None) -> ActionResult:
    """A person's answer (AWARDED or NOT_AWARDED) for the undecided award of a points
    failure line: awarded -> done; not awarded -> sent once now (see the module
    docstring). The line leaves the report."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if answer not in (AWARDED, NOT_AWARDED):
        raise ValueError(f"answer must be {AWARDED!r} or {NOT_AWARDED!r}")
    failure = next(iter(journal.failures(include_hidden=True, ids=[failure_id])), None)
    if failure is None:
        return ActionResult(failure_id, False, "no such failure")
    question = points_question(journal, failure)
    if question is None:
        return ActionResult(failure_id, False, "no points decision is waiting on this line")
    before = {f.id for f in journal.failures(sale_key=question.sale_key, include_hidden=True)}
    if not journal.decide_points(question.sale_key, answer == AWARDED, by=by, now=now):
        return ActionResult(failure_id, False, "someone else decided it meanwhile")
    journal.mark_failure_retried(failure_id, now)
    if answer == AWARDED:
        return ActionResult(failure_id, True, "marked as awarded; nothing is sent to Astro")
    sale = journal.get_sale(question.sale_key)
    if sale.status != SALE_PENDING:
        return ActionResult(failure_id, True, "marked as not awarded")
    outcome = deliver_sale(journal, client_for(question.store_id), question.sale_key)
    result = _delivered(journal, failure_id, question.sale_key, before, outcome)
    if result.ok and result.message == "delivered":
        return ActionResult(failure_id, True, "points sent once")
    return result


def _retry_redemption(journal, client_for, failure, now) -> ActionResult:
    attempt = journal.redemption_by_failure(failure.id)
    if attempt is None:
        return ActionResult(failure.id, False, "no redemption attempt for this line")
    client = client_for(attempt.store_id)
    try:
        status = client.customer_status(attempt.customer_id)
    except AstroError as exc:
        return ActionResult(failure.id, False, f"Astro: {exc}")
    reward = redemption.find_reward(status, attempt.kind, attempt.reward_id)
    if reward is None:
        return ActionResult(failure.id, False, "the reward is no longer ready (redeemed "
                                               "elsewhere, or not enough points)")
    if attempt.state == "uncertain":
        # A person looked in Astro and chose to retry (the guidance says to check first).
        journal.reopen_uncertain_redemption(attempt.key, now)
    outcome = redemption.redeem(client, journal, store=attempt.store_id,
                                customer_id=attempt.customer_id, reward=reward,
                                sale_key=attempt.sale_key, known_email=status.email, now=now)
    if outcome.redeemed:
        journal.mark_failure_retried(failure.id, now)
    return ActionResult(failure.id, outcome.redeemed, outcome.message)
