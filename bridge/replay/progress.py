"""What a replay writes while it runs (on stderr): a progress bar with rate and ETA on a
terminal, a plain line every few seconds otherwise (logs, CI, pipes), and messages
(log records, "cannot reach Astro") written above the bar, never through it.

    console = Console(stream, tty=None, quiet=False)
    progress = console.progress(total, label="replay")   # progress.advance(), .close()
    console.say("error: ...")                            # a line above the bar
    with console.logging(verbose=False): ...             # bridge's log records, above it

Safe to use from several threads.
"""
from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time

BAR_WIDTH = 28
REDRAW_EVERY = 0.1       # seconds between two redraws of the bar


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Console:
    """The run's stderr. `tty` None: a bar when `stream` is a terminal; `quiet`: no bar,
    no progress lines, only what is said at level error."""

    def __init__(self, stream=None, *, tty: bool | None = None, quiet: bool = False,
                 interval: float = 5.0):
        self.stream = stream or sys.stderr
        self.tty = (self.stream.isatty() if tty is None else tty) and not quiet
        self.quiet = quiet
        self.interval = interval
        self._lock = threading.RLock()
        self._bar: Progress | None = None

    def progress(self, total: int | None, *, label: str = "replay",
                 unit: str = "sales") -> "Progress":
        """A new progress display (ending any other); `total` None: a count without
        percentage or ETA."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
            self._bar = Progress(self, total, label=label, unit=unit)
            return self._bar

    def say(self, text: str) -> None:
        """A line of its own, above the bar (the bar is drawn again under it)."""
        with self._lock:
            if self._bar is not None and self.tty:
                self.stream.write("\r\033[K" + text + "\n")
                self._bar.draw(force=True)
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def _ended(self, bar: "Progress") -> None:
        with self._lock:
            if self._bar is bar:
                self._bar = None

    @contextlib.contextmanager
    def logging(self, *, verbose: bool = False):
        """While in the block, the `bridge` loggers' records go above the bar: warnings
        and errors (`--quiet`: errors; `--verbose`: everything from info on, each Astro
        call included). The Astro client's warning for each call it could not send is
        left out unless verbose: the run says once, plainly, that Astro cannot be
        reached (see bridge.replay.reach)."""
        level = logging.ERROR if self.quiet else logging.INFO if verbose else logging.WARNING
        handler = _SayHandler(self, verbose)
        handler.setLevel(level)
        logger = logging.getLogger("bridge")
        old_level, old_propagate = logger.level, logger.propagate
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False   # Python's last-resort handler would print them again
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
            logger.propagate = old_propagate


class _SayHandler(logging.Handler):
    def __init__(self, console: Console, verbose: bool):
        super().__init__()
        self.console, self.verbose = console, verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.verbose and record.name.startswith("bridge.astro") \
                and record.levelno < logging.ERROR:
            return False
        return super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.levelno >= logging.WARNING:
                text = f"{record.levelname.lower()}: {text}"
            self.console.say(text)
        except Exception:
            self.handleError(record)


class Progress:
    """Counts finished sales out of `total` (made by `Console.progress`)."""

    def __init__(self, console: Console, total: int | None, *, label: str = "replay",
                 unit: str = "sales"):
        self.console, self.total, self.label, self.unit = console, total, label, unit
        self.done = 0
        self._start = time.monotonic()
        self._last_line = self._start
        self._drawn = 0.0
        self._closed = False
        self.draw(force=True)

    def rate(self) -> float:
        """Sales finished per second so far."""
        elapsed = time.monotonic() - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """`replay: 1200/10000 sales (12%), 240.0 sales/s, ETA 0:00:37`."""
        rate = self.rate()
        if self.total is None:
            return f"{self.label}: {self.done:,} {self.unit}, {rate:,.0f} {self.unit}/s"
        share = self.done * 100 // self.total if self.total else 100
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "?"
        return (f"{self.label}: {self.done}/{self.total} {self.unit} ({share}%), "
                f"{rate:.1f} {self.unit}/s, ETA {eta}")

    def _bar_text(self) -> str:
        rate = self.rate()
        if self.total is None:
            return f"{self.label}  {self.done:,} {self.unit}  {rate:,.0f} {self.unit}/s"
        share = self.done / self.total if self.total else 1.0
        filled = int(BAR_WIDTH * share)
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "-:--:--"
        return (f"{self.label}  [{'#' * filled}{'-' * (BAR_WIDTH - filled)}]  "
                f"{self.done}/{self.total}  {share:4.0%}  {rate:,.0f} {self.unit}/s  "
                f"ETA {eta}")

    def draw(self, force: bool = False) -> None:
        """Draw the bar again (at most every REDRAW_EVERY seconds unless `force`); on
        a stream that is not a terminal, write the plain line every `interval`."""
        console = self.console
        if self._closed or console.quiet:
            return
        now = time.monotonic()
        if console.tty:
            if force or now - self._drawn >= REDRAW_EVERY:
                self._drawn = now
                console.stream.write("\r" + self._bar_text() + "\033[K")
                console.stream.flush()
        elif not force and now - self._last_line >= console.interval:
            self._last_line = now
            console.stream.write(self.line() + "\n")
            console.stream.flush()

    def advance(self, n: int = 1) -> None:
        with self.console._lock:
            self.done += n
            self.draw()

    def close(self) -> None:
        """End the bar (its last state stays on screen), or write the last plain line."""
        with self.console._lock:
            if self._closed:
                return
            if not self.console.quiet:
                if self.console.tty:
                    self.draw(force=True)
                    self.console.stream.write("\n")
                elif self.total:
                    self.console.stream.write(self.line() + "\n")
                self.console.stream.flush()
            self._closed = True
            self.console._ended(self)
