"""SandboxServer: a sandbox Astro served by waitress in a background thread, for tests,
the demo and benchmarks. Its helper methods talk HTTP to the control routes."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import requests
import waitress

from bridge.sandbox.app import API_PREFIX, create_app
from bridge.sandbox.control import PREFIX as CONTROL_PREFIX
from bridge.sandbox.wire import Wire


class SandboxServer:
    """A running sandbox Astro (a context manager; also `start()` / `stop()`).

    config_path None: the packaged default seed. state_path None: state in memory;
    else a SQLite file that keeps the account across restarts. port 0: a free port.
    wire: the answer shapes, strictness and removal count field (default: Wire())."""

    def __init__(self, config_path: str | Path | None = None,
                 state_path: str | Path | None = None, control: bool = True,
                 host: str = "127.0.0.1", port: int = 0, threads: int = 64,
                 wire: Wire | None = None):
        self.app = create_app(config_path, state_path, control=control, wire=wire)
        self.control = control
        self._server = waitress.create_server(self.app, host=host, port=port,
                                              threads=max(threads, 8), ident="astro-sandbox",
                                              # Injected latency holds a thread, as a
                                              # remote Astro's network would not: enough
                                              # threads and connections for many tills.
                                              connection_limit=1000,
                                              clear_untrusted_proxy_headers=True)
        self.host = host
        self.port = self._server.effective_port
        url_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{url_host}:{self.port}"
        self.api_url = self.base_url + API_PREFIX
        self.legacy_url = self.base_url + self.app.sandbox.seed.legacy_path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._http = requests.Session()

    # ----- lifecycle ------------------------------------------------------------------
    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="astro-sandbox",
                                            daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        server = self._server
        try:
            while not self._stop.is_set():
                server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        finally:
            # Close every channel from the loop's own thread, then the worker threads.
            server.close()   # the listening socket and the trigger
            for channel in list(server._map.values()):
                try:
                    channel.handle_close()
                except OSError:
                    pass
            server.task_dispatcher.shutdown(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() (or KeyboardInterrupt)."""
        self.start()
        try:
            while not self._stop.wait(0.2):
                pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving; hung calls are woken up; the state file is closed."""
        if self._stop.is_set():
            return
        self.app.sandbox.stopping.set()
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._http.close()
        self.app.sandbox.account.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer({self.base_url!r})"

    # ----- control (over HTTP) --------------------------------------------------------
    def _control(self, method: str, path: str, json: Any = None) -> Any:
        if not self.control:
            raise RuntimeError("this sandbox runs without its control routes (control=False)")
        response = self._http.request(method, self.base_url + CONTROL_PREFIX + path,
                                      json=json, timeout=10)
        if response.status_code == 400:
            raise ValueError(response.json()["error"])
        response.raise_for_status()
        return response.json()

    def set_faults(self, faults: dict[str, Any]) -> dict[str, Any]:
        """Merge `faults` into the active faults; returns the faults now active."""
        return self._control("POST", "/faults", faults)

    def clear_faults(self) -> dict[str, Any]:
        return self._control("DELETE", "/faults")

    def state(self) -> dict[str, Any]:
        """What the account holds, call counters and faults (GET /_sandbox/state)."""
        return self._control("GET", "/state")

    def call_log(self) -> list[dict[str, Any]]:
        """The latest calls (GET /_sandbox/calls): endpoint, and when each came in and
        was answered, in seconds on one clock of the sandbox."""
        return self._control("GET", "/calls")["calls"]

    def reset(self) -> None:
        """Back to the seed: state, faults, tokens and counters."""
        self._control("POST", "/reset")

    def expire_tokens(self) -> None:
        """Every token issued so far stops working now."""
        self._control("POST", "/expire-tokens")

    def enrol(self, program_id: int, enrolled: bool = True) -> None:
        """Enrol the store in the seed's program (or, enrolled=False, end it) now; kept
        in the state like any account change, undone by reset()."""
        self._control("POST", f"/programs/{program_id}", {"enrolled": enrolled})
