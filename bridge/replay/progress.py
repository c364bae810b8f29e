"""Progress of a replay: a bar with rate and ETA on a terminal, a plain line every few
seconds otherwise (logs, CI, pipes). Safe to update from several threads."""
from __future__ import annotations

import sys
import threading
import time

import click


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Counts finished sales out of `total`. `tty` None: decided from `stream`."""

    def __init__(self, total: int, *, label: str = "replay", stream=None,
                 tty: bool | None = None, interval: float = 5.0):
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval
        self.done = 0
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._last_line = self._start
        self._bar = None
        if self.tty:
            self._bar = click.progressbar(
                length=total, label=label, file=self.stream, show_eta=True, show_pos=True,
                item_show_func=lambda _: f"{self.rate():.0f} sales/s")
            self._bar.__enter__()

    def rate(self) -> float:
        """Sales finished per second so far."""
        elapsed = time.monotonic() - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """`replay: 1200/10000 sales (12%), 240.0 sales/s, ETA 0:00:37`."""
        rate = self.rate()
        share = self.done * 100 // self.total if self.total else 100
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "?"
        return (f"{self.label}: {self.done}/{self.total} sales ({share}%), "
                f"{rate:.1f} sales/s, ETA {eta}")

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            if self._bar is not None:
                self._bar.update(n)
                return
            now = time.monotonic()
            if now - self._last_line >= self.interval:
                self._last_line = now
                click.echo(self.line(), file=self.stream)

    def close(self) -> None:
        """End the bar (or print the last plain line)."""
        with self._lock:
            if self._bar is not None:
                self._bar.__exit__(None, None, None)
                self._bar = None
            elif self.total:
                click.echo(self.line(), file=self.stream)
