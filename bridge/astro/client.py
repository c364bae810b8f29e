"""AstroClient: the only code in the project that speaks HTTP to Astro.

One urllib3 pool of keep-alive connections shared by the threads (at most
`IDLE_CONNECTIONS` wait idle), one cached token (shared by the threads, guarded by a
lock), timeouts on every request, and retries with exponential backoff and jitter for
NotSent failures only: a call that may have been processed (Ambiguous) is never resent
here, the caller decides. urllib3 itself never resends and never follows a redirect.

The calls go through urllib3 rather than a requests Session: a call is on the cashier's
path, and requests' own work (settings merged, cookies, hooks, a Response built) took
half the client's time of a call and delayed the calls of a round behind each other.

`client.together(calls)` runs a few calls at the same time (a round: they overlap on
the wire) and gives each one's answer or error; each call keeps the caller's deadline.

`with client.deadline(t):` (t a `time.monotonic()` value) bounds the calls this thread
makes inside the block: each request's timeouts are cut to what is left until t, no
request (and no retry) starts after t (NotSent), and a read cut short by t is Ambiguous
as any read timeout. Other threads sharing the client are not affected.
"""
from __future__ import annotations

import contextlib
import functools
from concurrent.futures import ThreadPoolExecutor
import logging
import os
import random
import threading
import time
from decimal import Decimal
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterable, Iterator, Mapping, Sequence, TypeVar

import requests
import urllib3
from urllib.parse import unquote, urlencode, urlsplit

from bridge.astro import protocol
from bridge.metrics import ASTRO_CALLS
from bridge.astro.errors import (Ambiguous, AstroError, AuthError, BusinessError,
                                 CustomerNotFound,
                                 InvalidClientID, NotSent, ProtocolError, RateLimited)
from bridge.astro.models import (CustomerMatch, CustomerStatus, EligibleItem, Eligibility,
                                 LineResult, Malformed, Offer, PointsAward, PointsStatus,
                                 Purchase, RemovedTransaction, records)

log = logging.getLogger("bridge.astro")

T = TypeVar("T")

# A token whose `created` is further than this from our clock comes from a server
# clock we cannot trust: count its lifetime from when we received it instead.
CLOCK_SKEW_TOLERANCE = 120.0


# Threads that run the calls of rounds (`together`), per client: enough for every till
# of a busy store to have a round on the wire at once.
ROUND_THREADS = 64
# Seconds the last call of a round waits at most for the others to be sent first.
SEND_WAIT = 0.005
# Keep-alive connections kept for the next calls (per Astro host); more are opened when
# more calls are in flight at once, and closed when they come back to a full pool. As
# many as round threads: a busy store's tills keep theirs warm (a TLS handshake to a
# remote Astro costs two round trips).
IDLE_CONNECTIONS = ROUND_THREADS
# What every call sends besides its token (requests sent the same by default).
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded",
                "Accept-Encoding": "gzip, deflate", "Accept": "*/*",
                "User-Agent": "astro-bridge"}


@dataclass(frozen=True)
class CallResult(Generic[T]):
    """One call's outcome in a round: its value, or the AstroError it raised."""
    value: Any = None
    error: AstroError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def get(self) -> Any:
        """The value, or the error raised again."""
        if self.error is not None:
            raise self.error
        return self.value


class _Token:
    __slots__ = ("value", "deadline")

    def __init__(self, value: str, deadline: float):
        self.value = value
        self.deadline = deadline  # time.monotonic() after which it is not used

    def __repr__(self) -> str:
        return "<token>"


class AstroClient:
    """A client of one Astro account (login + client id); safe to share between threads.

    ``base_url`` is the API root (``.../api/json``). Timeouts are in seconds.
    ``max_retries`` resends of a NotSent call are made, waiting ``backoff * 2**n`` seconds
    with jitter, or the Retry-After of a 429 when it is at most ``max_retry_after``
    (a longer one raises RateLimited at once). The token is renewed ``token_margin``
    seconds before it expires, and once more when Astro refuses it.
    """

    def __init__(self, base_url: str, username: str, password: str, client_id: str, *,
                 connect_timeout: float = 3.0, read_timeout: float = 10.0,
                 max_retries: int = 3, backoff: float = 0.25, max_retry_after: float = 30,
                 token_margin: float = 60.0, pool_size: int = 1):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self._client_id = client_id
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.token_margin = token_margin
        self._token: _Token | None = None
        self._token_lock = threading.Lock()
        self._local = threading.local()          # .deadline (see deadline()), .sending
        self._rounds_lock = threading.Lock()
        self._rounds: ThreadPoolExecutor | None = None
        # A store's proxy and CA bundle from the environment (HTTPS_PROXY, NO_PROXY,
        # REQUESTS_CA_BUNDLE...) are read once, here, as requests reads them; ~/.netrc
        # is not read: our Bearer header is the authorization.
        self._http = _connections(self.base_url, max(IDLE_CONNECTIONS, pool_size))

    def __repr__(self) -> str:
        return f"AstroClient(base_url={self.base_url!r}, username={self.username!r})"

    @property
    def read_timeout(self) -> float:
        """Seconds a call waits for Astro's answer before it is Ambiguous."""
        return self.timeout[1]

    def __enter__(self) -> "AstroClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the idle connections and the round threads (a later call opens anew)."""
        with self._rounds_lock:
            rounds, self._rounds = self._rounds, None
        if rounds is not None:
            rounds.shutdown(wait=False, cancel_futures=True)
        self._http.clear()

    def together(self, calls: Sequence[Callable[[], Any]]) -> list[CallResult]:
        """Run `calls` (each makes one or more calls of this client) at the same time and
        return their CallResults in the same order. The others run in the client's round
        threads; the last runs in this thread, sent once the others are on their way (up
        to `SEND_WAIT` seconds), so a read listed last tends to reach Astro after the
        writes before it (it may still be answered first). Each call is bounded by this
        thread's deadline. Only AstroErrors are caught into CallResults: anything else is
        raised (after every call has ended)."""
        calls = list(calls)
        if len(calls) <= 1:
            return [_result(call) for call in calls]
        at = getattr(self._local, "deadline", None)

        def bounded(call, sending: threading.Event):
            self._local.sending = sending
            try:
                with self.deadline(at):
                    return _result(call)
            finally:
                self._local.sending = None
                sending.set()

        on_the_way = [threading.Event() for _ in calls[:-1]]
        futures = [self._round_threads().submit(bounded, call, sending)
                   for call, sending in zip(calls[:-1], on_the_way, strict=True)]
        try:
            give_up = time.monotonic() + SEND_WAIT
            for sending in on_the_way:
                sending.wait(max(0.0, give_up - time.monotonic()))
            last = _result(calls[-1])
        finally:
            done = [f.result() for f in futures]
        return done + [last]

    def _round_threads(self) -> ThreadPoolExecutor:
        with self._rounds_lock:
            if self._rounds is None:
                self._rounds = ThreadPoolExecutor(ROUND_THREADS,
                                                  thread_name_prefix="astro-round")
            return self._rounds

    @contextlib.contextmanager
    def deadline(self, at: float | None) -> Iterator["AstroClient"]:
        """Bound every call this thread makes inside the block by the absolute
        `time.monotonic()` value `at` (None: no bound); nested blocks keep the earlier."""
        previous = getattr(self._local, "deadline", None)
        if at is not None and previous is not None:
            at = min(at, previous)
        self._local.deadline = previous if at is None else at
        try:
            yield self
        finally:
            self._local.deadline = previous

    def _timeout(self, endpoint: str) -> tuple[float, float]:
        """This request's (connect, read) timeouts: the client's, cut to the deadline."""
        at = getattr(self._local, "deadline", None)
        if at is None:
            return self.timeout
        left = at - time.monotonic()
        if left <= 0:
            raise NotSent(f"{endpoint}: not sent, the deadline had passed", endpoint=endpoint)
        return (min(self.timeout[0], left), min(self.timeout[1], left))

    # ---- transport -------------------------------------------------------------------

    def _secrets(self) -> tuple[str, ...]:
        token = self._token
        return (self._password,) + ((token.value,) if token else ())

    def _post(self, endpoint: str, data: Mapping[str, str], headers: Mapping[str, str],
              interpret: Callable[..., T]) -> T:
        url = f"{self.base_url}/{endpoint}/"
        timeout = self._timeout(endpoint)
        sending = getattr(self._local, "sending", None)
        if sending is not None and endpoint != "token":
            sending.set()                       # see together()
        started = time.monotonic()
        try:
            response = self._http.request(
                "POST", url, body=urlencode(data), headers={**FORM_HEADERS, **headers},
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                retries=False, redirect=False)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            error = protocol.transport_error(endpoint, exc)
            seconds = time.monotonic() - started
            ASTRO_CALLS.labels(endpoint, type(error).__name__).observe(seconds)
            log.warning("astro %s failed: %s after %.3fs", endpoint, type(error).__name__,
                        seconds)
            raise error from None  # the cause holds the request, headers and all
        seconds = time.monotonic() - started
        ASTRO_CALLS.labels(endpoint, str(response.status)).observe(seconds)
        log.info("astro %s -> HTTP %s in %.3fs", endpoint, response.status, seconds)
        return interpret(response.status, response.headers, response.data, self._secrets())

    def _fetch_token(self) -> _Token:
        try:
            value, expires, created = self._post(
                "token", {"username": self.username, "password": self._password,
                          "grant_type": "password", "client_id": self._client_id},
                {}, protocol.interpret_token)
        except Ambiguous:
            # A lost token answer costs nothing: the business call was not sent.
            raise NotSent("token: no answer from the login", endpoint="token") from None
        received_wall, received = time.time(), time.monotonic()
        lifetime = expires
        if created is not None and abs(created - received_wall) <= CLOCK_SKEW_TOLERANCE:
            lifetime = created + expires - received_wall
        # A margin longer than half the lifetime would renew the token on every call.
        margin = min(self.token_margin, lifetime / 2) if self.token_margin > 0 else 0.0
        return _Token(value, received + lifetime - margin)

    def _current_token(self) -> _Token:
        with self._token_lock:
            token = self._token
            if token is None or time.monotonic() >= token.deadline:
                token = self._token = self._fetch_token()
            return token

    def _forget_token(self, token: _Token) -> None:
        with self._token_lock:
            if self._token is token:  # another thread may have renewed it already
                self._token = None

    def _send(self, endpoint: str, body: Mapping[str, str]) -> Any:
        """One delivery attempt, with one token renewal if Astro refuses the token."""
        interpret = functools.partial(protocol.interpret, endpoint)
        for attempt in (1, 2):
            token = self._current_token()
            headers = {"Authorization": f"Bearer {token.value}"}
            try:
                return self._post(endpoint, body, headers, interpret)
            except InvalidClientID:
                raise
            except AuthError as exc:
                self._forget_token(token)
                if attempt == 2:
                    raise AuthError(f"{endpoint}: token refused after a renewal",
                                    endpoint=endpoint) from None
                log.info("astro %s: token refused, renewing it (%s)", endpoint,
                         type(exc).__name__)
        raise AssertionError("unreachable")

    def _pause(self, error: NotSent, retry: int) -> float:
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after
        delay = self.backoff * (2 ** retry)
        return delay / 2 + random.uniform(0, delay / 2)  # jitter spreads herds of retries

    def call(self, endpoint: str, payload: Mapping | None = None) -> Any:
        """Send ``payload`` to ``endpoint``; ``returnData`` of the answer (raw).

        Raises NotSent (after ``max_retries`` resends), Ambiguous, AuthError or
        BusinessError; nothing else from the transport.
        """
        body = protocol.form_body(payload or {})
        retry = 0
        while True:
            try:
                return self._send(endpoint, body)
            except NotSent as exc:
                if isinstance(exc, RateLimited) and exc.retry_after is not None \
                        and exc.retry_after > self.max_retry_after:
                    raise
                if retry >= self.max_retries:
                    raise
                pause = self._pause(exc, retry)
                at = getattr(self._local, "deadline", None)
                if at is not None and time.monotonic() + pause >= at:
                    raise                      # the retry could not start in time
                retry += 1
                log.info("astro %s: %s, retry %d in %.2fs", endpoint, type(exc).__name__,
                         retry, pause)
                time.sleep(pause)

    def _read(self, endpoint: str, payload: Mapping, build: Callable[[Any], T]) -> T:
        """``build`` applied to the returnData of a call; an answer ``build`` cannot use
        is ProtocolError naming what is wrong (an Ambiguous: the call was sent)."""
        data = self.call(endpoint, payload)
        try:
            return build(data)
        except Malformed as exc:
            raise ProtocolError(f"{endpoint}: unusable answer ({exc}); the call may have "
                                "been processed", endpoint=endpoint) from None

    # ---- login -------------------------------------------------------------------------

    def log_in(self) -> None:
        """Make sure the client holds a token Astro accepted; returns nothing.

        Reuses the cached token while it is valid, else logs in (one ``POST /token/``,
        no business call, no retry). Raises InvalidClientID, AuthError (login refused)
        or NotSent (no answer), as any call would.
        """
        self._current_token()

    # ---- customers ---------------------------------------------------------------------

    def customer_status(self, customer_id: str, completed_cards: bool = False) -> CustomerStatus:
        """The linked customer's cards, offers and points (BusinessError if unknown)."""
        payload: dict[str, Any] = {"customerID": customer_id}
        if completed_cards:
            payload["completed_cards"] = 1
        return self._read("customerStatus", payload, CustomerStatus.from_data)

    def search_customer(self, email: str | None = None,
                        phone: str | None = None) -> CustomerMatch | None:
        """The Astro account with this email and/or phone, or None when there is none.
        A list of matches (or one match alone) gives the first."""
        if not email and not phone:
            raise ValueError("search_customer needs an email or a phone")
        payload = _compact({"email_address": email, "phone": phone})
        try:
            return self._read("searchCustomer", payload, lambda data: next(
                (CustomerMatch.from_data(d) for d in records(data)), None))
        except CustomerNotFound:
            return None

    def link_customer(self, customer_id: str, astro_customer_id: str) -> str:
        """Link the POS id to the Astro account; its astro_customer_id (the one asked
        for when the answer does not repeat it).

        Already linked is BusinessError with code 320.
        """
        return self._read("linkCustomer", {"customerID": customer_id,
                                           "astro_customer_id": astro_customer_id},
                          lambda data: CustomerMatch.from_data(data or {}, required=())
                          .astro_customer_id or astro_customer_id)

    def add_customer(self, customer_id: str, first_name: str, last_name: str,
                     email: str | None = None, phone: str | None = None, *,
                     address: str | None = None, city: str | None = None,
                     state: str | None = None, zip: str | None = None) -> str:
        """Create an Astro account linked to ``customer_id``; its astro_customer_id (an
        answer without one is ProtocolError: the account may have been created)."""
        return self._read("addCustomer", _compact({
            "customerID": customer_id, "first_name": first_name, "last_name": last_name,
            "email_address": email, "phone": phone, "address": address, "city": city,
            "state": state, "zip": zip}), lambda data: CustomerMatch.from_data(data)
            .astro_customer_id)

    def update_customer(self, customer_id: str | None = None, *,
                        astro_customer_id: str | None = None, first_name: str | None = None,
                        last_name: str | None = None, email: str | None = None,
                        phone: str | None = None, address: str | None = None,
                        city: str | None = None, state: str | None = None,
                        zip: str | None = None) -> None:
        """Change the given fields of a customer (addressed by either id).

        ASTRO_API.md lists only names, email and phone for updateCustomer. The mailing
        address (``address``, ``city``, ``state``, ``zip``, named as addCustomer names
        them) is passed through as optional fields so Astro can keep what addRedemption
        needs; whether Astro stores them is not documented.
        """
        if not customer_id and not astro_customer_id:
            raise ValueError("update_customer needs customer_id or astro_customer_id")
        self.call("updateCustomer", _compact({
            "customerID": customer_id, "astro_customer_id": astro_customer_id,
            "first_name": first_name, "last_name": last_name, "email_address": email,
            "phone": phone, "address": address, "city": city, "state": state, "zip": zip}))

    # ---- frequent-buyer transactions ------------------------------------------------

    def add_transaction_batch(self, customer_id: str,
                              transactions: Iterable[Purchase | Mapping],
                              sale_id: str | None = None) -> list[LineResult]:
        """Send purchase lines; one LineResult per line, in Astro's order.

        Lines are ``Purchase`` values or mappings with the wire keys (transactionID,
        item_code, item_qty, item_amount, item_transaction_date). A refused line is a
        LineResult with its status and message, not an exception; fewer results than
        lines is ProtocolError.
        """
        lines = [t.to_wire() if isinstance(t, Purchase) else dict(t) for t in transactions]

        def results(data: Any) -> list[LineResult]:
            found = [LineResult.from_data(d) for d in records(data)]
            if len(found) < len(lines):
                raise Malformed(f"{len(found)} results for {len(lines)} lines")
            return found

        return self._read("addTransactionBatch", _compact({
            "customerID": customer_id, "saleID": sale_id, "transactions": lines}), results)

    def remove_transaction(self, customer_id: str, transaction_id: str,
                           quantity: int | None = None) -> list[RemovedTransaction]:
        """Take a line (or ``quantity`` of it) back off the customer's cards.

        The count goes out as both ``quantity`` (ASTRO_API.md) and ``item_qty`` (the
        public clients' name for counts): which one Astro reads is not known, and the
        one it does not read would otherwise make a partial removal a whole one.
        """
        return self._read("removeTransaction", _compact({
            "customerID": customer_id, "transactionID": transaction_id,
            "quantity": quantity, "item_qty": quantity}),
            lambda data: [RemovedTransaction.from_data(d) for d in records(data)])

    # ---- points ----------------------------------------------------------------------

    def add_points_by_dollar(self, customer_id: str, amount: Decimal) -> PointsAward:
        """Award points for ``amount`` dollars (negative deducts).

        Astro has no idempotency key here: after Ambiguous, check the customer's points
        transactions before sending again.
        """
        return self._read("addPointsByDollar", {"customerID": customer_id,
                                                "dollarAmount": amount},
                          PointsAward.from_data)

    def customer_points_status(self, customer_id: str) -> PointsStatus:
        """Points balance, affordable rewards and points history."""
        return self._read("customerPointsStatus", {"customerID": customer_id},
                          PointsStatus.from_data)

    def redeem_points(self, customer_id: str, points_reward_id: str) -> int | None:
        """Redeem a points reward; the points deducted (None if Astro does not say)."""
        return self._read("redeemPoints", {"customerID": customer_id,
                                           "astro_points_reward_id": points_reward_id},
                          lambda data: PointsAward.from_data(data or {}, required=())
                          .total_points)

    # ---- redemptions -----------------------------------------------------------------

    def check_redemption_eligibility(self, customer_id: str, item_code: str) -> Eligibility:
        """Whether the customer may take ``item_code`` as a reward now. Not eligible is
        an answer in either form Astro gives it: code 700, or 100 with
        ``isEligible: false``."""
        try:
            return self._read("checkRedemptionEligibility",
                              {"customerID": customer_id, "item_code": item_code},
                              Eligibility.from_data)
        except BusinessError as exc:
            if exc.code == protocol.NOT_ELIGIBLE:
                return Eligibility(False, None, None, exc.message,
                                   raw=exc.data if isinstance(exc.data, Mapping) else {})
            raise

    def add_redemption(self, customer_id: str, reward_id: str, item_id: str, *,
                       email: str | None = None, address: str | None = None,
                       city: str | None = None, state: str | None = None,
                       zip: str | None = None) -> Any:
        """Redeem a card reward for ``item_id``; returnData (raw, often none)."""
        return self.call("addRedemption", _compact({
            "customerID": customer_id, "astro_reward_id": reward_id, "astro_item_id": item_id,
            "customer_email_address": email, "customer_address": address,
            "customer_city": city, "customer_state": state, "customer_zip": zip}))

    def remove_redemption(self, customer_id: str, reward_id: str) -> Any:
        """Undo a redemption; returnData (raw, often none)."""
        return self.call("removeRedemption", {"customerID": customer_id,
                                              "astro_reward_id": reward_id})

    # ---- catalogue -------------------------------------------------------------------

    def eligible_purchase_items(self, item_codes: str | Iterable[str]) -> list[EligibleItem]:
        """The programs each item code qualifies for (a list, or one object alone); the
        codes no program lists are left out. None listed is an answer too: Astro's `No
        Item Found` gives an empty list."""
        if isinstance(item_codes, str):
            payload: dict[str, Any] = {"item_code": item_codes}
        else:
            payload = {"item_code_batch": list(item_codes)}
        try:
            return self._read("eligiblePurchaseItems", payload,
                              lambda data: [EligibleItem.from_data(d) for d in records(data)])
        except BusinessError as exc:
            if (exc.message or "").strip().lower() == protocol.NO_ITEM_MESSAGE.lower():
                return []
            raise

    def list_offers(self) -> list[Offer]:
        """The programs offered to the store: ``{program_list: [...]}``, a bare list or
        one offer alone, as Astro sends them."""
        def offers(data: Any) -> list[Offer]:
            if isinstance(data, Mapping) and "program_list" in data:
                data = data["program_list"]
            return [Offer.from_data(d) for d in records(data)]

        return self._read("listOffers", {}, offers)


def _result(call: Callable[[], Any]) -> CallResult:
    try:
        return CallResult(call())
    except AstroError as e:
        return CallResult(error=e)


def _connections(url: str, idle: int) -> urllib3.PoolManager:
    """The connection pools for calls to `url`: through the proxy the environment sets
    for it (HTTPS_PROXY, NO_PROXY... as requests reads them), checking TLS against the
    environment's CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) or certifi's."""
    with requests.Session() as session:
        found = session.merge_environment_settings(url, {}, None, None, None)
    proxies, verify = found["proxies"] or {}, found["verify"]
    tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED"}
    if verify is False:
        tls = {"cert_reqs": "CERT_NONE"}
    else:
        bundle = requests.certs.where() if verify is True else str(verify)
        tls["ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"] = bundle
    scheme = urlsplit(url).scheme.lower()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy:
        return urllib3.PoolManager(num_pools=4, maxsize=idle, **tls)
    parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    headers = None
    if parts.username is not None:   # http://user:password@proxy: Proxy-Authorization
        headers = urllib3.make_headers(proxy_basic_auth=(
            f"{unquote(parts.username)}:{unquote(parts.password or '')}"))
        proxy = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    return urllib3.ProxyManager(proxy, num_pools=4, maxsize=idle, proxy_headers=headers,
                                **tls)


def _compact(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload without its None fields (optional fields are left out, not null)."""
    return {k: v for k, v in payload.items() if v is not None}
