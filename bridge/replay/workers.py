"""Worker threads fed by partition: items with the same partition key always go to
the same thread, in the order submitted. Queues are bounded, so a fast reader waits for
the workers instead of filling memory."""
from __future__ import annotations

import queue
import threading
import zlib
from typing import Callable

_DONE = object()


class Workers:
    """`n` threads calling `handle(item)`; `submit(key, item)` picks the thread by a
    stable hash of `key`. An exception from `handle` goes to `on_error(item, exc)` and
    the thread goes on. After `stop.set()` the remaining items are dropped."""

    def __init__(self, n: int, handle: Callable, on_error: Callable,
                 stop: threading.Event, depth: int = 64):
        self.stop = stop
        self._handle, self._on_error = handle, on_error
        self._queues = [queue.Queue(maxsize=depth) for _ in range(n)]
        self._ended = [threading.Event() for _ in range(n)]
        self._threads = [threading.Thread(target=self._loop, args=(q, ended), daemon=True,
                                          name=f"replay-{i}")
                         for i, (q, ended)
                         in enumerate(zip(self._queues, self._ended, strict=True))]
        for thread in self._threads:
            thread.start()

    def _loop(self, q: queue.Queue, ended: threading.Event) -> None:
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if self.stop.is_set():
                    continue  # drain: the run is ending
                try:
                    self._handle(item)
                except Exception as exc:  # one bad sale must not stop the others
                    self._on_error(item, exc)
        finally:
            ended.set()

    def submit(self, key: str, item) -> None:
        """Queue `item` on the thread of `key` (blocks while that queue is full)."""
        q = self._queues[zlib.crc32(key.encode("utf-8")) % len(self._queues)]
        while not self.stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self, timeout: float | None = None) -> None:
        """Let the threads finish what they have, and wait for them (each at most
        `timeout` seconds).

        The wait is on an event each thread sets as it ends, not `Thread.join`: a Ctrl-C
        landing in a join can leave the thread marked ended while it still runs (seen
        here: the journal then closed the connection it was using, and the process
        crashed)."""
        for q in self._queues:
            q.put(_DONE)
        for ended in self._ended:
            ended.wait(timeout)
