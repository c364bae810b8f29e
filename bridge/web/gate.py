"""Who is clicking: which store a button login belongs to, and whether it may.

Store resolution (`resolve_store`, the one function for every phase): the candidate
stores of a login `username` are the `mapped` stores with a button user of that name,
the `delegate` stores whose Astro login or button users name it, and the stores in
passthrough/shadow whose Astro login names it (their legacy button sends the real Astro
login). A `delegate` store naming no user at all takes any login, but only when no other
store claims it; failing that, a lone store in passthrough/shadow takes any login. The
`Store` parameter (a store id, any case) picks one of several candidates; with several
and no `Store`, the request is refused naming `Store`. A store in passthrough/shadow is
also picked by `Store` alone: the bridge cannot check its login (the legacy URL does),
so nothing is gained by refusing it. Such a click is always redirected, but recorded
only when `legacy_login_check` finds its login right (see bridge.migrate.phases).

`legacy_store(config, raw)` is the store of a button request when that store is in
passthrough or shadow (found without the password, also from a query that does not
parse); the web app redirects such a request to the store's legacy URL.

Authentication:
- `mapped`: the password is checked against the user's salted hash (constant time;
  an unknown user is checked against a dummy hash so both take the same time). REST
  calls use the store's own Astro login.
- `delegate`: the login itself must get an Astro token; see bridge.astro.stores.

Nothing here keeps a password; failures say only that the login was refused.
"""
import hmac
from dataclasses import dataclass

from legacy_qs.decoding import to_pairs
from legacy_qs.names import classify

from bridge.config import Config, Store
from bridge.migrate.phases import (LEGACY_PHASES, LOGIN_CHECKED, LOGIN_REFUSED,
                                   LOGIN_UNCHECKED)
from bridge.passwords import VerifiedCache, nobody_hash, verify_password


class GateError(Exception):
    """A login that cannot go on. .status is 400 (request shape), 401 (refused) or 429
    (too many guesses: wait .retry_after seconds)."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 retry_after: int = 0):
        super().__init__(message)
        self.status = status
        self.param = param
        self.retry_after = retry_after


REFUSED = "The button login was refused. Check the user name and password in the POS button."


@dataclass(frozen=True)
class Resolution:
    """The store a sale is for."""

    store: Store
    username: str


def _delegate_names(store: Store) -> set[str]:
    names = {b.username for b in store.buttons}
    if store.astro.username:
        names.add(store.astro.username)
    return names


def _names(store: Store, username: str) -> bool:
    if store.phase in LEGACY_PHASES and username == store.astro.username:
        return True
    if store.button_auth == "mapped":
        return store.button_user(username) is not None
    return username in _delegate_names(store)


def resolve_store(config: Config, username: str | None, store_param: str | None) -> Resolution:
    """The store of a button login (see the module docstring); GateError otherwise."""
    legacy = [s for s in config.stores if s.phase in LEGACY_PHASES]
    if not username and not (legacy and len(config.stores) == 1):
        raise GateError(401, "The button sent no login (apiusername, or login=user~password).",
                        "apiusername")
    named = [s for s in config.stores if username and _names(s, username)]
    if not named:
        named = [s for s in config.stores
                 if s.button_auth == "delegate" and not _delegate_names(s)]
    if not named and len(config.stores) == 1:
        named = legacy
    if store_param:
        wanted = store_param.strip().lower()
        picked = [s for s in named if s.id.lower() == wanted] or \
            [s for s in legacy if s.id.lower() == wanted]
        if not picked:
            raise GateError(401, REFUSED)
        named = picked
    if not named:
        raise GateError(401, REFUSED)
    if len(named) > 1:
        raise GateError(400, "Several stores share this login: the button must say which "
                             "one with Store=<store id>.", "Store")
    return Resolution(named[0], username)


def button_login(raw: bytes, login_param: str) -> tuple[str | None, str | None]:
    """(user name, Store parameter) of a button request's parameters, read as
    legacy_qs.parse reads them, also from a query that does not parse. Never the password."""
    username, _, store = read_login(raw, login_param)
    return username, store


def read_login(raw: bytes, login_param: str) -> tuple[str | None, str | None, str | None]:
    """(user name, password, Store parameter) as legacy_qs.parse reads them: apiusername/
    apipassword, else login=user~password."""
    username = password = login = secret = store = None
    for name, value in to_pairs(raw):
        meaning = classify(name, login_param) if name else None
        if meaning is None:
            continue
        if meaning.key == ("apiusername",) and username is None:
            username = value or None
        elif meaning.key == ("apipassword",) and password is None:
            password = value or None
        elif meaning.kind == "login" and login is None:
            user, tilde, rest = value.partition("~")
            login = (user.strip() or None) if tilde else None
            secret = (rest or None) if tilde else None
        elif meaning.key == ("Store",) and store is None:
            store = value or None
    return username or login, password or secret, store


def legacy_store(config: Config, raw: bytes) -> Store | None:
    """The store of a button request (`raw`: its parameters as received) when that store
    is in passthrough or shadow; None otherwise (the REST path then answers as usual)."""
    if not any(s.phase in LEGACY_PHASES for s in config.stores):
        return None
    try:
        store = resolve_store(config, *button_login(raw, config.login_param)).store
    except GateError:
        return None
    return store if store.phase in LEGACY_PHASES else None


class PasswordCheck:
    """Checks mapped button passwords of `config`'s stores against their salted hashes
    in constant time."""

    def __init__(self, config: Config):
        # Right passwords are remembered a few minutes (keyed digests only): a click of
        # a known button then costs no scrypt. A wrong one still pays the full check.
        self.cache = VerifiedCache()
        users = [user for store in config.stores for user in store.buttons]
        self._nobody = nobody_hash(users[0].password_hash if users else None)

    def burn(self) -> bool:
        """Spend the time of one check of a configured hash (for a login that names no
        known user), so the timing does not tell which user names exist; False."""
        verify_password("x", self._nobody)
        return False

    def mapped_ok(self, store: Store, username: str, password: str | None) -> bool:
        user = store.button_user(username)
        if user is None or not password:
            self.burn()
            return False
        return self.cache.verify(store.id, username, password, user.password_hash)


def legacy_login_check(store: Store, raw: bytes, login_param: str,
                       passwords: "PasswordCheck") -> str:
    """Whether the login of a click of `store` (in passthrough/shadow) checks out:
    LOGIN_CHECKED when it is the store's own Astro login (what the legacy button sends)
    or, for a `mapped` store, a button user whose password matches its hash;
    LOGIN_UNCHECKED for another login of a `delegate` store (only Astro could check it);
    LOGIN_REFUSED otherwise."""
    username, password, _ = read_login(raw, login_param)   # the password: only checked
    own = store.astro
    if username and password and own.username and own.password and username == own.username:
        if hmac.compare_digest(password.encode("utf-8"), own.password.reveal().encode("utf-8")):
            return LOGIN_CHECKED
        if store.button_auth != "mapped" or store.button_user(username) is None:
            return LOGIN_REFUSED
    if store.button_auth == "mapped":
        if username and passwords.mapped_ok(store, username, password):
            return LOGIN_CHECKED
        if not username:
            passwords.burn()
        return LOGIN_REFUSED
    if own.username and username == own.username:
        return LOGIN_REFUSED
    return LOGIN_UNCHECKED if username and password else LOGIN_REFUSED
