"""What the cashier's receipt page says, in plain words, built from the journal's record
of a sale and its receipt data (bridge.delivery.receipt). Pure: values in, values out.

The receipt is read on a phone at a busy till: it opens with one summary line (`2 items
punched · 74 points · 1 reward ready`), then the cards this sale punched, each program's
card once with its lines under it (`Buy 12 Get 1 Dog Kibble: card 2/12 (+2)`), the
points and the rewards ready; then the lines in no program (quietly: nothing to do at
the till; "In no program." for an item no program lists at all, a routine line marked
so by bridge.delivery.programs), what went wrong in plain words, and last who and which sale it
was. It is
headed by the sale's kind (a sale, a refund, or a return: a negative SubTotal, whose
points are deducted). For refunds it lists the card items staff must remove by hand.
While the sale is still pending it says it is saved and will be sent (the page then
reloads itself: every 3 s in the first minute, then when the next attempt is due). A
customer Astro refused to add is told what to fix, and such a sale is not offered to be
sent again as a new sale (it would be refused the same way). A sale recorded while its
store was in phase passthrough or shadow went to Astro the old way: its receipt says so.
"""
import datetime as dt
import re
from dataclasses import asdict, dataclass

from legacy_qs import LegacySale

from bridge import translate
from bridge.journal import (MIGRATION_PHASES, SALE_DELIVERED, SALE_FAILED, SALE_GIVEN_UP,
                            SALE_PARTIAL, SALE_PENDING, SaleRecord, utcnow)
from bridge.reasons import Reason, astro_reason

REFRESH_SECONDS = 3              # how often a pending receipt reloads at the least...
MAX_REFRESH_SECONDS = 60         # ...and at the most, once the first minute is over
FAST_REFRESH_FOR = 60            # seconds after the click with the fast reload

STATUS_TEXT = {
    SALE_PENDING: "Saved. It is being sent to Astro; the bridge keeps trying on its own "
                  "until it gets through. Nothing more to do here: this page updates itself.",
    SALE_DELIVERED: "Sent to Astro.",
    SALE_PARTIAL: "Sent to Astro, but some of it was not accepted (see below).",
    SALE_FAILED: "Astro did not accept this sale (see below). It is listed in the failure "
                 "report for the office.",
    SALE_GIVEN_UP: "The bridge gave up sending this sale. It is listed in the failure "
                   "report for the office.",
}
# Statuses of sales recorded under phase passthrough / shadow (the phase's name).
for _phase in MIGRATION_PHASES:
    STATUS_TEXT[_phase] = ("This sale went to Astro the old way, through Astro's own page, "
                           "when the store still sent its sales there. Nothing more to do: "
                           "the bridge does not send it again.")
TONE = {SALE_DELIVERED: "ok", SALE_PENDING: "warn", SALE_PARTIAL: "warn",
        **{phase: "info" for phase in MIGRATION_PHASES}}
LEGACY_LINE = "Sent with the sale through Astro's own page, not by the bridge."

HOW_TEXT = {
    "known": None,                 # linked before (by this bridge or in Astro)
    "found": None,
    "linked": "Found in Astro by email or phone and linked to this POS customer.",
    "created": "New Astro customer created.",
}

@dataclass(frozen=True)
class LineView:
    index: int
    item_code: str
    description: str | None
    qty: int
    outcome: str                  # punched | already | routine | not_in_program | failed |
    #                               pending | legacy (routine: in no program at all)
    program_title: str | None
    progress: str | None          # "7/12": the card this line punched, after this sale
    reason: str | None            # plain words when the line did not punch
    transaction_id: str | None = None


@dataclass(frozen=True)
class ProgramView:
    """A program this sale punched: its card once, the sale's lines of it under it."""
    title: str
    progress: str | None          # "2/12 (+2)"; "12/12, complete; next card 1/12 (+3)"
    lines: tuple[LineView, ...]


@dataclass(frozen=True)
class PointsView:
    state: str | None     # done | pending | uncertain | undecided | failed | given_up | None
    earned: int | None
    balance: int | None
    dollar_amount: str | None
    text: str


@dataclass(frozen=True)
class ReceiptView:
    sale_key: str
    store_id: str
    status: str
    status_text: str
    tone: str                     # ok | warn | bad | info (went through the legacy URL)
    refund: bool
    kind: str                     # sale | refund | return (a negative SubTotal)
    customer_id: str
    customer_name: str
    customer_note: str | None
    lines: tuple[LineView, ...]
    points: PointsView | None
    rewards_ready: tuple[str, ...]
    problems: tuple[str, ...]
    manual_removals: tuple[dict, ...]
    removed: tuple[dict, ...]
    repeat: bool                  # this page was reached by clicking the same sale again
    can_send_again: bool
    refresh_seconds: int | None
    date: str
    summary: str                  # "2 items punched · 74 points · 1 reward ready"
    programs: tuple[ProgramView, ...]   # the cards this sale punched, lines under each
    other_lines: tuple[LineView, ...]   # the lines that punched nothing, and why
    customer_problem: str | None  # a customer Astro refused: what to fix
    checking: bool                # part of the rewards is being read again from Astro

    @classmethod
    def of(cls, sale: SaleRecord, data: dict, *, repeat: bool = False,
           now: dt.datetime | None = None) -> "ReceiptView":
        """The view of `sale` with its receipt data `data` (`now`: for the reload)."""
        status = sale.status
        cards = {c.get("program_title"): c for c in data.get("cards") or ()}
        line_cards = data.get("line_cards") or {}
        lines = tuple(_line(ln, cards, line_cards, legacy=status in MIGRATION_PHASES)
                      for ln in data.get("lines") or ())
        problems = [_step_problem(s.kind, s.error) for s in sale.steps
                    if s.state in ("failed", "given_up") and s.error]
        if status == SALE_PENDING and sale.last_error:
            problems.append("Last try: " + _plain_error(sale.last_error))
        customer = data.get("customer") or {}
        printable = LegacySale.from_printable(sale.sale)
        kind = translate.sale_kind(printable)
        customer_problem = _customer_problem(sale, printable)
        if customer_problem:
            problems = [p for p in problems if not p.startswith(_STEP_WHAT["customer"])]
        points = _points(data.get("points"), kind != translate.SALE)
        rewards = _rewards(data)
        programs = _programs(lines, line_cards, cards)
        return cls(
            sale_key=sale.sale_key, store_id=sale.store_id, status=status,
            status_text=STATUS_TEXT.get(status, status), tone=TONE.get(status, "bad"),
            refund=bool(data.get("refund")), kind=kind,
            customer_id=customer.get("id") or sale.plan.customer_id,
            customer_name=customer.get("name") or "",
            customer_note=HOW_TEXT.get(customer.get("how")),
            lines=lines, points=points, rewards_ready=rewards,
            problems=tuple(dict.fromkeys(p for p in problems if p)),
            manual_removals=tuple(data.get("manual_removals") or ()),
            removed=tuple(data.get("removed") or ()),
            repeat=repeat,
            can_send_again=repeat and not sale.pos_sale_id and not customer_problem,
            refresh_seconds=refresh_after(sale, now) if status == SALE_PENDING else None,
            date=sale.plan.transaction_date,
            summary=_summary(status, lines, points, rewards, kind),
            programs=programs,
            other_lines=tuple(ln for ln in lines
                              if ln.outcome not in PUNCHED or not ln.program_title),
            customer_problem=customer_problem,
            checking=bool(data.get("checking")))

    def to_json(self) -> dict:
        d = asdict(self)
        d["pending"] = self.status == SALE_PENDING
        return d


def refresh_after(sale: SaleRecord, now: dt.datetime | None = None) -> int:
    """Seconds before a pending receipt reloads: every 3 s in the first minute after the
    click, then when the sale's next attempt is due (between 3 and 60 s)."""
    now = now or utcnow()
    if (now - sale.received_at).total_seconds() < FAST_REFRESH_FOR:
        return REFRESH_SECONDS
    if sale.next_attempt_at is None:
        return MAX_REFRESH_SECONDS
    wait = (sale.next_attempt_at - now).total_seconds()
    return int(max(REFRESH_SECONDS, min(MAX_REFRESH_SECONDS, wait)))


def _progress(ln: dict, cards: dict, line_cards: dict) -> str | None:
    """'7/12' for the card the line punched; '12/12, card complete' when it filled it;
    '12/12, card complete; next card 2/12' when it filled one and opened the next."""
    touched = line_cards.get(ln.get("transaction_id")) or [
        c for c in [cards.get(ln.get("program_title"))] if c]
    texts = [f"{c['punches']}/{c['required']}" + (", card complete" if c.get("complete")
                                                 else "")
             for c in touched if c.get("required")]
    if not texts:
        return None
    return texts[0] + "".join(f"; next card {t}" for t in texts[1:])


def _line(ln: dict, cards: dict, line_cards: dict, *, legacy: bool = False) -> LineView:
    result = ln.get("result") or "pending"
    if legacy:      # the bridge never sent it, so it knows no result
        return LineView(ln.get("index"), ln.get("item_code"), ln.get("description"),
                        ln.get("qty"), "legacy", None, None, LEGACY_LINE,
                        ln.get("transaction_id"))
    message = ln.get("message")
    progress = _progress(ln, cards, line_cards)
    reason = None
    outcome = {"added": "punched", "already": "already"}.get(result, result)
    if result == "failed":
        if ln.get("routine"):          # in no program anywhere: nothing to say but that
            outcome, reason = "routine", "In no program."
        elif astro_reason(message) == Reason.NO_ITEM_FOUND:
            outcome = "not_in_program"
            reason = ("Not in any program this store is enrolled in "
                      "(Astro: No Item Found). Nothing to do at the till.")
        else:
            reason = f"Not accepted by Astro: {message or 'no reason given'}."
    elif result == "pending":
        reason = "Not sent yet."
    return LineView(ln.get("index"), ln.get("item_code"), ln.get("description"),
                    ln.get("qty"), outcome, ln.get("program_title"), progress, reason,
                    ln.get("transaction_id"))


def _points(p: dict | None, deducted: bool) -> PointsView | None:
    if not p:
        return None
    state, earned = p.get("state"), p.get("awarded")
    if state == "done":
        what = "deducted" if deducted else "earned"
        text = f"Points {what}: {abs(earned)}" if earned is not None else f"Points {what}."
    elif state in ("pending", None) and p.get("dollar_amount"):
        text = "Points: not sent yet."
    elif state == "uncertain":
        text = ("Points: Astro's answer was lost; the bridge is checking whether they were "
                "recorded. They are never given twice.")
    elif state == "undecided":
        text = ("Points: Astro's answer was lost and its history does not tell whether they "
                "were recorded. The office decides (failure report); they are never given "
                "twice.")
    elif state in ("failed", "given_up"):
        text = "Points were not given. The office will check (failure report)."
    else:
        text = ""
    return PointsView(state, earned, p.get("balance"), p.get("dollar_amount"), text)


PUNCHED = ("punched", "already")


def _programs(lines, line_cards: dict, cards: dict) -> tuple[ProgramView, ...]:
    """Each program the sale's lines punched, in the order of its first line: its card
    after this sale, once, and the lines under it."""
    by_title: dict[str, list[LineView]] = {}
    for line in lines:
        if line.outcome in PUNCHED and line.program_title:
            by_title.setdefault(line.program_title, []).append(line)
    programs = []
    for title, its_lines in by_title.items():
        touched, seen = [], set()
        for line in its_lines:
            for c in line_cards.get(line.transaction_id) or ():
                key = c.get("card_id") if c.get("card_id") is not None else id(c)
                if key not in seen:
                    seen.add(key)
                    touched.append(c)
        touched.sort(key=lambda c: (c.get("card_id") is None, c.get("card_id") or 0))
        if not touched and cards.get(title):
            touched = [cards[title]]
        added = sum(ln.qty or 0 for ln in its_lines)
        texts = [f"{c['punches']}/{c['required']}" + (", complete" if c.get("complete")
                                                     else "")
                 for c in touched if c.get("required")]
        progress = None
        if texts:
            progress = texts[0] + "".join(f"; next card {t}" for t in texts[1:]) + \
                f" (+{added})"
        programs.append(ProgramView(title, progress, tuple(its_lines)))
    return tuple(programs)


def _summary(status: str, lines, points: "PointsView | None", rewards, kind: str) -> str:
    """One line for the top: items punched, points, rewards ready, items refused."""
    if status in MIGRATION_PHASES:
        return "Sent the old way, through Astro's own page."
    parts = []
    punched = sum(ln.qty or 0 for ln in lines if ln.outcome in PUNCHED)
    if punched:
        parts.append(f"{punched} item{'s' if punched != 1 else ''} punched")
    if points is not None and points.earned is not None:
        word = "deducted" if kind != translate.SALE else ""
        parts.append(f"{abs(points.earned)} points" + (f" {word}" if word else ""))
    if rewards:
        parts.append(f"{len(rewards)} reward{'s' if len(rewards) != 1 else ''} ready")
    refused = sum(1 for ln in lines if ln.outcome == "failed")
    if refused:
        parts.append(f"{refused} item{'s' if refused != 1 else ''} refused")
    if status == SALE_PENDING:
        parts.append("being sent")
    elif not parts:
        parts.append("nothing punched")
    return " · ".join(parts)


_NAME_NEEDED = ("Astro needs a first and last name for this customer: add them to the "
                "POS customer, then press Retry (the same button in the POS) to send the "
                "sale again.")


def _customer_problem(sale: SaleRecord, printable: LegacySale) -> str | None:
    """What to fix when Astro refused to add the sale's customer (None otherwise)."""
    step = next((s for s in sale.steps if s.kind == "customer"), None)
    if step is None or step.state != "failed":
        return None
    c = printable.customer
    if not (c.first_name and c.last_name):
        return _NAME_NEEDED
    why = _plain_error(step.error or "").rstrip(".")
    return (f"Astro did not accept this customer ({why}). Correct the customer in the "
            f"POS, then press Retry (the same button in the POS) to send the sale again.")


def _rewards(data: dict) -> tuple[str, ...]:
    ready = [f"Free: {r.get('item_description') or 'item'} x{r.get('free_qty') or 1}"
             f" ({r.get('program_title')})" + ("" if r.get("reward_id") else
                                               " (Astro is confirming it)")
             for r in data.get("rewards_ready") or ()]
    points = data.get("points") or {}
    ready += [f"{r.get('title')} ({r.get('points_required')} points)"
              for r in points.get("rewards") or ()]
    return tuple(ready)


_STEP_WHAT = {"customer": "The customer could not be found or added in Astro",
              "transactions": "The items were not recorded",
              "points": "The points were not given",
              "remove_transaction": "An item could not be taken off the card"}


def _step_problem(kind: str, error: str) -> str:
    return f"{_STEP_WHAT.get(kind, 'A step failed')}: {_plain_error(error)}"


_CUT_OFF = ("no complete answer", "connection dropped", "unusable answer", "transport error",
            "may have been processed")


def _plain_error(error: str) -> str:
    """An error recorded for a step or an attempt, in plain words (no exception names)."""
    low = error.lower()
    if low.startswith("gave up"):
        return ("The bridge stopped trying: Astro could not be reached for too long. It "
                "is listed in the failure report for the office.")
    if low.startswith("points are sent by the worker"):
        return "The points are being sent in the background."
    if low.startswith("waiting for the points of"):
        return ("The points wait for this customer's previous sale; they are sent right "
                "after it.")
    if "checking its history" in low:
        return ("Astro's answer to the points was lost; the bridge checks whether they were "
                "recorded before sending anything.")
    if "deadline" in low:
        return "Astro was slow; the rest is being sent in the background."
    if "readtimeout" in low or "timed out" in low:
        return ("Astro did not answer in time. The bridge will check and send what is "
                "missing.")
    if any(words in low for words in _CUT_OFF):
        return ("Astro's answer was cut off; the bridge will check and send what is "
                "missing.")
    if ("notsent" in low or "not sent" in low or "not processed" in low or "connect" in low
            or "503" in low):
        return "Astro could not be reached. The bridge will try again."
    if "ambiguous" in low or "timeout" in low or "timed out" in low:
        return "Astro did not answer in time. The bridge will check and try again."
    if "ratelimited" in low or "429" in low:
        return "Astro asked the bridge to slow down. It will try again shortly."
    if "autherror" in low or "token" in low or "login" in low:
        return "Astro refused the store's login. The office must check the settings."
    # Astro's own words stay; a Python exception name in parentheses does not.
    return re.sub(r"\s*\((?:[A-Za-z_.]*\.)?[A-Z]\w*(?:Error|Exception|Timeout)\)", "",
                  error)
