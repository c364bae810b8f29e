"""The shared rate cap and the progress output."""
import io
import threading
import time

from bridge.replay.progress import Progress
from bridge.replay.throttle import TokenBucket


def test_rate_cap_holds_across_threads():
    bucket = TokenBucket(50, burst=1)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [bucket.take() for _ in range(5)])
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 15 calls at 50/s with a burst of 1: at least 14 intervals of 20 ms
    assert time.monotonic() - started >= 14 / 50 * 0.95


def test_no_rate_means_no_wait():
    waits = []
    bucket = TokenBucket(None, sleep=waits.append)
    for _ in range(1000):
        bucket.take()
    assert waits == []



def test_plain_progress_lines_when_not_a_terminal():
    out = io.StringIO()
    progress = Progress(4, stream=out, tty=False, interval=0)
    for _ in range(4):
        progress.advance()
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("replay: 1/4 sales (25%), ") and "sales/s, ETA" in lines[0]
    assert lines[-1].startswith("replay: 4/4 sales (100%)")
