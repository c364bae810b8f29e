"""The shared rate cap and the progress output."""
import io
import threading
import time

from bridge.replay.progress import Console
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
    progress = Console(out, tty=False, interval=0).progress(4)
    for _ in range(4):
        progress.advance()
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("replay: 1/4 sales (25%), ") and "sales/s, ETA" in lines[0]
    assert lines[-1].startswith("replay: 4/4 sales (100%)")


def test_a_line_said_during_the_bar_is_written_above_it_and_the_bar_drawn_again():
    out = io.StringIO()
    console = Console(out, tty=True)
    progress = console.progress(10)
    progress.advance(3)
    console.say("error: cannot reach Astro at http://127.0.0.1:9/api/json: connection refused")
    progress.close()
    screen = out.getvalue()
    # The bar's line is cleared, the message takes a line of its own, the bar returns.
    said = screen.index("\r\033[Kerror: cannot reach Astro")
    assert screen[said:].split("\n")[0].endswith("connection refused")
    assert "[########" in screen[said:].split("\n")[1]
    assert screen.endswith("\n")


def test_quiet_shows_no_progress_at_all():
    out = io.StringIO()
    progress = Console(out, tty=False, quiet=True, interval=0).progress(2)
    progress.advance(2)
    progress.close()
    assert out.getvalue() == ""
