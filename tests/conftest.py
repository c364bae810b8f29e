"""Shared fixtures: a real sandbox Astro over HTTP on a free loopback port."""
import socket

import pytest


# Cheap scrypt parameters keep each login check of a test fast (the product's default
# costs most of a second and 128 MiB a check).
TEST_HASH_N = 2**10


def demo_config_for_tests(sandbox_api_url: str, journal_path: str):
    """bridge.config.demo_config with the same logins (button demo / demo-button, admin
    admin / demo-admin), hashed with TEST_HASH_N."""
    import dataclasses

    from bridge.config import AdminUser, ButtonUser, demo_config
    from bridge.passwords import hash_password

    config = demo_config(sandbox_api_url, journal_path)
    store = dataclasses.replace(config.stores[0], buttons=(
        ButtonUser("demo", hash_password("demo-button", n=TEST_HASH_N)),))
    return dataclasses.replace(config, stores=(store,), admins=(
        AdminUser("admin", hash_password("demo-admin", n=TEST_HASH_N)),))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox():
    """A sandbox Astro with the default seed and the control endpoint on, fresh per test."""
    from bridge.sandbox.server import SandboxServer

    with SandboxServer(control=True) as sb:
        yield sb


@pytest.fixture
def config_file(sandbox, tmp_path):
    """A bridge.toml for the sandbox's demo account (store `demo`, a mapped button
    `demo` / `demo-button`, failure report of 10 days), its journal beside it."""
    from bridge.passwords import hash_password

    path = tmp_path / "bridge.toml"
    path.write_text(f"""
[journal]
path = "journal.db"

[reports]
failure_report_days = 10

[stores.demo]
name = "Demo Pet Supply"
[stores.demo.astro]
base_url = "{sandbox.api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"
[[stores.demo.buttons]]
username = "demo"
password_hash = "{hash_password('demo-button', n=TEST_HASH_N)}"
""")
    return path


@pytest.fixture
def failed_sale(config_file):
    """The failure of a sale of config_file's store delivered to the sandbox with one
    item of a program the store is not enrolled in (No Item Found)."""
    from bridge.astro import AstroClient
    from bridge.config import load_config
    from bridge.journal import Journal
    from tests.admin.conftest import NOT_ENROLLED_SALE, send_sale

    config = load_config(config_file)
    a = config.stores[0].astro
    with Journal(config.journal_path) as journal, \
            AstroClient(a.base_url, a.username, a.password.reveal(), a.client_id) as client:
        send_sale(journal, config, client, NOT_ENROLLED_SALE)
        [failure] = journal.failures()
    return failure


@pytest.fixture
def processes():
    """processes(argv, cwd=None, env=None, sigint_ignored=False) starts a command as a
    real process (tests.processes.CommandProcess); every one still running when the test
    ends is killed and reaped, whatever the test did."""
    from tests.processes import CommandProcess

    started = []

    def start(argv, **options):
        proc = CommandProcess(argv, **options)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.close()
