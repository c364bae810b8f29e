"""The two migration phases in which the legacy Astro URL still does the work.

`passthrough`: the button request is answered with a redirect to the store's configured
legacy Astro URL carrying the original query string unchanged (the password too: that
is what the legacy button always did), and the bridge keeps a redacted record of the
sale (`Journal.record_sale` with the phase, never the password).

`shadow`: the same, and afterwards a dry run finds out what REST would have done, with
read-only calls only (customerStatus, searchCustomer, eligiblePurchaseItems,
listOffers). Nothing that writes to Astro is ever called for a shadowed sale.

How shadow runs (the decision): the redirect is sent at once; the dry run happens later
in ONE background thread fed by a bounded queue (`ShadowEvaluator`, default 200
sales). A full queue does not slow the button: the sale is recorded as "not evaluated
(queue full)" and the report counts it so. Each dry run is at most five read-only
Astro calls with the client's own timeouts; its outcome lands in the journal next to
the sale.

Records made here carry their phase and live apart from the delivery queue, so a
store switched to `rest` never re-sends them (they already reached Astro).

The button's login (the decision): every click is redirected, whatever its login (the
legacy URL checks the login itself, as it always did), but the bridge records and
shadows a sale only when the login checks out for the store
(bridge.web.gate.legacy_login_check):

- `checked` (the store's own Astro login, or for a `mapped` store a button user whose
  password matches its hash): recorded, and shadowed in phase shadow.
- `unchecked` (a `delegate` store's login other than its own Astro login: only Astro
  could check it): recorded, never shadow-evaluated; its outcome says "not evaluated:
  button login not checked", so the report counts it as not evaluated.
- `refused` (a wrong password, or no login): redirected only; nothing is recorded,
  shadowed or counted. The web app counts it against the login throttle like a refused
  rest click; an address the throttle holds back is redirected without any check.
"""
from __future__ import annotations

import datetime
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import legacy_qs
from bridge import intake, translate
from bridge.astro import AstroError, CustomerNotFound
from bridge.migrate.outcome import (CUSTOMER_CREATE, CUSTOMER_FOUND, CUSTOMER_LINK,
                                    LINE_NO_ITEM, LINE_PUNCHED, LineOutcome, ShadowOutcome)
from bridge.reasons import other_gtin_form
from bridge.salelog import NO_SALE, log_sale

log = logging.getLogger(__name__)

PASSTHROUGH = "passthrough"
LOGIN_CHECKED, LOGIN_UNCHECKED, LOGIN_REFUSED = "checked", "unchecked", "refused"
NOT_CHECKED = "not evaluated: button login not checked"
SHADOW = "shadow"
REST = "rest"
LEGACY_PHASES = (PASSTHROUGH, SHADOW)

# Bytes a Location header cannot carry as they are (controls, space, non-ASCII) and
# "#", which would cut the query short at the browser: percent-encoded, everything else
# of the query goes out byte for byte.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\xff#]")


def legacy_location(legacy_url: str, raw_query: str) -> str:
    """The redirect target: the configured `legacy_url` plus the original query.

    `raw_query` is the query string exactly as received (a WSGI QUERY_STRING, or a form
    body decoded as Latin-1 so each byte is one character). Only the query part of the
    result comes from the request, always after a "?" (or "&" when the configured URL
    has a query of its own), so nothing the request sends can choose the scheme, host or
    path: no open redirect.
    """
    query = _UNSAFE.sub(lambda m: "%%%02X" % ord(m.group()), raw_query)
    base = legacy_url.split("#", 1)[0]
    if not query:
        return base
    if "?" not in base:
        return f"{base}?{query}"
    return base + ("" if base.endswith(("?", "&")) else "&") + query


@dataclass(frozen=True)
class LegacyAnswer:
    """What the web layer sends back for a passthrough/shadow request."""

    status: int               # 302 for GET, 303 for a POSTed form (the browser then GETs)
    location: str
    sale_key: str | None      # None when the query did not parse
    created: bool             # False: the same sale was already recorded (SaleID, repeat)


def answer_legacy(store, raw_query: str, journal, *, method: str = "GET",
                  login_param: str = "login", max_lines: int = 500,
                  max_id_length: int = legacy_qs.MAX_ID_LENGTH,
                  dedupe_window: float = 120.0, shadow: "ShadowEvaluator | None" = None,
                  now: datetime.datetime | None = None,
                  login: str = LOGIN_CHECKED) -> LegacyAnswer:
    """Record the sale redacted, queue its dry run when the store is in shadow, and say
    where to redirect. `store` is a bridge.config.Store in phase passthrough or shadow.

    The sale is taken in as the button takes it in (bridge.intake), recorded in the
    store's phase: its steps are `skipped`, so it is never delivered, not now and not
    after the store switches to rest (the same SaleID clicked again then is the same,
    already recorded sale). A query
    that does not parse is recorded too (Astro got it anyway), keeping only the
    parser's message, which names the parameter and never holds the password. Never
    raises for a bad query; `raw_query` itself is neither logged nor stored.

    `login` is what the button's login check said (see the module docstring): nothing
    is recorded for LOGIN_REFUSED, and a LOGIN_UNCHECKED sale is never shadowed.
    """
    if store.phase not in LEGACY_PHASES or not store.legacy_url:
        raise ValueError(f"store {store.id} is not in a legacy phase with a legacy_url")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    location = legacy_location(store.legacy_url, raw_query)
    status = 303 if method.upper() == "POST" else 302
    if login == LOGIN_REFUSED:
        return LegacyAnswer(status, location, None, False)
    try:
        # As bytes again, so the parser decodes them (UTF-8, else Latin-1) as usual.
        sale = legacy_qs.parse(raw_query.encode("latin-1", "replace"), max_lines=max_lines,
                               convert_upc=store.convert_upc, login_param=login_param,
                               max_id_length=max_id_length)
    except legacy_qs.LegacyQSError as e:
        # str(e) names the parameter; legacy_qs already took any password out of it.
        journal.record_unreadable_sale(store.id, store.phase, str(e), now)
        return LegacyAnswer(status, location, None, True)
    recorded = intake.take_in(journal, store, sale, now=now, dedupe_window=dedupe_window)
    if recorded.created and store.phase == SHADOW:
        if login != LOGIN_CHECKED:
            journal.record_shadow_outcome(recorded.sale_key,
                                          ShadowOutcome.failed(NOT_CHECKED).to_dict())
        elif shadow is None:
            journal.record_shadow_outcome(recorded.sale_key, ShadowOutcome.failed(
                "not evaluated: shadow is not running").to_dict())
        else:
            shadow.submit(recorded.sale_key, store, sale)
    return LegacyAnswer(status, location, recorded.sale_key, recorded.created)


def button_redirect(store, config, journal, raw: bytes, *, method: str = "GET",
                    shadow: "ShadowEvaluator | None" = None,
                    login: str = LOGIN_CHECKED) -> LegacyAnswer:
    """For the button endpoint of bridge.web, whose store resolution found `store` in
    passthrough or shadow (bridge.web.gate.legacy_store): record the sale, queue its dry
    run, log the click's line and say where to redirect (the web app answers with it).

    `raw` is the button's parameters as received (query string and/or form body);
    `login` what the web app's check of its login said (answer_legacy).
    """
    started = time.monotonic()
    text = raw.decode("latin-1")    # one character per byte: the redirect keeps the bytes
    answer = answer_legacy(store, text, journal, method=method,
                           login_param=config.login_param, max_lines=config.max_lines,
                           max_id_length=config.max_id_length,
                           dedupe_window=config.dedupe_window, shadow=shadow, login=login)
    # One line per click: outcome passthrough/shadow, whether it was recorded.
    log_sale(store.id, answer.sale_key or NO_SALE, store.phase, time.monotonic() - started,
             via="legacy", login=login,
             recorded="no" if login == LOGIN_REFUSED else
             ("new" if answer.created else "repeat"))
    return answer


def evaluate(store, sale: legacy_qs.LegacySale, client, *,
             today: datetime.date | None = None) -> ShadowOutcome:
    """What REST would do with `sale`, found out with read-only Astro calls only.

    The sale is translated exactly as the rest phase would (bridge.translate.plan_sale);
    then customerStatus (and, for an unknown customer, searchCustomer by email, then
    phone) says whether the customer would be found, linked or created, and
    eligiblePurchaseItems with listOffers whether each line of the transactions step
    would punch (a program the store is enrolled in lists its code); for a code that
    would not, also whether its other form (EAN-13 <-> UPC-A) would.
    Never calls an endpoint that writes. An Astro failure gives an outcome with `.error`.
    """
    today = today or datetime.datetime.now(store.tz).date()
    plan = translate.plan_sale(sale, store, "shadow", today=today)
    customer = sale.customer
    name = " ".join(p for p in (customer.first_name, customer.last_name) if p) or None
    lines = [ln for step in plan.steps if isinstance(step, translate.TransactionsStep)
             for ln in step.lines]
    points_step = plan.points_step()
    points = points_step.dollar_amount if points_step else None
    try:
        state = _customer_state(client, customer)
        outcomes = _lines(client, lines)
    except AstroError as e:
        return ShadowOutcome.failed(f"{type(e).__name__} from {e.endpoint or 'Astro'}")
    notes = []
    if plan.manual_removals:
        notes.append(f"{len(plan.manual_removals)} returned line(s) for staff to take "
                     "off the cards by hand")
    return ShadowOutcome(customer=state, customer_id=customer.id, customer_name=name,
                         lines=outcomes, points_dollars=points, notes=tuple(notes))


def _customer_state(client, customer) -> str:
    # The same order as the rest phase's customer step: id, then email, then phone.
    try:
        client.customer_status(customer.id)
        return CUSTOMER_FOUND
    except CustomerNotFound:
        pass
    if customer.email and client.search_customer(email=customer.email) is not None:
        return CUSTOMER_LINK
    if customer.phone and client.search_customer(phone=customer.phone) is not None:
        return CUSTOMER_LINK
    return CUSTOMER_CREATE


def _lines(client, lines) -> tuple[LineOutcome, ...]:
    if not lines:
        return ()
    codes = {ln.item_code for ln in lines}
    enrolled = {o.program_id for o in client.list_offers()}
    listed = _listed(client, codes, enrolled)
    others = {code: alt for code in codes - set(listed) if (alt := other_gtin_form(code))}
    listed_others = _listed(client, set(others.values()), enrolled) if others else {}
    result = []
    for ln in lines:
        if ln.item_code in listed:
            result.append(LineOutcome(ln.line_index, ln.item_code, ln.qty, LINE_PUNCHED,
                                      program=listed[ln.item_code]))
        else:
            alt = others.get(ln.item_code)
            result.append(LineOutcome(ln.line_index, ln.item_code, ln.qty, LINE_NO_ITEM,
                                      hint_code=alt if alt in listed_others else None))
    return tuple(result)


def _listed(client, codes: set[str], enrolled: set[str]) -> dict[str, str | None]:
    """Item code -> title of the first program listing it that the store is enrolled in
    (eligiblePurchaseItems names every program listing a code; listOffers, `enrolled`,
    those the store takes part in)."""
    found = {}
    for item in client.eligible_purchase_items(sorted(codes)):
        mine = [p for p in item.programs if p.program_id in enrolled]
        if item.item_code in codes and mine:
            found[item.item_code] = mine[0].title
    return found


class ShadowEvaluator:
    """Runs shadow dry runs in one background thread fed by a bounded queue.

    `client_for(store)` gives an AstroClient for the store (the evaluator only calls its
    read-only methods). Outcomes are written with `journal.record_shadow_outcome`.
    """

    def __init__(self, journal, client_for: Callable[[Any], Any], *, max_queue: int = 200):
        self._journal = journal
        self._client_for = client_for
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, sale_key: str, store, sale) -> bool:
        """Queue the dry run of a recorded sale; False (and the sale recorded as not
        evaluated) when the queue is full or the evaluator is closed. Never blocks."""
        if self._closed:
            return self._not_evaluated(sale_key, "shadow stopped")
        try:
            self._queue.put_nowait((sale_key, store, sale))
        except queue.Full:
            return self._not_evaluated(sale_key, "shadow queue full")
        self._start()
        return True

    def _not_evaluated(self, sale_key: str, why: str) -> bool:
        self._journal.record_shadow_outcome(
            sale_key, ShadowOutcome.failed(f"not evaluated: {why}").to_dict())
        return False

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued dry run is done; False on timeout."""
        done = threading.Event()

        def wait():
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Finish what is queued (up to `timeout`) and stop the thread."""
        self.drain(timeout)
        self._closed = True
        if self._thread is not None:
            self._queue.put((None, None, None))
            self._thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="shadow-evaluator",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            sale_key, store, sale = self._queue.get()
            try:
                if sale_key is None:
                    return
                self._evaluate_one(sale_key, store, sale)
            finally:
                self._queue.task_done()

    def _evaluate_one(self, sale_key: str, store, sale) -> None:
        try:
            client = self._client_for(store)
            if client is None:   # a delegate store without a login of its own
                outcome = ShadowOutcome.failed("not evaluated: no Astro login for the store")
            else:
                outcome = evaluate(store, sale, client)
        except Exception as e:  # a dry run must never take the worker down
            log.warning("shadow dry run of %s failed: %s", sale_key, type(e).__name__)
            outcome = ShadowOutcome.failed(f"not evaluated: {type(e).__name__}")
        try:
            self._journal.record_shadow_outcome(sale_key, outcome.to_dict())
        except Exception as e:
            log.warning("shadow outcome of %s not saved: %s", sale_key, type(e).__name__)
