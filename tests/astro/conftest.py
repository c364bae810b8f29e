"""Clients of the sandbox Astro with small timeouts, so fault tests stay fast."""
import gzip
import http.server
import json
import threading
import time
import urllib.parse

import pytest

from bridge.astro import AstroClient
from bridge.sandbox.server import SandboxServer
from bridge.sandbox.wire import PUBLIC_VARIANTS, Wire

LOGIN = {"username": "demo", "password": "demo-password", "client_id": "demo-client"}
# The sandboxes the client's contract tests run against: the public fixtures' shapes,
# the other public shapes, and one that refuses any field it does not read.
WIRES = {"default": Wire(), "public-variants": Wire(variants=PUBLIC_VARIANTS),
         "strict": Wire(strict=True)}


@pytest.fixture(params=list(WIRES))
def wire_sandbox(request):
    """A fresh sandbox Astro speaking each of WIRES in turn."""
    with SandboxServer(control=True, wire=WIRES[request.param]) as sb:
        yield sb


@pytest.fixture
def make_client(sandbox):
    """A factory of AstroClients of the sandbox; keyword arguments override the defaults."""
    made = []

    def make(**overrides):
        options = dict(LOGIN, connect_timeout=0.5, read_timeout=0.5, max_retries=2,
                       backoff=0.01, token_margin=0)
        options.update(overrides)
        client = AstroClient(sandbox.api_url, options.pop("username"),
                             options.pop("password"), options.pop("client_id"), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Records each request and answers like Astro: a token, the document set for the
    endpoint in ``.answers``, or a points award."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.seen.append((self.path, dict(self.headers), urllib.parse.parse_qs(body)))
        endpoint = self.path.rstrip("/").rsplit("/", 1)[-1]
        if endpoint == "token":
            doc = {"access_token": "tok-123", "token_type": "bearer", "expires": "1800",
                   "created": str(int(time.time()) + self.server.clock_offset)}
        elif endpoint in self.server.answers:
            doc = self.server.answers[endpoint]
        else:
            doc = {"status": 100, "status_message": "Success",
                   "returnData": {"astro_points_transaction_id": 7, "total_points": 12}}
        data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.server.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def recording_astro():
    """A real HTTP server on a free port that records what the client sends.

    ``.seen`` is a list of (path, headers, parsed form); ``.clock_offset`` shifts the
    ``created`` of its tokens, as a server with a wrong clock would; ``.answers`` maps an
    endpoint to the document (or raw bytes) it answers with; ``.gzip`` True: answers
    are compressed for a client that accepts gzip.
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen, server.clock_offset, server.answers, server.gzip = [], 0, {}, False
    server.api_url = f"http://127.0.0.1:{server.server_address[1]}/api/json"
    # A short poll: shutdown() waits for it at every teardown.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
