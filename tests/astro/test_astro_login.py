"""AstroClient.log_in: one token fetch that checks the login, and nothing else."""
import socket

import pytest

from bridge.astro import AstroClient, AuthError, InvalidClientID, NotSent


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
