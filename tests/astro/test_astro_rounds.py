"""A round of calls (AstroClient.together) against the sandbox over HTTP: the calls
overlap on the wire, each answers for itself, and the caller's deadline bounds them all."""
import time
from decimal import Decimal

from bridge.astro import Ambiguous, CustomerNotFound, NotSent


def test_a_rounds_calls_overlap_on_the_wire_and_come_back_in_order(sandbox, make_client):
    client = make_client(read_timeout=2.0)
    client.log_in()
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.3}}})
    before = len(sandbox.call_log())
    status, award, missing = client.together([
        lambda: client.customer_status("SALLY-1"),
        lambda: client.add_points_by_dollar("SALLY-1", Decimal("10")),
        lambda: client.customer_status("NOBODY")])
    calls = sandbox.call_log()[before:]
    assert len(calls) == 3
    assert max(c["received"] for c in calls) < min(c["answered"] for c in calls)
    assert status.ok and status.value.customer_id == "SALLY-1"
    assert award.ok and award.value.total_points == 10
    assert isinstance(missing.error, CustomerNotFound)        # its own answer, not raised


def test_the_callers_deadline_bounds_every_call_of_a_round(sandbox, make_client):
    client = make_client(read_timeout=5.0, max_retries=0)
    client.log_in()
    sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 2.0}}})
    with client.deadline(time.monotonic() + 0.5):
        slow, also = client.together([lambda: client.customer_status("SALLY-1"),
                                      lambda: client.customer_status("SALLY-1")])
    # Cut at the deadline (the read timeout would have waited for the answer at 2 s).
    assert isinstance(slow.error, Ambiguous) and isinstance(also.error, Ambiguous)
    with client.deadline(time.monotonic() - 1):
        [late] = client.together([lambda: client.customer_status("SALLY-1")])
    assert isinstance(late.error, NotSent)
