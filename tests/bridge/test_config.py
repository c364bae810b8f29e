"""Loading bridge.toml: errors name the file, key and reason; secrets stay secret."""
import os
from pathlib import Path

from decimal import Decimal

import pytest

from bridge.config import ConfigError, demo_config, load_config
from bridge.passwords import hash_password, verify_password
from tests.conftest import TEST_HASH_N

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "bridge.example.toml"
HASH = hash_password("front-pw", n=TEST_HASH_N)


def write(tmp_path, text, name="bridge.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def minimal(store_extra="", astro_extra='password = "astro-pw-inline"', top=""):
    return f"""{top}
[stores.main]
name = "Main Street Pets"
{store_extra}

[stores.main.astro]
base_url = "http://127.0.0.1:9/api/json"
username = "main-api"
{astro_extra}
client_id = "cid-1"

[[stores.main.buttons]]
username = "frontdesk"
password_hash = "{HASH}"
"""


def error_of(tmp_path, text):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


def test_example_file_loads_with_every_option(monkeypatch):
    monkeypatch.setenv("MAIN_ASTRO_PASSWORD", "from-env")
    config = load_config(EXAMPLE)
    store = config.store("main")
    assert store.astro.password.reveal() == "from-env"
    assert store.phase == "rest" and store.points and store.convert_upc
    assert config.legacy_paths == ("/", "/loyalty")
    assert config.retry.give_up_after == 72 * 3600
    assert config.dedupe_window == 120 and config.request_deadline == 8


def test_defaults_of_a_minimal_file(tmp_path):
    config = load_config(write(tmp_path, minimal()))
    store = config.store("main")
    assert (store.phase, store.points, store.timezone, store.convert_upc,
            store.refund_remove_items, store.button_auth) == (
        "rest", True, "America/New_York", True, False, "mapped")
    assert (store.max_subtotal, store.max_qty, store.walk_in) == (
        Decimal("10000.00"), 999, "ignore")
    assert config.login_param == "login" and config.max_lines == 500
    assert config.max_id_length == 64
    assert config.legacy_paths == ("/",)
    assert config.secret_key is None
    assert config.failure_report_days == 30
    assert config.journal_path == str(tmp_path / "astro-bridge.db")
    assert verify_password("front-pw", store.button_user("frontdesk").password_hash)


@pytest.mark.parametrize("given", ["max_subtotal = 250", "max_subtotal = 250.0",
                                   'max_subtotal = "250.00"'])
def test_a_store_s_limits_are_read_as_money(tmp_path, given):
    store = load_config(write(tmp_path, minimal(given + '\nmax_qty = 12\nwalk_in = "refuse"'))
                        ).store("main")
    assert (store.max_subtotal, store.max_qty, store.walk_in) == (
        Decimal("250.00"), 12, "refuse")
    assert str(store.max_subtotal) == "250.00"


def test_unknown_time_zone_names_file_key_and_zone(tmp_path):
    message = error_of(tmp_path, minimal('timezone = "Mars/Base"'))
    assert message == "bridge.toml: stores.main.timezone: unknown time zone 'Mars/Base'"


@pytest.mark.parametrize("extra, expected", [
    ('phase = "shadow"', "bridge.toml: stores.main.legacy_url: is required for phase 'shadow'"),
    ('phase = "live"', "bridge.toml: stores.main.phase: must be one of passthrough, shadow, rest, not 'live'"),
    ('points = "yes"', "bridge.toml: stores.main.points: must be true or false, not str"),
    ('colour = "red"', "bridge.toml: stores.main.colour: unknown option"),
    ('button_auth = "sso"', "bridge.toml: stores.main.button_auth: must be one of mapped, delegate, not 'sso'"),
    ('max_subtotal = 0', "bridge.toml: stores.main.max_subtotal: must be an amount greater than 0 with at most two decimals, like 10000.00, not 0"),
    ('max_subtotal = "12.345"', "bridge.toml: stores.main.max_subtotal: must be an amount greater than 0 with at most two decimals, like 10000.00, not '12.345'"),
    ('max_qty = 10000', "bridge.toml: stores.main.max_qty: must be between 1 and 9999, not 10000"),
    ('walk_in = "drop"', "bridge.toml: stores.main.walk_in: must be one of ignore, refuse, not 'drop'"),
])
def test_store_option_errors(tmp_path, extra, expected):
    assert error_of(tmp_path, minimal(extra)) == expected


def test_global_option_errors(tmp_path):
    assert error_of(tmp_path, minimal(top="[server]\nport = 70000")) == \
        "bridge.toml: server.port: must be between 1 and 65535, not 70000"
    assert error_of(tmp_path, minimal(top='[server]\ntrusted_proxies = ["10.0.0.0/8", "proxy"]')) == \
        "bridge.toml: server.trusted_proxies[1]: not an IP address or CIDR network: 'proxy'"
    assert error_of(tmp_path, minimal(top="[journal]\ndedupe_window_seconds = 0")) == \
        "bridge.toml: journal.dedupe_window_seconds: must be greater than 0, not 0"
    assert error_of(tmp_path, minimal(top="[server]\nmax_id_length = 0")) == \
        "bridge.toml: server.max_id_length: must be at least 1, not 0"
    assert load_config(write(tmp_path, minimal(top="[server]\nmax_id_length = 20"))
                       ).max_id_length == 20
    assert error_of(tmp_path, "[server]\nport = 8080\n") == \
        "bridge.toml: stores: at least one store is required ([stores.<id>])"


def test_toml_syntax_error_names_the_file(tmp_path):
    assert error_of(tmp_path, "[stores.main\n").startswith("bridge.toml: not valid TOML")


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"^absent\.toml: cannot read the file"):
        load_config(tmp_path / "absent.toml")


def test_button_hash_must_come_from_hash_password(tmp_path):
    text = minimal().replace(HASH, "front-pw")
    assert error_of(tmp_path, text) == (
        "bridge.toml: stores.main.buttons[0].password_hash: "
        "is not a hash made by `astro-bridge hash-password`")


def test_password_from_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_TEST_PW", "env-secret-pw")
    config = load_config(write(tmp_path, minimal(astro_extra='password_env = "BRIDGE_TEST_PW"')))
    assert config.store("main").astro.password.reveal() == "env-secret-pw"


def test_unset_environment_variable_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("BRIDGE_TEST_UNSET", raising=False)
    assert error_of(tmp_path, minimal(astro_extra='password_env = "BRIDGE_TEST_UNSET"')) == \
        "bridge.toml: stores.main.astro.password_env: environment variable BRIDGE_TEST_UNSET is not set"


def test_password_from_file_relative_to_the_config(tmp_path):
    (tmp_path / "main.pw").write_text("file-secret-pw\n")
    config = load_config(write(tmp_path, minimal(astro_extra='password_file = "main.pw"')))
    assert config.store("main").astro.password.reveal() == "file-secret-pw"
    assert error_of(tmp_path, minimal(astro_extra='password_file = "nope.pw"')).startswith(
        "bridge.toml: stores.main.astro.password_file: cannot read nope.pw")


def test_two_sources_for_one_secret_is_an_error(tmp_path):
    text = minimal(astro_extra='password = "a"\npassword_env = "B"')
    assert error_of(tmp_path, text) == \
        "bridge.toml: stores.main.astro.password_env: give only one of password, password_env"


def test_mapped_store_needs_its_own_astro_password(tmp_path):
    assert error_of(tmp_path, minimal(astro_extra="")) == \
        "bridge.toml: stores.main.astro.password: is required (or password_env / password_file)"


def test_delegate_store_may_omit_the_astro_login(tmp_path):
    text = """
[stores.east]
button_auth = "delegate"
[stores.east.astro]
client_id = "cid-east"
"""
    store = load_config(write(tmp_path, text)).store("east")
    assert store.button_auth == "delegate"
    assert store.astro.username is None and store.astro.password is None


def test_secrets_never_show_in_repr_or_str(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_KEY", "signing-key-secret")
    text = minimal(top='[server]\nsecret_key_env = "BRIDGE_KEY"')
    config = load_config(write(tmp_path, text))
    shown = repr(config) + str(config) + f"{config.store('main')}"
    assert "astro-pw-inline" not in shown
    assert "signing-key-secret" not in shown
    assert HASH not in shown
    assert config.secret_key.reveal() == "signing-key-secret"


def test_config_values_are_frozen(tmp_path):
    config = load_config(write(tmp_path, minimal()))
    with pytest.raises(AttributeError):
        config.port = 1  # type: ignore[misc]


def test_demo_config_is_the_embedded_default(tmp_path):
    config = demo_config("http://127.0.0.1:5000/api/json", str(tmp_path / "j.db"))
    store = config.store("demo")
    assert store.name == "Demo Pet Supply"
    assert (store.astro.username, store.astro.password.reveal(), store.astro.client_id) == (
        "demo", "demo-password", "demo-client")
    assert store.astro.base_url == "http://127.0.0.1:5000/api/json"
    assert store.points and store.phase == "rest" and store.timezone == "America/New_York"
    assert verify_password("demo-button", store.button_user("demo").password_hash)
    assert verify_password("demo-admin", config.admin("admin").password_hash)
    assert "demo-password" not in repr(config)
    assert config.journal_path == os.path.join(str(tmp_path), "j.db")


def test_the_journal_is_a_file_beside_the_config_or_a_postgresql_url(tmp_path, monkeypatch):
    assert load_config(write(tmp_path, minimal())).journal_location == str(
        tmp_path / "astro-bridge.db")
    lite = load_config(write(tmp_path, minimal(top='[journal]\nurl = "sqlite:///j/x.db"')))
    assert lite.journal_location == str(tmp_path / "j" / "x.db") and lite.journal_url is None
    monkeypatch.setenv("JOURNAL_URL", "postgresql://bridge:pg-Secret-77@db:5432/astro")
    pg = load_config(write(tmp_path, minimal(top='[journal]\nurl_env = "JOURNAL_URL"')))
    assert pg.journal_path is None
    assert pg.journal_location.reveal() == "postgresql://bridge:pg-Secret-77@db:5432/astro"
    assert "pg-Secret-77" not in repr(pg) and "pg-Secret-77" not in str(pg)


@pytest.mark.parametrize("journal, expected", [
    ('path = "a.db"\nurl = "postgresql://db/x"',
     "bridge.toml: journal.url: give either path or url, not both"),
    ('url = "mysql://u:hunter2@db/x"',
     "bridge.toml: journal.url: must start with postgresql:// or sqlite:///"),
    ('url = "x"\nurl_file = "u.txt"', "bridge.toml: journal.url_file: give only one of url, "
                                      "url_file"),
])
def test_journal_location_errors_name_the_key_and_never_the_url(tmp_path, journal, expected):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, minimal(top=f"[journal]\n{journal}")))
    assert str(e.value) == expected and "hunter2" not in str(e.value)
