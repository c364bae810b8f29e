"""Which address, scheme and host a request really came from, behind trusted proxies only.

`Forwarded` (RFC 7239), or else `X-Forwarded-For` / `X-Forwarded-Proto` /
`X-Forwarded-Host`, are believed only when the direct peer (REMOTE_ADDR) is one of the
configured trusted proxies; from anyone else they are ignored, so a client cannot
choose its own address (and dodge the login throttle) by sending the header itself, nor
the host of the addresses the bridge makes. With a chain of proxies the client is the
right-most address that is not itself a trusted proxy; the scheme and host are the ones
the client used (the left-most).
"""
import ipaddress
from dataclasses import dataclass
from typing import Iterable, Mapping

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the client's address and the scheme it used."""

    address: str
    scheme: str
    host: str                 # host[:port] the client asked for


def trusted_networks(entries: Iterable[str]) -> tuple[_Network, ...]:
    """Parse configured trusted proxies ("10.0.0.1", "10.0.0.0/8", "::1"); ValueError
    names the bad entry."""
    nets = []
    for entry in entries or ():
        try:
            nets.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: {entry!r} is not an address or network") from None
    return tuple(nets)


def _ip(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: str, nets: tuple[_Network, ...]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in n for n in nets)


def _strip_port(node: str) -> str:
    node = node.strip().strip('"')
    if node.startswith("["):                  # "[2001:db8::1]:4711"
        return node[1:].split("]", 1)[0]
    if node.count(":") == 1:                  # "192.0.2.1:8080"
        return node.split(":", 1)[0]
    return node


def _forwarded(header: str) -> tuple[list[str], list[str], list[str]]:
    """Addresses (for=), schemes (proto=) and hosts (host=) of a Forwarded header, hop
    by hop."""
    fors, protos, hosts = [], [], []
    for element in header.split(","):
        pairs = {}
        for part in element.split(";"):
            key, _, value = part.partition("=")
            pairs[key.strip().lower()] = value.strip().strip('"')
        if "for" in pairs:
            fors.append(_strip_port(pairs["for"]))
        if "proto" in pairs:
            protos.append(pairs["proto"].lower())
        if pairs.get("host"):
            hosts.append(pairs["host"])
    return fors, protos, hosts


def _list(environ: Mapping, key: str) -> list[str]:
    return [v.strip() for v in environ.get(key, "").split(",") if v.strip()]


def request_origin(environ: Mapping, nets: tuple[_Network, ...]) -> Origin:
    """The client address, scheme and host of a WSGI request (see the module
    docstring)."""
    peer = environ.get("REMOTE_ADDR") or ""
    scheme = environ.get("wsgi.url_scheme") or "http"
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}".rstrip(":"))
    if not nets or not _is_trusted(peer, nets):
        return Origin(peer, scheme, host)
    forwarded = environ.get("HTTP_FORWARDED")
    if forwarded:
        hops, protos, hosts = _forwarded(forwarded)
    else:
        hops = [_strip_port(h) for h in _list(environ, "HTTP_X_FORWARDED_FOR")]
        protos = [p.lower() for p in _list(environ, "HTTP_X_FORWARDED_PROTO")]
        hosts = _list(environ, "HTTP_X_FORWARDED_HOST")
    address = peer
    for hop in reversed(hops):
        address = hop
        if not _is_trusted(hop, nets):
            break
    if _ip(address) is None:                 # "unknown", obfuscated ids: keep the peer
        address = peer
    if protos and protos[0] in ("http", "https"):
        scheme = protos[0]
    return Origin(address, scheme, hosts[0] if hosts else host)
