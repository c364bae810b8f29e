"""Throughput of legacy_qs.parse against urllib.parse.parse_qsl on the same URLs.

Run: .venv/bin/python scripts/bench_parse.py [--seconds S]
Builds realistic button URLs (1 to 50 lines; percent-encoded UTF-8, raw Latin-1
bytes, '+' for spaces, EAN-13 codes, store item numbers), then times each parser
for about S seconds (default 1.5) and prints URLs per second and the ratio.
"""
from __future__ import annotations

import argparse
import random
import time
from urllib.parse import parse_qsl, quote_plus

from legacy_qs import parse

DESCRIPTIONS = ["Dog Food 30lb", "Crème brûlée treats", "Kitty Litter 20 kg", "Self-wash (large)",
                "Café mix für Hunde", "Chew toy 3\" blue", "Grooming 50% off"]
STORE_ITEMS = ["WASH-SELF", "WASH-10", "GROOM-L", "sku 4471-b"]


def _ean13(rng: random.Random) -> str:
    body = "0" + "".join(rng.choice("0123456789") for _ in range(11))
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _value(text: str, rng: random.Random) -> bytes:
    """`text` encoded the ways POS pages do: UTF-8 percent-encoded, or raw Latin-1."""
    if rng.random() < 0.3:
        return text.replace(" ", "+").encode("latin-1", "replace")
    return quote_plus(text).encode("ascii")


def build_url(rng: random.Random) -> bytes:
    parts = [b"apiusername=demo", b"apipassword=bench-secret",
             b"CustomerID=C-" + str(rng.randrange(10**6)).encode(),
             b"FirstName=" + _value(rng.choice(["Sally", "Renée", "Jürgen"]), rng),
             b"LastName=" + _value("Pet Owner", rng),
             b"Email=sally%40example.com", b"Phone=%28555%29+123-4567"]
    for n in range(1, rng.randint(1, 50) + 1):
        code = _ean13(rng) if rng.random() < 0.7 else rng.choice(STORE_ITEMS)
        parts.append(f"UPC{n}=".encode() + _value(code, rng))
        parts.append(f"Description{n}=".encode() + _value(rng.choice(DESCRIPTIONS), rng))
        parts.append(f"Qty{n}={rng.randint(1, 3)}".encode())
    parts.append(b"SubTotal=%241%2C234.56")
    return b"https://bridge.example/query.php?" + b"&".join(parts)


def _qsl(url: bytes):
    # The query part only, as parse_qsl expects; latin-1 keeps any byte decodable.
    return parse_qsl(url.partition(b"?")[2].decode("latin-1"))


def rate(fn, urls: list[bytes], seconds: float) -> float:
    """URLs per second of `fn` over `urls`, looping for about `seconds`."""
    done, start = 0, time.perf_counter()
    while True:
        for url in urls:
            fn(url)
        done += len(urls)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.5, help="time per parser (default 1.5)")
    ap.add_argument("--urls", type=int, default=200, help="distinct URLs (default 200)")
    args = ap.parse_args()
    rng = random.Random(20240501)
    urls = [build_url(rng) for _ in range(args.urls)]
    for url in urls:  # every generated URL must be a valid sale
        parse(url)
    avg_lines = sum(len(parse(u).lines) for u in urls) / len(urls)
    avg_bytes = sum(map(len, urls)) / len(urls)
    ours = rate(parse, urls, args.seconds)
    stdlib = rate(_qsl, urls, args.seconds)
    print(f"{len(urls)} URLs, {avg_lines:.1f} lines and {avg_bytes:.0f} bytes on average")
    print(f"legacy_qs.parse:          {ours:10,.0f} URLs/s")
    print(f"urllib.parse.parse_qsl:   {stdlib:10,.0f} URLs/s")
    print(f"ratio parse / parse_qsl:  {ours / stdlib:10.2f}")


if __name__ == "__main__":
    main()
