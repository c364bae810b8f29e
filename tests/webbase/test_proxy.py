"""Client address, scheme and host come from proxy headers only behind a trusted proxy."""
from bridge.webbase.proxy import Origin, request_origin, trusted_networks

NETS = trusted_networks(["10.0.0.1", "192.168.0.0/16"])


def env(peer, **headers):
    e = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http", "HTTP_HOST": "bridge.example:8080"}
    e.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    return e


def test_headers_from_an_untrusted_peer_are_ignored():
    e = env("203.0.113.5", x_forwarded_for="1.2.3.4", x_forwarded_proto="https",
            x_forwarded_host="evil.example", forwarded="host=evil.example")
    assert request_origin(e, NETS) == Origin("203.0.113.5", "http", "bridge.example:8080")


def test_x_forwarded_for_behind_a_trusted_proxy_gives_the_client():
    e = env("10.0.0.1", x_forwarded_for="1.2.3.4, 198.51.100.7, 192.168.3.3",
            x_forwarded_proto="https", x_forwarded_host="pos.example, inner.example")
    assert request_origin(e, NETS) == Origin("198.51.100.7", "https", "pos.example")


def test_forwarded_header_with_ipv6_and_port():
    e = env("10.0.0.1", forwarded='for="[2001:db8::1]:4711";proto=https;host=pos.example, '
                                  'for=192.168.1.1')
    assert request_origin(e, NETS) == Origin("2001:db8::1", "https", "pos.example")


def test_garbage_in_the_header_keeps_the_peer_address():
    e = env("10.0.0.1", x_forwarded_for="unknown", x_forwarded_proto="gopher")
    assert request_origin(e, NETS) == Origin("10.0.0.1", "http", "bridge.example:8080")


def test_no_trusted_proxies_configured_means_headers_never_count():
    e = env("10.0.0.1", x_forwarded_for="1.2.3.4", x_forwarded_host="evil.example")
    assert request_origin(e, ()).address == "10.0.0.1"
    assert request_origin(e, ()).host == "bridge.example:8080"
