"""The AstroClients of the bridge: one per store login, shared by the web requests and
the retry worker, kept in memory only.

- A store's own Astro login (configured; required for `mapped` stores): one client per
  store, made on first use.
- `delegate` stores: the button's login is the Astro login. `log_in(store, user,
  password)` gets a token with it (that is the password check) and keeps the client for
  (store, user) in memory, with a keyed digest of the password so a changed password
  makes a new client. The password itself is never stored or written anywhere.

What the retry worker does for a `delegate` store (the decision): it uses the store's
own Astro login when one is configured (best practice for delegate stores too). Without
one, it uses the client of the most recent button login of that store in this process
(any login that got a token can deliver for that store's Astro account). After a
restart no such client exists: the store's pending sales wait, and the worker's
`client_for` answers None for them, until a button login of that store succeeds again;
that login makes the store's pending sales due at once (`on_delegate_login`).
"""
import hashlib
import hmac
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from bridge.astro.client import AstroClient
from bridge.astro.errors import AstroError
from bridge.config import Config, Store

# The readiness probe must answer fast: short timeouts, no retries.
PROBE_TIMEOUTS = dict(connect_timeout=2.0, read_timeout=3.0, max_retries=0)


def request_timeouts(deadline: float) -> dict:
    """AstroClient timeouts for a bridge whose button requests may spend `deadline`
    seconds delivering: a slow Astro gets a fair chance to answer, yet a call started
    early in the request gets its full read timeout within it (a points call is only
    started with a full read timeout left; bridge.delivery.points)."""
    return dict(connect_timeout=min(3.0, max(1.0, deadline)),
                read_timeout=min(10.0, max(1.0, deadline - 1.0)), max_retries=2, backoff=0.2)


class StoreClients:
    """AstroClients by store (see the module docstring). Callable: `clients(store)`
    with a Store or a store id gives the client that may deliver for it, or None."""

    def __init__(self, config: Config, *, factory: Callable[..., AstroClient] = AstroClient,
                 on_delegate_login: Callable[[Store], None] | None = None):
        self._config = config
        self._factory = factory
        self._lock = threading.Lock()
        self._own: dict[str, AstroClient] = {}
        self._delegated: dict[tuple[str, str], tuple[bytes, AstroClient]] = {}
        self._latest: dict[str, AstroClient] = {}
        self._key = os.urandom(32)              # digests of passwords, this process only
        self.on_delegate_login = on_delegate_login
        self.timeouts = request_timeouts(config.request_deadline)

    def __call__(self, store: Store | str) -> AstroClient | None:
        found = self._store(store)
        if found is None:
            return None
        if found.astro.username and found.astro.password:
            return self.own(found)
        with self._lock:
            return self._latest.get(found.id)

    def own(self, store: Store) -> AstroClient:
        """The client of the store's own configured Astro login."""
        with self._lock:
            client = self._own.get(store.id)
            if client is None:
                a = store.astro
                if a.password is None:
                    raise ValueError(f"store {store.id} has no Astro login of its own")
                client = self._factory(a.base_url, a.username, a.password.reveal(),
                                       a.client_id, **self.timeouts)
                self._own[store.id] = client
            return client

    def log_in(self, store: Store, username: str, password: str) -> AstroClient:
        """The client of a delegate button login, after Astro accepted the login.
        Raises AuthError when Astro refuses it, NotSent/Ambiguous when it cannot say."""
        digest = hmac.new(self._key, password.encode("utf-8"), hashlib.sha256).digest()
        with self._lock:
            known = self._delegated.get((store.id, username))
        if known and hmac.compare_digest(known[0], digest):
            client = known[1]
            client.log_in()                    # cached token: no network call
            return client
        client = self._factory(store.astro.base_url, username, password,
                               store.astro.client_id, **self.timeouts)
        try:
            client.log_in()
        except Exception:
            client.close()
            raise
        with self._lock:
            self._delegated[(store.id, username)] = (digest, client)
            first = store.id not in self._latest
            self._latest[store.id] = client
        if first and self.on_delegate_login and not (store.astro.username and store.astro.password):
            self.on_delegate_login(store)
        return client

    def probe(self, store: Store) -> AstroClient | None:
        """A fresh short-timeout client for the readiness check (None when the store has
        no login of its own and no button login has happened yet)."""
        a = store.astro
        if a.username and a.password:
            return self._factory(a.base_url, a.username, a.password.reveal(), a.client_id,
                                 **PROBE_TIMEOUTS)
        return None

    def login_problems(self, stores) -> list[tuple[Store, AstroError | None]]:
        """Each of `stores` with the error of logging in with its own Astro login now, or
        None: accepted, or no login of its own to try (a delegate store; Astro checks
        its buttons' logins at each click). Fresh short-timeout clients, in parallel."""
        def problem(store: Store) -> AstroError | None:
            client = self.probe(store)
            if client is None:
                return None
            try:
                client.log_in()
                return None
            except AstroError as e:
                return e
            finally:
                client.close()

        stores = list(stores)
        with ThreadPoolExecutor(max_workers=min(8, len(stores) or 1)) as pool:
            return list(zip(stores, pool.map(problem, stores), strict=True))

    def close(self) -> None:
        with self._lock:
            clients = list(self._own.values()) + [c for _, c in self._delegated.values()]
            self._own.clear()
            self._delegated.clear()
            self._latest.clear()
        for client in clients:
            client.close()

    def _store(self, store: Store | str) -> Store | None:
        if isinstance(store, Store):
            return store
        try:
            return self._config.store(store)
        except KeyError:
            return None
