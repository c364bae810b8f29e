"""What the bridge does with unusual HTTP over a real socket (waitress on a free port):
request framing, Expect: 100-continue, forwarded host headers from an untrusted peer,
the REST proxy's size limit, header bytes that are not UTF-8."""
import dataclasses
import http.client
import ipaddress
import re
import socket
import time
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from tests.web.conftest import LiveBridge

EVIL = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
        "Forwarded": "host=evil.example;proto=https"}


def connect(bridge) -> socket.socket:
    parts = urlsplit(bridge.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def read_until_closed(sock) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except socket.timeout:
        data += b"<still open>"
    return data


def answer(sock) -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock)
    response.begin()          # skips a 100 Continue, as a client must
    response.read()
    return response


def test_content_length_with_transfer_encoding_is_refused_and_the_connection_closed(bridge):
    # Framed by Transfer-Encoding the body is empty and a GET follows; framed by
    # Content-Length (as a proxy in front may do) it is one request. Neither may run.
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(bridge) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (5 + len(smuggled))
                     + smuggled)
        data = read_until_closed(sock)
    assert re.findall(rb"HTTP/1\.1 (\d{3})", data) == [b"400"]
    assert not data.endswith(b"<still open>")


def test_chunked_requests_without_content_length_are_still_served(bridge):
    body = urlencode({"apiusername": "demo", "apipassword": "demo-button",
                      "CustomerID": "SALLY-1", "UPC1": "012345678905", "SaleID": "CH-1"})
    with connect(bridge) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                     + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body.encode()))
        response = answer(sock)
    assert response.status == 303 and "/receipt/demo-CH-1?" in response.getheader("Location")


@pytest.mark.parametrize("request_head", [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"])
def test_expect_100_continue_without_a_body_gets_its_answer(bridge, request_head):
    with connect(bridge) as sock:
        sock.sendall(request_head)
        response = answer(sock)
        assert response.status == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")     # and it stays usable
        assert answer(sock).status == 200


def test_expect_100_continue_with_a_body_gets_the_100_then_the_answer(bridge):
    body = b"apiusername=demo&apipassword=demo-button&CustomerID=SALLY-1&UPC1=012345678905"
    with connect(bridge) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        assert answer(sock).status == 303


def _no_foreign_host(response):
    location = response.headers.get("Location", "")
    assert location.startswith("/") and "evil" not in location, location
    assert "evil" not in response.text


def test_forwarded_host_from_an_untrusted_peer_makes_no_address(bridge):
    http = requests.Session()
    http.headers.update(EVIL)
    get = lambda path, **kw: http.get(bridge.url + path, allow_redirects=False,  # noqa: E731
                                      timeout=10, **kw)
    for path in ("/admin", "/admin/", "/admin/failures"):
        _no_foreign_host(get(path))
    login = get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    done = http.post(bridge.url + "/admin/login", allow_redirects=False, timeout=10, data={
        "csrf": csrf, "username": "admin", "password": "demo-admin", "next": "/admin/failures"})
    assert done.status_code == 303
    _no_foreign_host(done)
    _no_foreign_host(get("/admin/login"))                  # logged in: sent on
    page = get("/admin/failures")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    _no_foreign_host(http.post(bridge.url + "/admin/failures/action", allow_redirects=False,
                               timeout=10, data={"csrf": csrf, "action": "hide", "ids": "1"}))
    builder = get("/")
    host = urlsplit(bridge.url).netloc
    assert f'value="http://{host}"' in builder.text and "evil" not in builder.text


def test_forwarded_host_from_a_trusted_proxy_is_the_builders_address(bridge_config, sandbox):
    config = dataclasses.replace(bridge_config, trusted_proxies=(
        ipaddress.ip_network("127.0.0.1/32"),))
    live = LiveBridge(config, sandbox, worker=False)
    try:
        builder = live.http.get(live.url + "/", headers=EVIL, timeout=10)
        assert 'value="https://evil.example"' in builder.text
        # Redirects stay relative all the same.
        assert live.http.get(live.url + "/admin", headers=EVIL, allow_redirects=False,
                             timeout=10).headers["Location"] == "/admin/"
    finally:
        live.close()


@pytest.mark.parametrize("size", [300 * 1024, 16 * 1024 * 1024])
def test_the_rest_proxy_refuses_a_body_over_the_limit_and_forwards_nothing(bridge, sandbox,
                                                                            size):
    before = sandbox.state()["calls"]
    body = b"jsonData=" + b"x" * size
    try:
        response = requests.post(bridge.url + "/api/json/addTransactionBatch/", data=body,
                                 timeout=30, headers={
                                     "Content-Type": "application/x-www-form-urlencoded"})
        status = response.status_code
    except requests.ConnectionError:
        pytest.fail("the connection was dropped instead of answered 413")
    assert status == 413
    assert sandbox.state()["calls"] == before


@pytest.mark.parametrize("header, size, status", [
    (b"X-Bad: a\x00b\r\n", 3 * 1024 * 1024, 400),       # refused for a header
    (b"", 16 * 1024 * 1024, 413)])                     # refused for its size
def test_a_refused_request_still_reads_its_body_so_the_client_gets_the_answer(
        bridge, sandbox, header, size, status):
    before = sandbox.state()["calls"]
    with connect(bridge) as sock:
        sock.sendall(b"POST /api/json/addTransactionBatch/ HTTP/1.1\r\nHost: x\r\n" + header
                     + b"Content-Length: %d\r\n\r\n" % size)
        time.sleep(0.2)   # a server that answers at once has answered and closed by now,
        sock.sendall(b"x" * size)     # and then the connection is reset here
        assert answer(sock).status == status
    assert sandbox.state()["calls"] == before


def test_a_body_too_large_to_read_is_refused_at_once_when_the_client_waits(bridge, sandbox):
    with connect(bridge) as sock:
        sock.sendall(b"POST /api/json/addTransactionBatch/ HTTP/1.1\r\nHost: x\r\n"
                     b"Expect: 100-continue\r\nContent-Length: 16777216\r\n\r\n")
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in data


@pytest.mark.parametrize("path, header", [
    ("/receipt/demo-1?t=x", b"Accept: \xff\xfe"),
    ("/", b"Accept: text/html\xff"),
    ("/admin/failures", b"Cookie: astro_bridge_admin=\xff"),
    ("/api/json/customerStatus/", b"Authorization: Bearer \xff")])
def test_header_bytes_that_are_not_utf8_get_an_answer(bridge, path, header):
    method = b"POST" if path.startswith("/api") else b"GET"
    with connect(bridge) as sock:
        sock.sendall(method + b" " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + header
                     + b"\r\nContent-Length: 0\r\n\r\n")
        assert answer(sock).status < 500
