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
