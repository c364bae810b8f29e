"""Shared fixtures: a real sandbox Astro over HTTP on a free loopback port."""
import socket

import pytest


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
password_hash = "{hash_password('demo-button', n=2**10)}"
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
