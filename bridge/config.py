"""The bridge's configuration: one TOML file, read once, checked before anything starts.

Public interface::

    load_config(path) -> Config        # raises ConfigError("<file>: <key>: <reason>")
    demo_config(sandbox_api_url, journal_path) -> Config   # the embedded default

Values are frozen dataclasses. Every secret (Astro passwords, the signing key) is a
`Secret`, whose repr and str are `'***'`; call `.reveal()` at the one place that needs
the text (building an AstroClient, signing a token). Password hashes of button and admin
users are kept out of reprs as well.

A secret option `X` may be given as `X = "inline"`, `X_env = "NAME"` (read from the
environment variable NAME at load time) or `X_file = "path"` (the file's text without the
trailing newline; a relative path is taken from the configuration file's folder). Exactly
one of the three.

The file layout (config/bridge.example.toml documents every option)::

    [server]   host, port, legacy_paths, login_param, max_lines, max_id_length,
               request_deadline_seconds, threads, trusted_proxies, secret_key(_env|_file),
               log_json
    [journal]  path | url(_env|_file), dedupe_window_seconds
    [delivery] retry_backoff_base_seconds, retry_backoff_max_seconds, give_up_after_hours
    [reports]  failure_report_days
    [rest_proxy] store   (the store whose Astro the REST proxy forwards to; bridge.migrate)
    [[admins]] name, password_hash
    [stores.<id>]        name, phase, legacy_url, points, timezone, convert_upc,
                         refund_remove_items, button_auth, max_subtotal, max_qty, walk_in
    [stores.<id>.astro]  base_url, username, password(_env|_file), client_id
    [[stores.<id>.buttons]] username, password_hash

The journal is a SQLite file (`path`, default astro-bridge.db beside the file; `url =
"sqlite:///path"` says the same) or a PostgreSQL database shared by several bridges
(`url = "postgresql://user@host:5432/db"`, a secret: `url_env` / `url_file` keep its
password out of the file). `Config.journal_location` is what `Journal()` opens.

When no signing key is configured `Config.secret_key` is None; the web app then uses
`Journal.secret("secret_key")`, generated once and kept in the journal.

May import: bridge.passwords.
"""
from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.passwords import is_password_hash

PHASES = ("passthrough", "shadow", "rest")
BUTTON_AUTH_MODES = ("mapped", "delegate")
WALK_IN_MODES = ("ignore", "refuse")
MAX_QTY_BOUND = 9999        # legacy_qs's own bound on a quantity
DEFAULT_ASTRO_URL = "https://api.astroloyalty.com/api/json"
_STORE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,31}$")


class ConfigError(ValueError):
    """A configuration mistake. str(e) is `<file>: <key>: <reason>`, one line."""

    def __init__(self, source: str, key: str, reason: str):
        self.source, self.key, self.reason = source, key, reason
        super().__init__(f"{source}: {key}: {reason}" if key else f"{source}: {reason}")


class Secret:
    """A secret string that never shows in repr(), str() or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The secret text, for the one call that really needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class AstroLogin:
    """A store's Astro REST login. In `delegate` mode username/password may be None (the
    button's credentials are used); `base_url` is the API root, e.g. .../api/json."""
    base_url: str
    username: str | None
    password: Secret | None
    client_id: str


@dataclass(frozen=True)
class ButtonUser:
    """A login the POS button sends in `mapped` mode, checked against a salted hash."""
    username: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class AdminUser:
    name: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class Store:
    """One store served by the bridge. `id` is used in sale keys (`<id>-<SaleID>`)."""
    id: str
    name: str
    astro: AstroLogin
    phase: str = "rest"                 # passthrough | shadow | rest
    legacy_url: str | None = None       # required for passthrough and shadow
    points: bool = True
    timezone: str = "America/New_York"
    convert_upc: bool = True
    refund_remove_items: bool = False
    button_auth: str = "mapped"         # mapped | delegate
    buttons: tuple[ButtonUser, ...] = ()
    # A sale beyond these is refused (400 naming the parameter), nothing recorded: a
    # typo at the till must not become a fortune in points.
    max_subtotal: Decimal = Decimal("10000.00")
    max_qty: int = 999
    # A sale without a CustomerID: "ignore" answers that there is nothing to send,
    # "refuse" answers 400 naming CustomerID.
    walk_in: str = "ignore"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def button_user(self, username: str) -> ButtonUser | None:
        """The mapped button user with this name, or None."""
        for user in self.buttons:
            if user.username == username:
                return user
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How undelivered sales are retried: delay = min(max, base * 2**attempt) with
    jitter; a sale older than `give_up_after` seconds is given up."""
    backoff_base: float = 5.0
    backoff_max: float = 900.0
    give_up_after: float = 72 * 3600.0


@dataclass(frozen=True)
class Config:
    stores: tuple[Store, ...]
    journal_path: str | None            # the SQLite file; None when journal_url is set
    source: str = "<built-in>"          # the file name used in error messages
    host: str = "127.0.0.1"
    port: int = 8080
    legacy_paths: tuple[str, ...] = ("/",)   # always contains "/"
    login_param: str = "login"
    max_lines: int = 500
    max_id_length: int = 64             # longest CustomerID / SaleID a button may send
    request_deadline: float = 8.0       # seconds a button request may spend delivering
    threads: int = 32                   # requests answered at once (tills waiting on Astro)
    dedupe_window: float = 120.0        # seconds an identical sale without SaleID is a repeat
    retry: RetryPolicy = RetryPolicy()
    secret_key: Secret | None = None
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    admins: tuple[AdminUser, ...] = ()
    failure_report_days: int = 30
    log_json: bool = False
    rest_proxy_store: str | None = None    # [rest_proxy] store (bridge.migrate.restproxy)
    journal_url: Secret | None = None      # a postgresql:// URL (may hold a password)

    @property
    def journal_location(self) -> str | Secret:
        """What bridge.journal.Journal opens: the PostgreSQL URL, else the file."""
        if self.journal_url is not None:
            return self.journal_url
        assert self.journal_path is not None      # Config.journal sets one of the two
        return self.journal_path

    def store(self, store_id: str) -> Store:
        """The store with this id; KeyError when there is none."""
        for store in self.stores:
            if store.id == store_id:
                return store
        raise KeyError(store_id)

    def parse_options(self, store: Store | None = None) -> dict:
        """The keyword arguments of `legacy_qs.parse` for a click of `store`: its
        item-code rule, its limits and whether it takes walk-ins. Without a store, the
        format's own bounds only, walk-ins parsed (the store is not known yet)."""
        options = {"max_lines": self.max_lines, "login_param": self.login_param,
                   "max_id_length": self.max_id_length}
        if store is None:
            return {**options, "walk_in": True}
        return {**options, "convert_upc": store.convert_upc, "max_qty": store.max_qty,
                "max_subtotal": store.max_subtotal, "walk_in": store.walk_in == "ignore"}

    def admin(self, name: str) -> AdminUser | None:
        for admin in self.admins:
            if admin.name == name:
                return admin
        return None


def load_config(path: str | os.PathLike) -> Config:
    """Read and check the configuration file at `path`.

    Raises ConfigError naming the file, the key and the reason for the first problem:
    unreadable file, TOML syntax, unknown keys, wrong types or values, missing secrets.
    """
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(source, "", f"cannot read the file ({e.strerror or e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, "", f"not valid TOML: {e}") from None
    return _Reader(source, path.parent).config(data)


def demo_config(sandbox_api_url: str, journal_path: str) -> Config:
    """The embedded default: one demo store on a sandbox Astro at `sandbox_api_url`.

    Store `demo` ("Demo Pet Supply"), sandbox login demo/demo-password/demo-client,
    mapped button login `demo` / `demo-button`, points on, America/New_York, phase rest;
    admin user `admin` / `demo-admin` for /admin.
    """
    store = Store(
        id="demo",
        name="Demo Pet Supply",
        astro=AstroLogin(base_url=sandbox_api_url, username="demo",
                         password=Secret("demo-password"), client_id="demo-client"),
        phase="rest",
        points=True,
        timezone="America/New_York",
        button_auth="mapped",
        buttons=(ButtonUser("demo", DEMO_BUTTON_HASH),),
    )
    return Config(stores=(store,), journal_path=str(journal_path), source="<demo>",
                  admins=(AdminUser("admin", DEMO_ADMIN_HASH),))


# The demo's logins are public (the README prints them), so their hashes are made once,
# here, with `astro-bridge hash-password`: starting the demo computes no scrypt.
DEMO_BUTTON_HASH = ("scrypt$131072$8$1$ijIjaMKqrUl27IURrZBphg==$"
                    "6oYdmf6QSrdo/QnjtPaAn43yJNXF+DOnV7DAsjHI9II=")       # demo-button
DEMO_ADMIN_HASH = ("scrypt$131072$8$1$GxPelk+3pOBiXcfY/VHZCA==$"
                   "8/YHiUtiOqU3MHpoAewld5d+gMxytALdQc3qhOFWR4Q=")        # demo-admin


_MISSING = object()


class _Reader:
    """Walks the parsed TOML, turning each value into a typed one or a ConfigError."""

    def __init__(self, source: str, folder: Path):
        self.source = source
        self.folder = folder

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(self.source, key, reason)

    # -- generic typed getters -------------------------------------------------------
    def table(self, data: Mapping, key: str, prefix: str, allowed: set[str]) -> dict:
        value = data.get(key, {})
        name = f"{prefix}{key}"
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table")
        for k in value:
            if k not in allowed:
                raise self.fail(f"{name}.{k}", "unknown option")
        return value

    def get(self, data: Mapping, key: str, prefix: str, kind: type | tuple,
            default: Any = _MISSING):
        name = f"{prefix}{key}"
        if key not in data:
            if default is _MISSING:
                raise self.fail(name, "is required")
            return default
        value = data[key]
        # TOML booleans are ints to Python; keep them apart.
        if kind in (int, float, (int, float)) and isinstance(value, bool):
            raise self.fail(name, f"must be a number, not {value!r}")
        if not isinstance(value, kind):
            raise self.fail(name, f"must be {_kind_name(kind)}, not {type(value).__name__}")
        return value

    def text(self, data, key, prefix, default: Any = _MISSING) -> str:
        value = self.get(data, key, prefix, str, default)
        if value is not None and isinstance(value, str) and not value.strip():
            raise self.fail(prefix + key, "must not be empty")
        return value

    def positive(self, data, key, prefix, default) -> float:
        value = self.get(data, key, prefix, (int, float), default)
        if value <= 0:
            raise self.fail(prefix + key, f"must be greater than 0, not {value}")
        return float(value)

    def secret(self, data, key, prefix, required: bool) -> Secret | None:
        """`key`, `key_env` or `key_file`: exactly one of them."""
        given = [k for k in (key, f"{key}_env", f"{key}_file") if k in data]
        if len(given) > 1:
            raise self.fail(prefix + given[1], f"give only one of {', '.join(given)}")
        if not given:
            if required:
                raise self.fail(prefix + key, f"is required (or {key}_env / {key}_file)")
            return None
        name = given[0]
        ref = self.text(data, name, prefix)
        if name.endswith("_env"):
            value = os.environ.get(ref)
            if value is None:
                raise self.fail(prefix + name, f"environment variable {ref} is not set")
            if not value:
                raise self.fail(prefix + name, f"environment variable {ref} is empty")
        elif name.endswith("_file"):
            file = self.folder / ref
            try:
                value = file.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as e:
                raise self.fail(prefix + name, f"cannot read {ref} ({e.strerror or e})") from None
            if not value:
                raise self.fail(prefix + name, f"{ref} is empty")
        else:
            value = ref
        return Secret(value)

    def password_hash(self, data, key, prefix) -> str:
        value = self.text(data, key, prefix)
        if not is_password_hash(value):
            raise self.fail(prefix + key, "is not a hash made by `astro-bridge hash-password`")
        return value

    # -- sections --------------------------------------------------------------------
    def config(self, data: dict) -> Config:
        for k in data:
            if k not in ("server", "journal", "delivery", "reports", "admins", "stores",
                         "rest_proxy"):
                raise self.fail(k, "unknown section")
        server = self.table(data, "server", "", {
            "host", "port", "legacy_paths", "login_param", "max_lines", "max_id_length",
            "request_deadline_seconds", "threads", "trusted_proxies", "secret_key",
            "secret_key_env",
            "secret_key_file", "log_json"})
        journal = self.table(data, "journal", "", {"path", "url", "url_env", "url_file",
                                                   "dedupe_window_seconds"})
        delivery = self.table(data, "delivery", "", {
            "retry_backoff_base_seconds", "retry_backoff_max_seconds", "give_up_after_hours"})
        reports = self.table(data, "reports", "", {"failure_report_days"})

        port = self.get(server, "port", "server.", int, 8080)
        if not 0 < port < 65536:
            raise self.fail("server.port", f"must be between 1 and 65535, not {port}")
        max_lines = self.get(server, "max_lines", "server.", int, 500)
        if max_lines < 1:
            raise self.fail("server.max_lines", f"must be at least 1, not {max_lines}")
        max_id_length = self.get(server, "max_id_length", "server.", int, 64)
        if max_id_length < 1:
            raise self.fail("server.max_id_length", f"must be at least 1, not {max_id_length}")
        threads = self.get(server, "threads", "server.", int, 32)
        if not 1 <= threads <= 512:
            raise self.fail("server.threads", f"must be between 1 and 512, not {threads}")
        days = self.get(reports, "failure_report_days", "reports.", int, 30)
        if days < 1:
            raise self.fail("reports.failure_report_days", f"must be at least 1, not {days}")
        base = self.positive(delivery, "retry_backoff_base_seconds", "delivery.", 5)
        cap = self.positive(delivery, "retry_backoff_max_seconds", "delivery.", 900)
        if cap < base:
            raise self.fail("delivery.retry_backoff_max_seconds",
                            "must not be smaller than retry_backoff_base_seconds")
        stores = self.stores(data.get("stores", _MISSING))
        journal_path, journal_url = self.journal(journal)
        return Config(
            stores=stores,
            journal_path=journal_path,
            journal_url=journal_url,
            source=self.source,
            host=self.text(server, "host", "server.", "127.0.0.1"),
            port=port,
            legacy_paths=self.legacy_paths(server),
            login_param=self.text(server, "login_param", "server.", "login"),
            max_lines=max_lines,
            max_id_length=max_id_length,
            request_deadline=self.positive(server, "request_deadline_seconds", "server.", 8),
            threads=threads,
            dedupe_window=self.positive(journal, "dedupe_window_seconds", "journal.", 120),
            retry=RetryPolicy(backoff_base=base, backoff_max=cap,
                              give_up_after=3600 * self.positive(
                                  delivery, "give_up_after_hours", "delivery.", 72)),
            secret_key=self.secret(server, "secret_key", "server.", required=False),
            trusted_proxies=self.proxies(server),
            admins=self.admins(data.get("admins", [])),
            failure_report_days=days,
            log_json=self.get(server, "log_json", "server.", bool, False),
            rest_proxy_store=self.rest_proxy_store(data, stores),
        )

    def journal(self, journal: dict) -> tuple[str | None, Secret | None]:
        """(SQLite file, None) or (None, PostgreSQL URL)."""
        url = self.secret(journal, "url", "journal.", required=False)
        if url is not None and "path" in journal:
            given = next(k for k in ("url", "url_env", "url_file") if k in journal)
            raise self.fail("journal." + given, "give either path or url, not both")
        if url is None:
            return str(self.folder / self.text(journal, "path", "journal.",
                                               "astro-bridge.db")), None
        text = url.reveal().strip()
        if text.startswith("sqlite:///") and len(text) > len("sqlite:///"):
            return str(self.folder / text[len("sqlite:///"):]), None
        if not text.startswith(("postgresql://", "postgres://")):
            # The value may be a password in the wrong place: never shown.
            raise self.fail("journal.url", "must start with postgresql:// or sqlite:///")
        return None, Secret(text)

    def rest_proxy_store(self, data: dict, stores: tuple[Store, ...]) -> str | None:
        section = self.table(data, "rest_proxy", "", {"store"})
        store = self.text(section, "store", "rest_proxy.", None)
        if store is not None and store not in {s.id for s in stores}:
            raise self.fail("rest_proxy.store", f"no store {store!r}")
        return store

    def legacy_paths(self, server: dict) -> tuple[str, ...]:
        paths = self.get(server, "legacy_paths", "server.", list, [])
        result = ["/"]
        for i, p in enumerate(paths):
            if not isinstance(p, str) or not p.startswith("/"):
                raise self.fail(f"server.legacy_paths[{i}]",
                                f"must be a path starting with /, not {p!r}")
            if p not in result:
                result.append(p)
        return tuple(result)

    def proxies(self, server: dict) -> tuple:
        items = self.get(server, "trusted_proxies", "server.", list, [])
        result = []
        for i, item in enumerate(items):
            try:
                result.append(ipaddress.ip_network(str(item), strict=False))
            except ValueError:
                raise self.fail(f"server.trusted_proxies[{i}]",
                                f"not an IP address or CIDR network: {item!r}") from None
        return tuple(result)

    def admins(self, items: Any) -> tuple[AdminUser, ...]:
        return self.users(items, "admins", "name", "admin", AdminUser)

    def users(self, items: Any, table: str, name_key: str, what: str, make) -> tuple:
        """An array of tables of (name, password_hash) users: admins or button users."""
        if not isinstance(items, list):
            raise self.fail(table, f"must be an array of tables ([[{table.rsplit('.', 1)[-1]}]])")
        result: list = []
        for i, item in enumerate(items):
            prefix = f"{table}[{i}]."
            if not isinstance(item, dict):
                raise self.fail(prefix[:-1], "must be a table")
            for k in item:
                if k not in (name_key, "password_hash"):
                    raise self.fail(prefix + k, "unknown option")
            name = self.text(item, name_key, prefix)
            if any(getattr(u, name_key) == name for u in result):
                raise self.fail(prefix + name_key, f"{what} {name!r} given twice")
            result.append(make(name, self.password_hash(item, "password_hash", prefix)))
        return tuple(result)

    def stores(self, stores: Any) -> tuple[Store, ...]:
        if stores is _MISSING or stores == {}:
            raise self.fail("stores", "at least one store is required ([stores.<id>])")
        if not isinstance(stores, dict):
            raise self.fail("stores", "must be a table of stores ([stores.<id>])")
        return tuple(self.store(store_id, body) for store_id, body in stores.items())

    def store(self, store_id: str, body: Any) -> Store:
        prefix = f"stores.{store_id}."
        if not _STORE_ID.match(store_id):
            raise self.fail(f"stores.{store_id}",
                            "a store id is 1-32 letters, digits or _ (it goes into sale keys)")
        if not isinstance(body, dict):
            raise self.fail(f"stores.{store_id}", "must be a table")
        allowed = {"name", "phase", "legacy_url", "points", "timezone", "convert_upc",
                   "refund_remove_items", "button_auth", "astro", "buttons", "max_subtotal",
                   "max_qty", "walk_in"}
        for k in body:
            if k not in allowed:
                raise self.fail(prefix + k, "unknown option")
        phase = self.text(body, "phase", prefix, "rest")
        if phase not in PHASES:
            raise self.fail(prefix + "phase", f"must be one of {', '.join(PHASES)}, not {phase!r}")
        legacy_url = self.text(body, "legacy_url", prefix, None)
        if phase != "rest" and legacy_url is None:
            raise self.fail(prefix + "legacy_url", f"is required for phase {phase!r}")
        if legacy_url is not None and not legacy_url.startswith(("http://", "https://")):
            raise self.fail(prefix + "legacy_url", f"must be an http(s) URL, not {legacy_url!r}")
        timezone = self.text(body, "timezone", prefix, "America/New_York")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(prefix + "timezone", f"unknown time zone {timezone!r}") from None
        auth = self.text(body, "button_auth", prefix, "mapped")
        if auth not in BUTTON_AUTH_MODES:
            raise self.fail(prefix + "button_auth",
                            f"must be one of {', '.join(BUTTON_AUTH_MODES)}, not {auth!r}")
        astro = self.astro(body, prefix, needs_login=auth == "mapped")
        buttons = self.buttons(body.get("buttons", []), prefix)
        if auth == "mapped" and not buttons:
            raise self.fail(prefix + "buttons",
                            "button_auth 'mapped' needs at least one [[buttons]] user")
        max_qty = self.get(body, "max_qty", prefix, int, 999)
        if not 1 <= max_qty <= MAX_QTY_BOUND:
            raise self.fail(prefix + "max_qty",
                            f"must be between 1 and {MAX_QTY_BOUND}, not {max_qty}")
        walk_in = self.text(body, "walk_in", prefix, "ignore")
        if walk_in not in WALK_IN_MODES:
            raise self.fail(prefix + "walk_in",
                            f"must be one of {', '.join(WALK_IN_MODES)}, not {walk_in!r}")
        return Store(
            id=store_id,
            name=self.text(body, "name", prefix, store_id),
            astro=astro,
            phase=phase,
            legacy_url=legacy_url,
            points=self.get(body, "points", prefix, bool, True),
            timezone=timezone,
            convert_upc=self.get(body, "convert_upc", prefix, bool, True),
            refund_remove_items=self.get(body, "refund_remove_items", prefix, bool, False),
            button_auth=auth,
            buttons=buttons,
            max_subtotal=self.amount(body, "max_subtotal", prefix, Decimal("10000.00")),
            max_qty=max_qty,
            walk_in=walk_in,
        )

    def amount(self, data, key, prefix, default: Decimal) -> Decimal:
        """A money amount greater than 0 with at most two decimals: a number or a string
        ("10000.00"; a string keeps the decimals exactly)."""
        value = self.get(data, key, prefix, (int, float, str), default)
        if isinstance(value, Decimal):
            return value
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount <= 0 \
                or amount != amount.quantize(Decimal("0.01")):
            raise self.fail(prefix + key, f"must be an amount greater than 0 with at most "
                                          f"two decimals, like 10000.00, not {value!r}")
        return amount.quantize(Decimal("0.01"))

    def astro(self, body: dict, store_prefix: str, needs_login: bool) -> AstroLogin:
        astro = self.table(body, "astro", store_prefix, {
            "base_url", "username", "password", "password_env", "password_file", "client_id"})
        prefix = f"{store_prefix}astro."
        if "astro" not in body:
            raise self.fail(prefix[:-1], "is required (the store's Astro login)")
        base_url = self.text(astro, "base_url", prefix, DEFAULT_ASTRO_URL)
        if not base_url.startswith(("http://", "https://")):
            raise self.fail(prefix + "base_url", f"must be an http(s) URL, not {base_url!r}")
        # `delegate` stores may still give a login: the retry worker needs one to deliver
        # sales after the button request is gone.
        username = self.text(astro, "username", prefix, _MISSING if needs_login else None)
        password = self.secret(astro, "password", prefix, required=needs_login)
        return AstroLogin(base_url=base_url.rstrip("/"), username=username,
                          password=password, client_id=self.text(astro, "client_id", prefix))

    def buttons(self, items: Any, store_prefix: str) -> tuple[ButtonUser, ...]:
        return self.users(items, store_prefix + "buttons", "username", "button user", ButtonUser)


def _kind_name(kind) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", list: "an array",
             dict: "a table", (int, float): "a number", (int, float, str): "an amount"}
    return names.get(kind, str(kind))
