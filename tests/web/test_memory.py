"""The memory of a real `astro-bridge serve` levels off: 20,000 requests that record
nothing (a wrong login, an unknown page, the URL builder, a receipt with a wrong token,
a sale without a customer), sent over keep-alive connections from several threads,
leave its RSS where it was after the warm-up, give or take a few MB. Bounded by count,
never by time."""
import http.client
import threading
from urllib.parse import urlencode, urlsplit

from tests.web.test_serve import serve, url_of

WARM_UP = 5_000
MEASURED = 15_000
THREADS = 4
MAX_GROWTH_MB = 15       # before the fix: +108 MB (a template compiled again per page)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def requests_of(n: int, offset: int) -> list[tuple[str, dict]]:
    """`n` cheap requests, every kind in turn, from many client addresses."""
    login = {"apiusername": "demo", "apipassword": "demo-button"}
    kinds = (
        lambda i: "/?" + urlencode({**login, "apipassword": f"wrong-{i}", "CustomerID": "C1",
                                    "UPC1": "012345678905"}),
        lambda i: f"/nothing-here-{i}",
        lambda i: "/button?" + urlencode({"build": "1", "username": f"user{i}",
                                          "host": f"bridge{i}.example"}),
        lambda i: f"/receipt/demo-{i}?t=wrong{i}",
        lambda i: "/?" + urlencode({**login, "UPC1": "012345678905", "Qty1": str(i % 9 + 1)}),
    )
    return [(kinds[i % len(kinds)](i), {"X-Forwarded-For": f"10.7.{i % 250}.{i % 199 + 1}"})
            for i in range(offset, offset + n)]


def send_all(url: str, n: int, offset: int) -> list[int]:
    parts = urlsplit(url)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(k: int):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        got = []
        for target, headers in requests_of(n // THREADS, offset + k * (n // THREADS)):
            conn.request("GET", target, headers=headers)
            answer = conn.getresponse()
            answer.read()
            got.append(answer.status)
        conn.close()
        with lock:
            statuses.extend(got)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_memory_levels_off_over_20000_requests_that_record_nothing(config_file, sandbox,
                                                                  processes):
    # The clients' addresses come from X-Forwarded-For, so the throttle sees many.
    config_file.write_text('[server]\ntrusted_proxies = ["127.0.0.1"]\n'
                           + config_file.read_text())
    bridge = serve(processes, "--config", str(config_file), cwd=config_file.parent)
    try:
        url = url_of(bridge)
        warm = send_all(url, WARM_UP, 0)
        before = rss_mb(bridge.proc.pid)
        measured = send_all(url, MEASURED, WARM_UP)
        after = rss_mb(bridge.proc.pid)
    finally:
        bridge.stop()
    assert len(warm) + len(measured) == WARM_UP + MEASURED
    assert set(warm + measured) <= {200, 400, 401, 404, 429}, set(warm + measured)
    assert after - before < MAX_GROWTH_MB, f"RSS {before:.1f} MB -> {after:.1f} MB"
    assert sandbox.state()["write_calls"] == 0
