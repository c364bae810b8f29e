"""Serving a WSGI app with waitress, with a graceful stop.

`BridgeServer(app, host, port).start()` listens at once (port 0 picks a free one) and
serves in a background thread; `.stop(drain=...)` stops accepting new connections,
lets the requests in flight finish for up to `drain` seconds, then closes what is left.
A button request cut off this way is not lost: its sale was committed to the journal
before any call to Astro, so the retry worker finishes it.

Request framing (RFC 9112), fixed in waitress's request parser since no WSGI-level
guard can see it (waitress takes Transfer-Encoding out of the environ and rewrites
Content-Length):
- a request with both Content-Length and Transfer-Encoding is answered 400 and its
  connection closed; waitress would serve it by Transfer-Encoding and keep the
  connection, so a proxy in front that frames by Content-Length would pass the bytes
  after the chunked body on as a second request (request smuggling);
- `Expect: 100-continue` on a request without a body gets its answer; waitress sends
  the 100 and then waits for a body that never comes.
- a request waitress refuses (400 for a bad header, 413 for a body over `max_body`)
  has its Content-Length body read and dropped before the answer, unless the client
  waits on `Expect: 100-continue` (then the answer comes at once and no 100): closing
  a connection with unread data resets it, and a client still sending would lose the
  answer. (A chunked body over the limit is answered 413 at once.)
"""
import ctypes
import gc
import io
import logging
import re
import threading
import time

from waitress import create_server
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.receiver import FixedStreamReceiver

log = logging.getLogger("bridge.web")

# waitress reads a whole body before the app sees it: bounded well above what any
# route takes (the app refuses more than its own, smaller, limit with its own page).
MAX_REQUEST_BODY = 1024 * 1024


class _Dropped:
    """A body buffer that keeps nothing (for the body of a refused request)."""

    def append(self, data: bytes) -> None:
        pass

    def __len__(self) -> int:
        return 0

    def getfile(self):
        return io.BytesIO()

    def close(self) -> None:
        pass


_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*([0-9]{1,15})[ \t]*\r?$", re.I | re.M)


class _RequestParser(HTTPRequestParser):
    """waitress's parser with the fixes of the module docstring."""

    _head = b""
    _dropping: FixedStreamReceiver | None = None

    def parse_header(self, header_plus):
        self._head = header_plus
        super().parse_header(header_plus)
        if "CONTENT_LENGTH" in self.headers and (
                self.chunked or "TRANSFER_ENCODING" in self.headers):
            raise ParsingError("Content-Length and Transfer-Encoding together")
        if self.body_rcv is None:       # nothing to read: no 100, the answer comes now
            self.expect_continue = False

    def received(self, data):
        if self._dropping is not None:  # the body of a refused request: read, dropped
            consumed = self._dropping.received(data)
            self.completed = self._dropping.completed
            return consumed
        consumed = super().received(data)
        if self.error is not None and self.headers_finished and not self.chunked:
            if self.expect_continue:    # the client waits: no 100, the answer now
                self.expect_continue = False
            else:
                # The answer waits until the body is read: closing a connection with
                # unread data resets it, and a client still sending loses the answer.
                found = _CONTENT_LENGTH.search(self._head)
                if found and int(found.group(1)):
                    self._dropping = FixedStreamReceiver(int(found.group(1)), _Dropped())
                    self.completed = False
        return consumed


class _Channel(HTTPChannel):
    parser_class = _RequestParser


M_MMAP_THRESHOLD = -3          # glibc's mallopt parameter numbers
M_ARENA_MAX = -8


def tune_malloc(threshold: int = 32 * 1024, arenas: int = 2) -> None:
    """Tune the C allocator so the server's memory levels off.

    glibc raises its mmap threshold after a large block is freed; later large blocks
    then come from each thread's heap and stay in RSS: a password check takes 16 MiB
    (scrypt), so 8 server threads keep 128 MiB for good. A fixed threshold stops that.
    At 32 KiB rather than glibc's 128 KiB: blocks of 32-128 KiB (a long query string,
    a customer's card history from Astro) freed in the heap were split by the small
    blocks that followed, and the holes kept the heap growing.
    And glibc gives threads up to 8 heaps ("arenas") per core, each keeping the memory
    freed in it: with 40 threads the freed memory spread over 16 heaps grew the server
    by 15 MB in 20,000 requests; at most `arenas` heaps keep it from growing.
    Does nothing where there is no glibc mallopt."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, threshold)
    mallopt(M_ARENA_MAX, arenas)


def tune_gc() -> None:
    """Keep the garbage collector's full passes short, once the server is loaded: what
    it loaded (modules, configuration, templates: most of its objects, and never
    garbage) is collected once and left out of later passes (`gc.freeze`). A full pass
    over everything took 26 ms in the bench, on some cashier's click."""
    gc.collect()
    gc.freeze()


class _InFlight:
    """WSGI middleware counting the requests being answered."""

    def __init__(self, app):
        self.app = app
        self.count = 0
        self._lock = threading.Lock()
        self.idle = threading.Condition(self._lock)

    def __call__(self, environ, start_response):
        with self._lock:
            self.count += 1
        try:
            # Materialise the body so "answered" means fully produced.
            return list(self.app(environ, start_response))
        finally:
            with self._lock:
                self.count -= 1
                if self.count == 0:
                    self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.idle.wait(left)
            return True


class BridgeServer:
    """waitress in a background thread (see the module docstring)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *, threads: int = 32,
                 channel_timeout: int = 60, max_body: int = MAX_REQUEST_BODY):
        tune_malloc()
        self._app = _InFlight(app)
        self._server = create_server(self._app, host=host, port=port, threads=threads,
                                     channel_timeout=channel_timeout, ident="astro-bridge",
                                     clear_untrusted_proxy_headers=False,
                                     max_request_body_size=max_body)
        self._server.channel_class = _Channel
        self.host = self._server.effective_host
        self.port = self._server.effective_port
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "BridgeServer":
        self._thread = threading.Thread(target=self._server.run, name="waitress", daemon=True)
        self._thread.start()
        return self

    def stop(self, drain: float = 10.0) -> bool:
        """Stop gracefully; True when every request in flight finished within `drain`."""
        if self._stopped:
            return True
        self._stopped = True
        server = self._server
        closed = threading.Event()

        def stop_accepting():
            server.accepting = False
            server.del_channel()
            server.socket.close()
            closed.set()

        server.trigger.pull_trigger(stop_accepting)
        closed.wait(2.0)
        finished = self._app.wait_idle(drain)
        if not finished:
            log.warning("shutdown: %d request(s) still running after %.0fs; their sales "
                        "stay pending for the retry worker", self._app.count, drain)
        # Worker threads first (they still write the last answers), then the sockets.
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=2.0)
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:
            # The trigger is closed: the loop has closed its sockets already. Seen under
            # load as EBADF, which made `serve` exit 1 after a clean SIGTERM.
            log.info("shutdown: the server's sockets were already closed")
        if self._thread:
            self._thread.join(3.0)
        return finished

    def __enter__(self) -> "BridgeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop(drain=2.0)
