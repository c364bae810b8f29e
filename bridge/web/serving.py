"""Serving a WSGI app with waitress, with a graceful stop.

`BridgeServer(app, host, port).start()` listens at once (port 0 picks a free one) and
serves in a background thread; `.stop(drain=...)` stops accepting new connections,
lets the requests in flight finish for up to `drain` seconds, then closes what is left.
A button request cut off this way is not lost: its sale was committed to the journal
before any call to Astro, so the retry worker finishes it.
"""
import logging
import threading
import time

from waitress import create_server
from waitress import wasyncore

log = logging.getLogger("bridge.web")


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
                 channel_timeout: int = 60):
        self._app = _InFlight(app)
        self._server = create_server(self._app, host=host, port=port, threads=threads,
                                     channel_timeout=channel_timeout, ident="astro-bridge",
                                     clear_untrusted_proxy_headers=False)
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
