"""AstroClient.log_in: one token fetch that checks the login, and nothing else; the
token renewed ahead of its end, aside from the calls."""
import socket
import time

import pytest

from bridge.astro import AstroClient, AuthError, InvalidClientID, NotSent
from tests.clock import wait_until


def test_log_in_fetches_one_token_and_reuses_it(sandbox, client):
    assert client.log_in() is None                       # nothing secret is handed out
    assert sandbox.state()["tokens"]["issued"] == 1
    client.log_in()
    client.customer_status("SALLY-1")
    state = sandbox.state()
    assert state["tokens"]["issued"] == 1                # the same token served all three
    assert "customerStatus" in state["calls"] and len(state["calls"]) == 2


def test_log_in_after_astro_dropped_the_token_does_not_notice_until_a_call(sandbox, client):
    client.log_in()
    sandbox.expire_tokens()
    client.log_in()                                      # cached: no network call
    assert sandbox.state()["tokens"]["issued"] == 1
    client.customer_status("SALLY-1")                    # refused once, renewed
    assert sandbox.state()["tokens"]["issued"] == 2


def test_log_in_with_a_wrong_password_is_an_auth_error(sandbox, make_client):
    with pytest.raises(AuthError) as info:
        make_client(password="wrong-horse-battery").log_in()
    assert type(info.value) is AuthError
    assert sandbox.state()["tokens"]["issued"] == 0


def test_log_in_with_a_bad_client_id_is_invalid_client_id(make_client):
    with pytest.raises(InvalidClientID):
        make_client(client_id="not-our-client").log_in()


def test_log_in_to_an_unreachable_astro_is_not_sent():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with AstroClient(f"http://127.0.0.1:{port}/api/json", "demo", "pw", "c",
                     connect_timeout=0.5, max_retries=0) as client:
        with pytest.raises(NotSent) as info:
            client.log_in()
    assert info.value.endpoint == "token"


def test_a_token_near_its_end_is_renewed_aside_while_the_calls_go_on(sandbox, make_client):
    # Tokens live 4 s; renewed 2 s before (half the life at most), by a call 1 s before.
    sandbox.set_faults({"token_ttl": 4})
    client = make_client(token_margin=60, read_timeout=3.0)  # the slow token is answered
    client.customer_status("SALLY-1")
    time.sleep(2.2)                                        # past the renewal point
    sandbox.set_faults({"token_ttl": 4, "endpoints": {"token": {"latency": 0.5}}})
    before = len(sandbox.call_log())
    client.customer_status("SALLY-1")
    # The call went with the old token and did not wait for the new one.
    assert [c["endpoint"] for c in sandbox.call_log()[before:]] == ["customerStatus"]
    wait_until(lambda: sandbox.state()["tokens"]["issued"] == 2, "the token renewed aside")
    client.customer_status("SALLY-1")
    assert sandbox.state()["tokens"]["issued"] == 2        # the new one serves from now on
    assert [c["endpoint"] for c in sandbox.call_log()[before:]] == [
        "customerStatus", "token", "customerStatus"]
