"""Who is clicking: which store a button login belongs to, and whether it may.

Store resolution: the candidate stores of a login `username` are the `mapped` stores
with a button user of that name, and the `delegate` stores whose Astro login or button
users name it (a `delegate` store naming no user at all takes any login, but only when
no other store claims it). The `Store` parameter (a store id, any case) picks one of
several candidates; with several and no `Store`, the request is refused naming `Store`.

Authentication:
- `mapped`: the password is checked against the user's salted hash (constant time;
  an unknown user is checked against a dummy hash so both take the same time). REST
  calls use the store's own Astro login.
- `delegate`: the login itself must get an Astro token; see bridge.web.clients.

Nothing here keeps a password; failures say only that the login was refused.
"""
from dataclasses import dataclass

from bridge.config import Config, Store
from bridge.passwords import hash_password, verify_password


class GateError(Exception):
    """A login that cannot go on. .status is 400 (request shape) or 401 (refused)."""

    def __init__(self, status: int, message: str, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.param = param


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


def resolve_store(config: Config, username: str | None, store_param: str | None) -> Resolution:
    """The store of a button login (see the module docstring); GateError otherwise."""
    if not username:
        raise GateError(401, "The button sent no login (apiusername, or login=user~password).",
                        "apiusername")
    named = [s for s in config.stores
             if (s.button_auth == "mapped" and s.button_user(username))
             or (s.button_auth == "delegate" and username in _delegate_names(s))]
    if not named:
        named = [s for s in config.stores
                 if s.button_auth == "delegate" and not _delegate_names(s)]
    if store_param:
        wanted = store_param.strip().lower()
        named = [s for s in named if s.id.lower() == wanted]
        if not named:
            raise GateError(401, REFUSED)
    if not named:
        raise GateError(401, REFUSED)
    if len(named) > 1:
        raise GateError(400, "Several stores share this login: the button must say which "
                             "one with Store=<store id>.", "Store")
    return Resolution(named[0], username)


class PasswordCheck:
    """Checks mapped button passwords against their salted hashes in constant time."""

    def __init__(self):
        # Same cost as a real check, so an unknown user name takes as long as a wrong
        # password and the timing does not tell which user names exist.
        self._dummy = hash_password("not a real password")

    def burn(self) -> None:
        """Spend the time of one check (for a login that names no known user)."""
        verify_password("x", self._dummy)

    def mapped_ok(self, store: Store, username: str, password: str | None) -> bool:
        user = store.button_user(username)
        ok = verify_password(password or "", user.password_hash if user else self._dummy)
        return bool(user) and bool(password) and ok
