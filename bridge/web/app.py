"""The bridge's web app: the legacy button endpoint, receipts, the URL builder, health.

`create_web_app(config, journal, clients=None)` builds a new bottle app (no module-level
default app); bridge.app mounts the admin pages and the REST proxy on it. Routes stay thin:
parse, resolve the store and the login, record, deliver,
redirect, render. Routes:

- `GET|POST /` and each configured legacy path: a button click. Without any parameter,
  `/` shows the button URL builder.
- `GET /button`: the builder with the URL made from the form.
- `GET /receipt/<sale key>?t=<token>`: the receipt (HTML, or JSON for
  `Accept: application/json`), from the journal alone (no Astro call);
  `POST /receipt/<sale key>/again`: "send again as a new sale" (signed token + CSRF
  token); `POST /receipt/<sale key>/refresh`: "refresh from Astro", in the background.
- `GET /healthz` (process up), `GET /readyz` (journal writable, each store's Astro login
  accepted; 503 with the reasons otherwise), `GET /metrics` (Prometheus' text format:
  bridge.metrics).
- `GET /static/<file>`: the stylesheet.
- `POST /receipt/<sale key>/redeem`: Redeem on the receipt page (bridge.web.rewards).

Every answer carries no-store, no-referrer and a self-only Content-Security-Policy.
"""
import dataclasses
import datetime as dt
import logging
import threading
import time
from urllib.parse import quote

import bottle

import legacy_qs
from bridge import intake, translate
from bridge.astro import AstroError, AuthError, StoreClients
from bridge.config import Config, Store
from bridge.delivery import (Started, current_receipt, deliver_sale, new_holder,
                             start_delivery)
from bridge.journal import SALE_PENDING, Journal, utcnow
from bridge.metrics import BacklogCollector, exposition
from bridge.migrate import phases
from bridge.reasons import Reason
from bridge.salelog import NO_SALE, log_sale
from bridge.web import buttons, render
from bridge.web.gate import (REFUSED, GateError, PasswordCheck, legacy_login_check,
                             legacy_store, read_login, resolve_store)
from bridge.web.receipt import ReceiptView
from bridge.web.rewards import install_redeem_routes, refresh_receipt, rewards_panel
from bridge.webbase.proxy import request_origin
from bridge.webbase.render import see_other, set_security_headers
from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy, throttle_key
from bridge.webbase.tokens import Signer

log = logging.getLogger("bridge.web")

MAX_BODY = 256 * 1024          # a button form is a few KB; 500 lines stay far below this
                               # (the REST proxy has the same limit: bridge.migrate.restproxy)
READY_CACHE_SECONDS = 5.0
REFRESHING_SECONDS = 1         # a receipt being refreshed from Astro reloads after this
CHECKING_FOR = 30              # ...for at most this long after its read


@dataclasses.dataclass(frozen=True)
class Recorded:
    """A click's sale in the journal: `created` False for a repeat, `conflict` for a
    reused SaleID; `started`: the delivery attempt begun with it for `holder`."""
    sale_key: str
    created: bool
    conflict: bool
    holder: str
    started: Started | None
    deadline: float


class BridgeWeb:
    """What the routes share; one per app."""

    def __init__(self, config: Config, journal: Journal, clients: StoreClients | None,
                 throttle: LoginThrottle | None):
        self.config = config
        self.journal = journal
        self.clients = clients if clients is not None else StoreClients(config)
        if self.clients.on_delegate_login is None:
            self.clients.on_delegate_login = self.make_store_sales_due
        secret = config.secret_key.reveal() if config.secret_key else journal.secret("secret_key")
        self.throttle = throttle if throttle is not None else LoginThrottle(
            journal, ThrottlePolicy(), key=throttle_key(secret, "button"))
        self.signer = Signer(secret.encode("utf-8"))
        self.passwords = PasswordCheck(config)
        self._ready_lock = threading.Lock()
        self._ready: tuple[float, int, list[str]] | None = None
        self.ready_cache_seconds = READY_CACHE_SECONDS
        # Stores still on the legacy URL (passthrough/shadow) are bridge.migrate's.
        self.legacy_phases = any(s.phase in phases.LEGACY_PHASES for s in config.stores)
        self.shadow = (phases.ShadowEvaluator(journal, self.clients)
                       if any(s.phase == phases.SHADOW for s in config.stores) else None)
        self.backlog = BacklogCollector(lambda: journal.backlog(utcnow()))

    def close(self) -> None:
        """Finish queued shadow dry runs (serve calls this after the server stopped)."""
        if self.shadow is not None:
            self.shadow.close()

    # -- the button ----------------------------------------------------------------
    def button(self):
        started = time.monotonic()
        raw = _raw_query()
        if raw is None:
            self.log_refused("bad-request", started, 413)
            return render.error_page(413, "Too large",
                                     "The button sent more than the bridge accepts.")
        if not raw.strip():
            return self.builder(None)
        legacy = legacy_store(self.config, raw) if self.legacy_phases else None
        if legacy is not None:
            return self.legacy_redirect(legacy, raw)
        origin = request_origin(bottle.request.environ, self.config.trusted_proxies)
        try:
            # Read first with the format's own bounds: it says who is clicking; the
            # store's limits apply once the login is known.
            sale = self.parse(raw)
            store, client = self.authenticate(sale, origin.address)
            sale = self.parse(raw, store)
        except legacy_qs.LegacyQSError as e:
            return self.bad_url(e, started)
        except GateError as e:
            return self.refused(e, started)
        except AstroError as e:
            log.warning("delegate login could not be checked: %s", type(e).__name__)
            self.log_refused("unavailable", started, 503)
            return render.error_page(503, "Astro cannot be reached",
                                     "The login could not be checked with Astro just now. "
                                     "Nothing was recorded: click the button again in a minute.")
        if store.phase in phases.LEGACY_PHASES:
            # legacy_store above resolves the same way; kept so no click of such a store
            # is ever answered by the REST path.
            return self.legacy_redirect(store, raw)
        if sale.walk_in:
            return self.walk_in(store, started)
        recorded = self.record(store, sale, client=client)
        if recorded.conflict:
            return self.sale_id_conflict(store, sale, recorded.sale_key, started)
        retried = not recorded.created and self.customer_corrected(sale, recorded.sale_key)
        outcome = self.deliver(store, client, recorded) if (
            recorded.created or retried or self.pending(recorded.sale_key)) else "repeat"
        log_sale(store.id, recorded.sale_key, outcome if recorded.created else f"repeat:{outcome}",
                 time.monotonic() - started, via="button", **_kind(sale))
        repeat = not recorded.created and not sale.sale_id and not retried
        return self.to_receipt(recorded.sale_key, repeat=repeat)

    def customer_corrected(self, sale: legacy_qs.LegacySale, sale_key: str) -> bool:
        """The button clicked again for a sale whose customer Astro refused, with the
        customer corrected in the POS (a name added, ...): the sale is to be sent again
        with it (its failures leave the report; a new refusal is listed anew). True when
        it was made pending again."""
        found = self.journal.get_sale(sale_key)
        if found is None or found.plan.steps[0].customer == sale.customer:
            return False
        step = dataclasses.replace(found.plan.steps[0], customer=sale.customer)
        plan = dataclasses.replace(found.plan, steps=(step, *found.plan.steps[1:]))
        before = self.journal.failures(sale_key=sale_key)
        if not self.journal.retry_with_customer(sale_key,
                                                sale.to_printable()["customer"], plan):
            return False
        for failure in before:
            self.journal.mark_failure_retried(failure.id, utcnow())
        log.info("%s: sent again with the customer corrected in the POS", sale_key)
        return True

    def parse(self, raw: bytes, store: Store | None = None) -> legacy_qs.LegacySale:
        """The click's sale as `store` reads it (its item-code rule and limits); without a
        store, with the format's own bounds only. Walk-ins parse; LegacyQSError else."""
        return legacy_qs.parse(raw, **self.config.parse_options(store))

    def bad_url(self, e: legacy_qs.LegacyQSError, started: float) -> bottle.HTTPResponse:
        """400 naming the parameter; nothing was recorded or sent."""
        self.log_refused("bad-request", started, 400, param=e.param)
        if e.limit:
            return render.error_page(
                400, "Not sent: more than this store accepts", str(e), param=e.param,
                hint=f"Nothing was recorded or sent. Check the sale at the till and ring "
                     f"it up again; if it is right, the office can raise {e.limit} in the "
                     f"bridge's configuration.")
        return render.error_page(400, "This button URL is not right", str(e), param=e.param,
                                 hint="Fix the button in the POS, then click it again.")

    def refused(self, e: GateError, started: float) -> bottle.HTTPResponse:
        """401 (login refused), 429 (too many guesses) or 400 (which store?)."""
        if e.status == 429:
            self.log_refused("throttled", started, 429)
            answer = render.error_page(
                429, "Too many wrong logins",
                "This device sent a wrong button login too many times. "
                f"Wait {e.retry_after} seconds, then try again.")
            answer.set_header("Retry-After", str(e.retry_after))
            return answer
        self.log_refused("refused" if e.status == 401 else "bad-request", started,
                         e.status, param=e.param if e.status != 401 else None)
        return render.error_page(e.status, "Login refused" if e.status == 401 else
                                 "This button URL is not right", str(e), param=e.param)

    def walk_in(self, store: Store, started: float) -> bottle.HTTPResponse:
        """A sale without a customer, of a store with walk_in = "ignore". Not recorded:
        Astro has nowhere to put a sale without a customer (every call names one), so
        nothing that could ever be sent is lost; its log line says it was seen."""
        self.log_refused("walk-in", started, 200, store=store.id)
        return render.notice_page("No customer on this sale",
                                  "No customer on this sale: nothing to send to Astro.")

    def sale_id_conflict(self, store: Store, sale: legacy_qs.LegacySale, sale_key: str,
                         started: float) -> bottle.HTTPResponse:
        """The SaleID is already recorded for a sale with other contents: this sale is
        not recorded nor sent, the office sees it in the failure report, and the cashier
        is told so (never the other sale's receipt)."""
        message = (f"SaleID {sale.sale_id} was already used for a different sale; "
                   f"this sale was NOT sent")
        self.journal.record_failure(store.id, "transaction", message,
                                    reason=Reason.SALE_ID_REUSED,
                                    customer_id=sale.customer.id,
                                    description=f"the sale already recorded is {sale_key}")
        log.warning("store %s: SaleID reused for a different sale (recorded as %s); "
                    "the new sale was not sent", store.id, sale_key)
        log_sale(store.id, sale_key, "conflict", time.monotonic() - started, via="button")
        return render.error_page(
            409, "Not sent: SaleID already used", message + ".",
            hint="Nothing of this sale was sent to Astro. It is listed in the failure "
                 "report for the office. Ring it up again with a new SaleID.")

    def log_refused(self, outcome: str, started: float, status: int, *,
                    param: str | None = None, store: str = NO_SALE) -> None:
        """The one log line of a button request that made no sale (refused, throttled,
        a bad URL, a walk-in): outcome, status and the parameter at fault, never a
        value."""
        more = {"param": param} if param else {}
        log_sale(store, NO_SALE, outcome, time.monotonic() - started, via="button",
                 status=status, **more)

    def legacy_redirect(self, store: Store, raw: bytes) -> bottle.HTTPResponse:
        """Send the click of a passthrough/shadow store to its legacy URL, and record it
        only when its login checks out (see bridge.migrate.phases). A wrong login counts
        against the throttle like a refused rest click; a login the throttle holds back
        (or a wrong password tried before) is not checked at all."""
        address = request_origin(bottle.request.environ, self.config.trusted_proxies).address
        username, password, _ = read_login(raw, self.config.login_param)
        outcome: list[str] = []

        def checked() -> bool:
            outcome.append(legacy_login_check(store, raw, self.config.login_param,
                                              self.passwords))
            return outcome[0] != phases.LOGIN_REFUSED

        # An unchecked login (a delegate store's other users) is no wrong password.
        self.throttle.attempt(address, username, password, checked)
        login = outcome[0] if outcome else phases.LOGIN_REFUSED
        answer = phases.button_redirect(store, self.config, self.journal, raw,
                                        method=bottle.request.method, shadow=self.shadow,
                                        login=login)
        return bottle.HTTPResponse(status=answer.status, headers={"Location": answer.location})

    def authenticate(self, sale: legacy_qs.LegacySale, address: str):
        """The store and the AstroClient for a click; GateError when refused (429 while
        the throttle holds this login back)."""
        username, password = sale.username, sale.password
        try:
            resolution = resolve_store(self.config, username, sale.store)
        except GateError as e:
            if e.status == 401:
                self.guard(address, username, password, self.passwords.burn)
            raise
        store, username = resolution.store, resolution.username
        if store.button_auth == "mapped":
            self.guard(address, username, password,
                       lambda: self.passwords.mapped_ok(store, username, password))
            return store, self.clients.own(store)
        client = []

        def astro_accepts() -> bool:
            if not password:
                return False
            try:
                client.append(self.clients.log_in(store, username, password))
            except AuthError:
                return False
            return True

        self.guard(address, username, password, astro_accepts)
        return store, client[0]

    def guard(self, address: str, username: str | None, password: str | None,
              check) -> None:
        """Let the login through the throttle and `check()`; GateError 429 or 401 else."""
        attempt = self.throttle.attempt(address, username, password, check)
        if attempt.retry_after:
            raise GateError(429, "too many wrong logins", retry_after=attempt.retry_after)
        if not attempt.ok:
            raise GateError(401, REFUSED)

    def record(self, store: Store, sale: legacy_qs.LegacySale, *, force_new: bool = False,
               client=None) -> "Recorded":
        """Write the sale and its plan to the journal (committed before any call). A new
        sale is also claimed by this request, with its first round written ahead, in the
        same transaction (one commit: bridge.delivery.start_delivery)."""
        now = utcnow()
        deadline = time.monotonic() + self.config.request_deadline
        # The worker leaves the sale to this request until its deadline has passed (then
        # the request's lease, or its own end, hands it over), so a fresh sale is not
        # grabbed by the worker between record and deliver and shown as pending.
        first_attempt = now + dt.timedelta(seconds=self.config.request_deadline)
        holder = new_holder()
        # Translated before the write transaction: tills do not wait for each other's.
        prepared = intake.prepare_at(self.journal, store, sale, now=now, force_new=force_new)
        with self.journal.atomically():
            result = intake.record(self.journal, prepared, now,
                                   dedupe_window=self.config.dedupe_window,
                                   force_new=force_new, first_attempt_at=first_attempt)
            started = (start_delivery(self.journal, result.sale_key, holder, client=client,
                                      deadline=deadline, sale=result.sale)
                       if result.created and client is not None else None)
        return Recorded(result.sale_key, result.created, result.conflict, holder, started,
                        deadline)

    def pending(self, sale_key: str) -> bool:
        found = self.journal.get_sale(sale_key)
        return found is not None and found.status == SALE_PENDING

    def deliver(self, store: Store, client, recorded: "Recorded") -> str:
        """Deliver within the request deadline; what is left is the worker's. Returns
        the sale's status for the log line."""
        if client is None:
            return "pending:no-login"
        sale_key = recorded.sale_key
        try:
            # No second read on the cashier's path: what the round's read could not tell
            # is read in the background (the receipt reloads once it is in).
            outcome = deliver_sale(self.journal, client, sale_key, deadline=recorded.deadline,
                                   retry=self.config.retry, holder=recorded.holder,
                                   started=recorded.started, read_again=False)
        except Exception:  # the sale is recorded: the worker will finish it
            log.exception("delivery of %s failed unexpectedly; left to the worker", sale_key)
            return "pending:error"
        if outcome.finished and (outcome.receipt or {}).get("checking"):
            self.refresh_in_background(client, sale_key)
        if not outcome.claimed:
            return "pending:busy"
        return outcome.status

    def to_receipt(self, sale_key: str, *, repeat: bool = False) -> bottle.HTTPResponse:
        return see_other(f"{_prefix()}/receipt/{quote(sale_key, safe='')}"
                         f"?t={self.signer.receipt_token(sale_key)}"
                         + ("&repeat=1" if repeat else ""))

    def make_store_sales_due(self, store: Store) -> None:
        """A delegate store got a working login again: its waiting sales are due now."""
        now = utcnow()
        for sale in self.journal.sales(store.id, status=SALE_PENDING, limit=10_000):
            self.journal.schedule_retry(sale.sale_key, now, sale.last_error)

    # -- receipts ------------------------------------------------------------------
    def receipt(self, sale_key: str):
        # One read transaction: the sale, and what was redeemed from its receipt.
        with self.journal.reading():
            return self.receipt_page(sale_key)

    def receipt_page(self, sale_key: str):
        token = bottle.request.query.get("t")
        found = (self.journal.get_sale(sale_key)
                 if self.signer.receipt_token_ok(sale_key, token) else None)
        if found is None:
            return render.error_page(404, "No such receipt",
                                     "This receipt link is not valid (or not complete).")
        # Only what the journal holds: the delivery stored what Astro said.
        data = current_receipt(found)
        view = ReceiptView.of(found, data, repeat=bottle.request.query.get("repeat") == "1")
        if render.wants_json():
            return render.json_answer(view.to_json())
        refreshing = found.status != SALE_PENDING and (
            bottle.request.query.get("refreshing") == "1" or _checking(data))
        return render.page("receipt", view=view, token=token,
                           csrf=self.signer.csrf_token(sale_key), prefix=_prefix(),
                           refresh_seconds=view.refresh_seconds or (
                               REFRESHING_SECONDS if refreshing else None),
                           refreshing=refreshing,
                           rewards_panel="" if found.status == SALE_PENDING
                           else rewards_panel(self, found, data, token))

    def refresh(self, sale_key: str):
        """"Refresh from Astro" on a receipt: its customer is read again in the
        background (never on a click's path) and the page comes back at once."""
        token = bottle.request.forms.get("t")
        found = self.posted_sale(sale_key)
        if found is None:
            return render.error_page(403, "Not refreshed",
                                     "This form is out of date. Open the receipt again.")
        client = self.clients(found.store_id)
        if client is not None and found.status != SALE_PENDING:
            self.refresh_in_background(client, sale_key)
        url = (f"{_prefix()}/receipt/{quote(sale_key, safe='')}?t={quote(token, safe='')}"
               f"&refreshing=1")
        return bottle.HTTPResponse(status=303, headers={"Location": url})

    def refresh_in_background(self, client, sale_key: str) -> None:
        """Read the sale's customer again off the request's path and store its receipt
        data anew (bridge.web.rewards.refresh_receipt)."""
        threading.Thread(target=refresh_receipt, args=(self.journal, client, sale_key),
                         name="astro-bridge-refresh", daemon=True).start()

    def posted_sale(self, sale_key: str):
        """The sale a receipt's form was posted for, when the form's receipt token and
        CSRF token are right (None else)."""
        form = bottle.request.forms
        if not (self.signer.receipt_token_ok(sale_key, form.get("t"))
                and self.signer.csrf_token_ok(sale_key, form.get("csrf"))):
            return None
        return self.journal.get_sale(sale_key)

    def again(self, sale_key: str):
        found = self.posted_sale(sale_key)
        if found is None:
            return render.error_page(403, "Not sent",
                                     "This form is out of date. Open the receipt again.")
        started = time.monotonic()
        try:
            store = self.config.store(found.store_id)
        except KeyError:
            return render.error_page(409, "Not sent", "This store is no longer configured.")
        sale = legacy_qs.LegacySale.from_printable(found.sale)
        if sale.sale_id:
            return self.to_receipt(sale_key)       # a SaleID is one sale, whatever happens
        if sale.date is not None:
            # The stored copy keeps only the date part of a date-time; the first sale's
            # plan has its day in the store's zone, which the new sale keeps.
            sale = dataclasses.replace(
                sale, date=dt.date.fromisoformat(found.plan.transaction_date))
        client = self.clients(store)
        recorded = self.record(store, sale, force_new=True, client=client)
        outcome = self.deliver(store, client, recorded)
        log_sale(store.id, recorded.sale_key, outcome, time.monotonic() - started,
                 via="send-again", repeat_of=sale_key, **_kind(sale))
        return self.to_receipt(recorded.sale_key)

    # -- builder -------------------------------------------------------------------
    def builder(self, query):
        q = query or bottle.request.query
        host = q.get("host") or _own_base_url(self.config)
        choice = buttons.ButtonChoice(
            host=host, username=q.get("username", ""),
            fields=tuple(q.getall("field")) if q.get("build") else buttons.DEFAULT_FIELDS,
            lines=_int(q.get("lines"), 3), login_style=q.get("login_style", "pair"),
            store=q.get("store", ""), refund=q.get("refund") == "1")
        url = error = None
        if q.get("build"):
            try:
                url = buttons.button_url(choice)
            except buttons.ButtonError as e:
                error = str(e)
        return render.page("builder", choice=choice, url=url, error=error,
                           fields=buttons.OPTIONAL_FIELDS, max_lines=buttons.MAX_LINES,
                           action=f"{_prefix()}/button")

    # -- operations ----------------------------------------------------------------
    def readiness(self) -> tuple[int, list[str]]:
        """(status, reasons): 200 with [] when ready. Cached a few seconds so a busy
        probe does not hammer Astro."""
        with self._ready_lock:
            if self._ready and time.monotonic() - self._ready[0] < self.ready_cache_seconds:
                return self._ready[1], self._ready[2]
        reasons = [] if self.journal.health_check() else ["journal: cannot write"]
        reasons += [f"store {store.id}: Astro login failed ({type(error).__name__})"
                    for store, error in self.clients.login_problems(self.config.stores)
                    if error is not None]
        status = 503 if reasons else 200
        with self._ready_lock:
            self._ready = (time.monotonic(), status, reasons)
        return status, reasons


def create_web_app(config: Config, journal: Journal, clients: StoreClients | None = None,
                   *, throttle: LoginThrottle | None = None) -> bottle.Bottle:
    """A new bottle app serving the button side of `config`'s stores with `journal`
    (bridge.app.create_app is the whole bridge: this, the admin pages, the REST proxy).

    `clients` is the StoreClients shared with the retry worker (made here when None);
    `throttle` the login throttle (default policy when None). The app keeps its state
    in `app.config["bridge.web"]` (a BridgeWeb)."""
    app = bottle.Bottle(catchall=True)
    web = BridgeWeb(config, journal, clients, throttle)
    app.config["bridge.web"] = web
    app.add_hook("after_request", set_security_headers)

    for path in config.legacy_paths:
        app.route(path, ["GET", "POST"], web.button)
    app.route("/button", "GET", lambda: web.builder(None))
    # Any character: a SaleID may hold "/" (the server decodes the %2F of the link).
    app.route(r"/receipt/<sale_key:re:[\s\S]+>", "GET", web.receipt)
    app.route(r"/receipt/<sale_key:re:[\s\S]+>/again", "POST", web.again)
    app.route(r"/receipt/<sale_key:re:[\s\S]+>/refresh", "POST", web.refresh)
    app.route("/healthz", "GET", lambda: render.json_answer({"status": "ok"}))
    install_redeem_routes(app, web)

    @app.route("/readyz")
    def readyz():
        status, reasons = web.readiness()
        return render.json_answer({"ready": status == 200, "reasons": reasons}, status)

    @app.route("/metrics")
    def metrics():
        body, content_type = exposition(web.backlog)
        return bottle.HTTPResponse(body, status=200, headers={"Content-Type": content_type})

    @app.route("/static/<name>")
    def static(name):
        return bottle.static_file(name, root=str(render.STATIC))

    def on_error(error: bottle.HTTPError):
        set_security_headers()
        if error.status_code >= 500:
            return render.page("error", title="Something went wrong",
                               message="The bridge could not answer. If this was a sale, it "
                                       "may have been saved: open the receipt or ask the office.")
        return render.page("error", title=error.status_line, message="Nothing here.")

    for code in (404, 405, 500):
        app.error(code)(on_error)
    return app


def _checking(data: dict) -> bool:
    """The receipt data is being completed by a read in the background (for a little
    while only: a read that never came back leaves the page as it is)."""
    if not data.get("checking") or not data.get("fetched_at"):
        return False
    age = utcnow() - dt.datetime.fromisoformat(data["fetched_at"])
    return age.total_seconds() < CHECKING_FOR


def _kind(sale: legacy_qs.LegacySale) -> dict:
    """The log line's `kind` of a refund or a return (a sale is the default, unsaid)."""
    kind = translate.sale_kind(sale)
    return {} if kind == translate.SALE else {"kind": kind}


def _raw_query() -> bytes | None:
    """The button's parameters as bytes: the query string and/or a form body. None when
    the body is too large."""
    environ = bottle.request.environ
    query = environ.get("QUERY_STRING", "").encode("latin-1")
    body = b""
    if bottle.request.method == "POST":
        if (bottle.request.content_length or 0) > MAX_BODY:
            return None
        body = bottle.request.body.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return None
    return b"&".join(part for part in (query, body) if part.strip())


def _prefix() -> str:
    return bottle.request.script_name.rstrip("/")


def _own_base_url(config: Config) -> str:
    # Not bottle's request.url: it believes X-Forwarded-Host from anyone.
    origin = request_origin(bottle.request.environ, config.trusted_proxies)
    return f"{origin.scheme}://{origin.host}{_prefix()}"


def _int(text, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default
