"""An Astro that cannot be reached: nothing was sent, so the client may retry, then says so."""
import logging
import socket

import pytest

from bridge.astro import AstroClient, NotSent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_not_sent_after_the_configured_retries(caplog):
    client = AstroClient(f"http://127.0.0.1:{free_port()}/api/json", "demo", "s3cret-pw",
                         "demo-client", connect_timeout=0.5, read_timeout=0.5,
                         max_retries=2, backoff=0.01)
    caplog.set_level(logging.INFO, logger="bridge.astro")
    with client, pytest.raises(NotSent) as info:
        client.customer_status("SALLY-1")
    assert type(info.value) is NotSent
    # The token comes first; the business call was never sent.
    assert info.value.endpoint == "token"
    assert info.value.reason == "connection refused"   # why, in words a user reads
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2
    assert "s3cret-pw" not in caplog.text and "s3cret-pw" not in str(info.value)


def test_without_retries_the_first_failure_is_raised():
    client = AstroClient(f"http://127.0.0.1:{free_port()}/api/json", "demo", "pw", "c",
                         max_retries=0, backoff=5)
    with client, pytest.raises(NotSent):
        client.list_offers()


def test_repr_shows_where_and_who_but_no_secret():
    client = AstroClient("http://127.0.0.1:1/api/json/", "demo", "s3cret-pw", "demo-client")
    assert repr(client) == "AstroClient(base_url='http://127.0.0.1:1/api/json', username='demo')"
    client.close()

