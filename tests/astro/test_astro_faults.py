"""The client under the sandbox's faults: what was surely not sent is retried, what may
have happened is reported as Ambiguous and never resent, and secrets never leak."""
import logging
import time
from decimal import Decimal

import pytest

from bridge.astro import (Ambiguous, AstroClient, AuthError, BusinessError, InvalidClientID, NotSent,
                          RateLimited)


def _next(sandbox, endpoint, fault, **kw):
    sandbox.set_faults({"next": [dict(endpoint=endpoint, fault=fault, **kw)]})


def _points_of_sally(sandbox):
    return [t for t in sandbox.state()["points_transactions"]
            if t["astro_customer_id"] == "1001"]


def test_latency_below_the_read_timeout_is_only_slower(sandbox, make_client):
    client = make_client(read_timeout=1.0)
    sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 0.3}}})
    started = time.monotonic()
    assert client.customer_status("SALLY-1").customer_id == "SALLY-1"
    assert time.monotonic() - started >= 0.3


def test_503_twice_then_recovery_is_retried_to_success(sandbox, client, caplog):
    caplog.set_level(logging.INFO, logger="bridge.astro")
    _next(sandbox, "addPointsByDollar", "status", status=503, count=2)
    award = client.add_points_by_dollar("SALLY-1", Decimal("12.00"))
    assert award.total_points == 12
    assert len(_points_of_sally(sandbox)) == 1  # the 503s did nothing
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2


def test_503_past_the_retries_is_not_sent(sandbox, make_client):
    client = make_client(max_retries=1)
    _next(sandbox, "customerStatus", "status", status=503, count=3)
    with pytest.raises(NotSent) as info:
        client.customer_status("SALLY-1")
    assert info.value.endpoint == "customerStatus"


def test_500_is_ambiguous_and_not_retried(sandbox, client):
    _next(sandbox, "customerStatus", "status", status=500, count=1)
    with pytest.raises(Ambiguous):
        client.customer_status("SALLY-1")
    assert sandbox.state()["calls"]["customerStatus"] == 1


def test_hang_past_the_read_timeout_is_ambiguous(sandbox, make_client):
    client = make_client(read_timeout=0.5)
    # Waiting out the hang would end in the sandbox's 503 (NotSent), not Ambiguous.
    _next(sandbox, "customerStatus", "hang", seconds=1.5, work=False)
    with pytest.raises(Ambiguous) as info:
        client.customer_status("SALLY-1")
    assert info.value.endpoint == "customerStatus"


def test_work_done_then_connection_dropped_is_ambiguous_and_the_work_is_there(
        sandbox, client):
    _next(sandbox, "addPointsByDollar", "drop", work=True)
    with pytest.raises(Ambiguous):
        client.add_points_by_dollar("SALLY-1", Decimal("40.00"))
    points = _points_of_sally(sandbox)
    assert [t["pointsQty"] for t in points] == [40]  # done once, and not resent
    assert sandbox.state()["calls"]["addPointsByDollar"] == 1
    assert client.customer_points_status("SALLY-1").balance == 40


def test_429_with_retry_after_is_honoured_then_succeeds(sandbox, client):
    _next(sandbox, "customerStatus", "rate_limit", retry_after=1)
    started = time.monotonic()
    assert client.customer_status("SALLY-1").customer_id == "SALLY-1"
    assert time.monotonic() - started >= 1.0


def test_429_asking_longer_than_the_cap_raises_rate_limited_at_once(sandbox, make_client):
    client = make_client(max_retry_after=5)
    # Waiting the 60 s and retrying would succeed (one 429 only): raising shows it did not.
    _next(sandbox, "customerStatus", "rate_limit", retry_after=60)
    with pytest.raises(RateLimited) as info:
        client.customer_status("SALLY-1")
    assert info.value.retry_after == 60
    assert isinstance(info.value, NotSent)
    assert sandbox.state()["calls"]["customerStatus"] == 1


def test_token_expiring_mid_run_is_renewed_before_use(sandbox, client):
    sandbox.set_faults({"token_ttl": 1})
    assert client.customer_status("SALLY-1").customer_id == "SALLY-1"
    time.sleep(1.1)
    assert client.customer_status("SALLY-1").customer_id == "SALLY-1"


def test_token_revoked_by_astro_is_renewed_once_and_the_call_repeated(sandbox, client):
    client.customer_status("SALLY-1")
    sandbox.expire_tokens()  # the client still believes its token good for 30 minutes
    award = client.add_points_by_dollar("SALLY-1", Decimal("5.00"))
    assert award.total_points == 5
    assert len(_points_of_sally(sandbox)) == 1
    assert sandbox.state()["tokens"]["issued"] == 2


def test_token_refused_even_after_a_renewal_is_an_auth_error(sandbox, client):
    sandbox.set_faults({"token_ttl": 0})  # every token is dead on arrival
    with pytest.raises(AuthError) as info:
        client.customer_status("SALLY-1")
    assert type(info.value) is AuthError and info.value.endpoint == "customerStatus"
    assert sandbox.state()["tokens"]["issued"] == 2


def test_invalid_client_id_is_its_own_error(make_client):
    client = make_client(client_id="not-our-client")
    with pytest.raises(InvalidClientID) as info:
        client.customer_status("SALLY-1")
    assert "Invalid Client ID" in str(info.value)


def test_wrong_password_is_an_auth_error_without_the_password(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(password="wrong-horse-battery")
    with pytest.raises(AuthError) as info:
        client.list_offers()
    assert type(info.value) is AuthError
    assert "wrong-horse-battery" not in str(info.value)
    assert "wrong-horse-battery" not in repr(info.value)
    assert "wrong-horse-battery" not in caplog.text


def test_no_password_or_token_in_logs_exceptions_or_repr(sandbox, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client()
    client.customer_status("SALLY-1")
    tokens = sandbox.app.sandbox.tokens.values()  # what Astro issued, to search for below
    assert tokens
    failures = []
    for fault in ({"fault": "status", "status": 500}, {"fault": "drop"},
                  {"fault": "status", "status": 503, "count": 3}):
        _next(sandbox, "customerStatus", **fault)
        with pytest.raises((Ambiguous, NotSent)) as info:
            client.customer_status("SALLY-1")
        failures.append(info.value)
    with pytest.raises(BusinessError) as info:
        client.customer_status("NOBODY")
    failures.append(info.value)
    seen = caplog.text + repr(client) + "".join(f"{e!s}{e!r}" for e in failures)
    assert "customerStatus" in caplog.text
    for secret in ("demo-password", *tokens):
        assert secret not in seen
    assert all(e.__cause__ is None for e in failures)  # no request objects kept


def test_one_client_serves_many_threads_with_one_token(sandbox, client):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(
            lambda n: client.add_points_by_dollar("SALLY-1", Decimal("1.00")), range(24)))
    assert all(r.total_points == 1 for r in results)
    assert client.customer_points_status("SALLY-1").balance == 24
    assert sandbox.state()["tokens"]["issued"] == 1


def test_token_from_a_server_with_a_slow_clock_lives_from_when_it_arrived(recording_astro):
    recording_astro.clock_offset = -7200  # "created" two hours ago by the server's clock
    with AstroClient(recording_astro.api_url, "demo", "pw", "c", token_margin=60) as client:
        client.add_points_by_dollar("SALLY-1", Decimal("1.00"))
        client.add_points_by_dollar("SALLY-1", Decimal("1.00"))
    paths = [path for path, _, _ in recording_astro.seen]
    assert paths.count("/api/json/token/") == 1 and len(paths) == 3


def test_short_lived_tokens_are_reused_within_their_life(sandbox, make_client):
    client = make_client(token_margin=60)  # longer than the tokens live
    sandbox.set_faults({"token_ttl": 30})
    for _ in range(3):
        client.customer_status("SALLY-1")
    assert sandbox.state()["tokens"]["issued"] == 1


def test_deadline_cuts_a_slow_read_short_as_ambiguous_and_starts_nothing_after_it(
        sandbox, make_client):
    client = make_client(read_timeout=10.0)
    client.log_in()
    # Without the deadline the read would wait the 5 s latency out and succeed.
    sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 5.0}}})
    with client.deadline(time.monotonic() + 0.5):
        with pytest.raises(Ambiguous):
            client.customer_status("SALLY-1")
        calls = sandbox.state()["calls"].get("customerStatus", 0)
        with pytest.raises(NotSent):                     # past the deadline: not sent
            client.customer_status("SALLY-1")
    assert sandbox.state()["calls"].get("customerStatus", 0) == calls
    sandbox.set_faults({})
    assert client.customer_status("SALLY-1").customer_id == "SALLY-1"   # bound lifted


def test_deadline_does_not_bound_other_threads(sandbox, make_client):
    import threading
    client = make_client(read_timeout=5.0)
    client.log_in()
    sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 0.6}}})
    result = {}

    def other():
        result["status"] = client.customer_status("SALLY-1")

    with client.deadline(time.monotonic() + 0.2):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(5)
    assert result["status"].customer_id == "SALLY-1"
