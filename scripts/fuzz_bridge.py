#!/usr/bin/env python3
"""Any input gets an answer, never a 5xx, and the bridge's memory levels off.

Starts a sandbox Astro (`astro-bridge sandbox`) and the bridge (`astro-bridge serve
--config ...`, one store on that sandbox, an admin user, the REST proxy) as processes in
a temporary folder, then sends N generated requests over keep-alive connections from
several threads: valid sales (GET and POST) and mutations of them (parameter names,
values, percent-encodings, lines, dates, logins, ids, headers), receipts with good and
bad tokens, send-again and redeem forms, the URL builder, the admin pages (logged in
and not), the REST proxy (also with oversized bodies) and unknown paths. The client
addresses come from X-Forwarded-For (the bridge trusts 127.0.0.1 as its proxy), so the
login throttle sees many addresses, as it would in a real deployment.

Prints the count of 5xx answers (with the first few requests that got one), the
connections dropped without an answer, the answers by status, and the bridge's RSS
after the warm-up and at the end, with the growth. Exit status 1 when there was a 5xx
or a dropped connection, or the RSS grew by `--max-growth` MB or more after the warm-up.

    .venv/bin/python scripts/fuzz_bridge.py [--requests 100000] [--threads 4] [--seed 1]
"""
import argparse
import http.client
import itertools
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

from bridge.passwords import hash_password

BUTTON_PASSWORD = "fuzz-button"
ADMIN_PASSWORD = "fuzz-admin"
# Item codes of valid sales: in a program, in none (a failure to list), an EAN-13 of a
# UPC-A, a store item number, and digits beyond ASCII ("²" passes str.isdigit).
UPCS = ("012345678905", "072030001234", "WASH-SELF", "850000000018", "0012345678905",
        "0" + "\u00b2" * 12)
CLI = [str(Path(sys.executable).with_name("astro-bridge"))]
if not Path(CLI[0]).exists():
    CLI = [sys.executable, "-c", "from bridge.cli import main; main()"]


# ---- the processes ---------------------------------------------------------------------

class Process:
    """A CLI command in a subprocess; its output read line by line as it comes."""

    def __init__(self, args, cwd):
        self.proc = subprocess.Popen(CLI + args, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.tracebacks: dict[str, str] = {}     # the last line -> the first traceback
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        block = None
        for line in self.proc.stdout:
            self.lines.put(line)
            if line.startswith("Traceback"):
                block = [line]
            elif block is not None:
                block.append(line)
                if not line.startswith(" "):
                    if len(self.tracebacks) < 20:
                        self.tracebacks.setdefault(line.strip(), "".join(block))
                    block = None

    def wait_line(self, prefix: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        sys.exit(f"fuzz: no line {prefix!r} from {' '.join(CLI)}: {''.join(seen)}")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return kb / 1024

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def write_config(folder: Path, api_url: str) -> Path:
    # Cheap scrypt parameters: the fuzz measures the bridge, not password hashing.
    button_hash = hash_password(BUTTON_PASSWORD, n=2**8)
    admin_hash = hash_password(ADMIN_PASSWORD, n=2**8)
    path = folder / "fuzz.toml"
    path.write_text(f"""\
[server]
trusted_proxies = ["127.0.0.1"]
request_deadline_seconds = 5

[journal]
path = "fuzz.db"

[[admins]]
name = "admin"
password_hash = "{admin_hash}"

[stores.demo]
name = "Fuzz Pet Supply"
button_auth = "mapped"

[stores.demo.astro]
base_url = "{api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"

[[stores.demo.buttons]]
username = "demo"
password_hash = "{button_hash}"
""", encoding="utf-8")
    return path


# ---- the requests ----------------------------------------------------------------------

class Shared:
    """What the threads learn while running: receipt links, the admin session."""

    def __init__(self):
        self.lock = threading.Lock()
        self.receipts: list[str] = []        # "/receipt/<key>?t=<token>"
        self.forms: list[tuple[str, str, str]] = []   # (key, t, csrf)
        self.cookie = ""
        self.admin_csrf = ""

    def add_receipt(self, location: str) -> None:
        with self.lock:
            if len(self.receipts) < 500:
                self.receipts.append(location)

    def add_form(self, form) -> None:
        with self.lock:
            if len(self.forms) < 500:
                self.forms.append(form)


ODD_TEXTS = ("", " ", "%", "%zz", "%C3%28", "%00", "%0D%0A", "%E2%80%AE", "\u00e9", "²",
             "１２", "1e999", "NaN", "-0", "+1", "0x10", "9" * 60, "-" + "9" * 30, "=1+1",
             "<script>alert(1)</script>", "../../etc/passwd", "A/1", "a?b#c", "~", "\\",
             "\u212a", "\U0001F436", "null", "[]", "{}", "'", '"', ";", "&&", "==")


class Generator(random.Random):
    """Makes one request at a time: (kind, method, target, headers, body)."""

    def __init__(self, seed, shared: Shared, sale_counter):
        super().__init__(seed)
        self.shared = shared
        self.sale_counter = sale_counter

    # -- pieces --------------------------------------------------------------------------
    def odd(self) -> str:
        if self.random() < 0.3:
            return "".join(self.choice("aZ09-_.~!*'()%+ &=/?#\u00e9\u0000\t")
                           for _ in range(self.randint(1, 12)))
        if self.random() < 0.1:
            return self.choice("x9%") * self.choice((300, 5000, 70_000))
        return self.choice(ODD_TEXTS)

    def valid_pairs(self) -> list[tuple[str, str]]:
        n = next(self.sale_counter)
        pairs = [("apiusername", "demo"), ("apipassword", BUTTON_PASSWORD),
                 ("CustomerID", f"FUZZ-{self.randint(1, 300)}")]
        if self.random() < 0.5:
            pairs += [("FirstName", "Fuzz"), ("LastName", f"Customer {n % 97}"),
                      ("Email", f"fuzz{n % 300}@example.com")]
        for i in range(1, self.randint(1, 4)):
            pairs += [(f"UPC{i}", self.choice(UPCS)), (f"Description{i}", f"Item {i}"),
                      (f"Qty{i}", str(self.randint(1, 3)))]
        pairs.append(("SubTotal", f"{self.randint(1, 20000) / 100:.2f}"))
        if self.random() < 0.6:
            pairs.append(("SaleID", f"F{n}"))
        if self.random() < 0.1:
            pairs.append(("Date", self.choice(("2026-01-15", "2025-12-31T23:30:00-05:00"))))
        if self.random() < 0.05:
            pairs.append(("Refund", "1"))
        return pairs

    def mutate(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        pairs = list(pairs)
        for _ in range(self.randint(1, 3)):
            i = self.randrange(len(pairs))
            name, value = pairs[i]
            what = self.randrange(12)
            if what == 0:      # the name: case, digits, unknown, empty, huge numbers
                pairs[i] = (self.choice((name.upper(), name.lower(), name + "0",
                                         "UPC" + "1" * self.choice((5, 30, 5000)),
                                         "Qty0", "", self.odd(), name + "\u212a")), value)
            elif what == 1:    # the value
                pairs[i] = (name, self.odd())
            elif what == 2:    # a parameter twice, or gone
                if self.random() < 0.5:
                    pairs.append(pairs[i])
                else:
                    del pairs[i]
            elif what == 3:    # lines: many, gaps, fields without their UPC
                start = self.choice((1, 7, 499, 10**6))
                for n in range(start, start + self.choice((1, 3, 60))):
                    pairs += [(f"UPC{n}", self.choice(UPCS)), (f"Qty{n}", self.odd()
                               if self.random() < 0.2 else "1")]
                if self.random() < 0.3:
                    pairs.append((f"Description{start + 900}", "orphan"))
            elif what == 4:    # dates
                pairs.append(("Date", self.choice((
                    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                    "0001-01-01", "9999-12-31", "2026-02-30", "2026-01-01T25:00",
                    "2026-01-01T10:00:00 05:00", "2026-13-01", self.odd()))))
            elif what == 5:    # logins
                pairs = [p for p in pairs if p[0] not in ("apiusername", "apipassword")]
                pairs += self.choice(([("apiusername", "demo"), ("apipassword", "wrong")],
                                      [("login", f"demo~{BUTTON_PASSWORD}")],
                                      [("login", "demo")], [("login", "~")],
                                      [("apiusername", self.odd())], [],
                                      [("apiusername", "demo"), ("apipassword", BUTTON_PASSWORD),
                                       ("Store", self.odd())]))
            elif what == 6:    # ids the bridge keeps
                pairs.append((self.choice(("SaleID", "CustomerID", "TransactionID")),
                              self.choice(("A/1", "x" * self.choice((64, 65, 300, 5000)),
                                           "a%2Fb", "\u00e9\u00e9", "a b", "..", self.odd()))))
            elif what == 7:    # money
                pairs.append(("SubTotal", self.choice(("9" * 40 + ".99", "-" + "9" * 29,
                                                       "1,234.56", "1.234", "$5", self.odd()))))
            elif what == 8:
                pairs.append(("Refund", self.choice(("1", "yes", "2", self.odd()))))
            elif what == 9:
                pairs = [p for p in pairs if p[0] != "CustomerID"]
            elif what == 10:
                pairs.append((self.odd(), self.odd()))
            else:
                self.shuffle(pairs)
        return pairs

    def encode(self, pairs) -> str:
        """The query string; sometimes encoded oddly (raw '%', '+', latin-1 bytes)."""
        style = self.randrange(6)
        if style == 0:     # names and values as given, percent signs and all
            return "&".join(f"{quote(n, safe='%~')}={quote(v, safe='%~')}" for n, v in pairs)
        if style == 1:     # latin-1 instead of UTF-8
            return "&".join(f"{quote(n, safe='', encoding='latin-1', errors='replace')}="
                            f"{quote(v, safe='', encoding='latin-1', errors='replace')}"
                            for n, v in pairs)
        if style == 2:     # separators and nameless parts
            return ";".join(urlencode([p]) for p in pairs) + "&&=x&"
        return urlencode(pairs)

    def headers(self) -> dict:
        h = {"X-Forwarded-For": f"10.{self.randint(0, 3)}.{self.randint(0, 255)}."
                                f"{self.randint(1, 254)}"}
        r = self.random()
        if r < 0.1:
            h.update({"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
        elif r < 0.15:
            h["Forwarded"] = self.choice(('for="[::1]:80";proto=https', "for=unknown",
                                          "for=" + self.odd(), ";;;,,,"))
        elif r < 0.2:
            h["X-Forwarded-For"] = self.odd()
        if self.random() < 0.2:
            h["Accept"] = "application/json"
        if self.random() < 0.05:
            h["Accept-Language"] = self.odd()
        return h

    # -- request kinds -----------------------------------------------------------------
    def next(self):
        r = self.random()
        if r < 0.15:
            return self.sale()
        if r < 0.6:
            return self.bad_sale()
        if r < 0.68:
            return self.receipt()
        if r < 0.72:
            return self.builder()
        if r < 0.88:
            return self.admin()
        if r < 0.94:
            return self.rest_proxy()
        return self.other()

    def sale(self):
        return self.button("sale", self.valid_pairs())

    def bad_sale(self):
        return self.button("mutated", self.mutate(self.valid_pairs()))

    def button(self, kind, pairs):
        query = self.encode(pairs)
        headers = self.headers()
        if self.random() < 0.3:
            headers["Content-Type"] = self.choice(("application/x-www-form-urlencoded",
                                                   "text/plain", "multipart/form-data"))
            return kind, "POST", self.choice(("/", "/?Store=demo")), headers, query.encode()
        return kind, "GET", "/?" + query, headers, b""

    def receipt(self):
        with self.shared.lock:
            known = self.choice(self.shared.receipts) if self.shared.receipts else None
            form = self.choice(self.shared.forms) if self.shared.forms else None
        r = self.random()
        if known and r < 0.4:
            target = known if self.random() < 0.6 else known + quote(self.odd(), safe="%")
            return "receipt", "GET", target, self.headers(), b""
        if form and r < 0.8:
            key, t, csrf = form
            action = self.choice(("again", "redeem"))
            fields = {"t": t, "csrf": csrf, "kind": self.choice(("free_good", "points", "x")),
                      "reward_id": self.odd(), "email": self.odd()}
            victim = self.choice(("t", "csrf", "csrf", None))
            if victim == "csrf":
                fields["csrf"] = self.choice(("\u00e9." + csrf.split(".")[-1], "².x",
                                              "9" * 5000 + ".x", csrf + "\u00e9", self.odd()))
            elif victim == "t":
                fields["t"] = self.odd()
            return ("form", "POST", f"/receipt/{quote(key, safe='')}/{action}",
                    {**self.headers(), "Content-Type": "application/x-www-form-urlencoded"},
                    urlencode(fields).encode())
        key = self.choice(("demo-F1", "demo-A%2F1", quote(self.odd(), safe="%")))
        return "receipt", "GET", f"/receipt/{key}?t={quote(self.odd(), safe='%')}", \
            self.headers(), b""

    def builder(self):
        q = {"build": "1", "username": self.choice(("demo", "", self.odd())),
             "host": self.choice(("http://%5Bx", "http://[x", "bridge.example", "", "ftp://x",
                                  "https://a b", self.odd())),
             "lines": self.choice(("3", "0", "-1", "9" * 5000, self.odd())),
             "login_style": self.choice(("pair", "tilde", self.odd())),
             "field": self.choice(("SaleID", self.odd()))}
        return "builder", "GET", "/button?" + urlencode(q), self.headers(), b""

    def admin(self):
        shared = self.shared
        headers = self.headers()
        logged_in = self.random() < 0.7 and shared.cookie
        if logged_in:
            headers["Cookie"] = shared.cookie
        r = self.random()
        if r < 0.1:
            return "admin", "GET", self.choice(("/admin", "/admin/")), headers, b""
        if r < 0.25:
            nxt = self.choice(("/admin/%00", "//evil.example", "/admin/failures", "/admin/\\x",
                               "https://evil.example/", quote(self.odd(), safe="%")))
            return "admin", "GET", f"/admin/login?next={nxt}", headers, b""
        if r < 0.35:
            body = urlencode({"csrf": self.choice(("", "\u00e9", self.odd())),
                              "username": self.choice(("admin", self.odd())),
                              "password": self.odd(), "next": self.odd()})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self.random() < 0.5:
                headers["Cookie"] = "astro_bridge_admin_login=" + self.choice(
                    ("A" * 24, "\u00e9" * 24, self.odd()))
            return "admin", "POST", "/admin/login", headers, body.encode()
        if r < 0.6:
            params = {self.choice(("days", "page", "open_page", "retried", "hidden",
                                   "still_failing", "missing", "store", "reason")):
                      self.choice(("%B2", "²", "0", "-5", "9" * 5000, "3", self.odd()))
                      for _ in range(self.randint(1, 3))}
            query = "&".join(f"{k}={v if v == '%B2' else quote(v, safe='')}"
                             for k, v in params.items())
            path = self.choice(("/admin/failures", "/admin/failures.csv", "/admin/migration"))
            if path.endswith("migration"):
                query = f"since={quote(self.odd(), safe='%')}&store={quote(self.odd())}"
            return "admin", "GET", f"{path}?{query}", headers, b""
        if r < 0.75:
            fields = [("csrf", shared.admin_csrf if self.random() < 0.8 else self.odd()),
                      ("action", self.choice(("retry", "hide", self.odd())))]
            fields += [("ids", self.choice(("1", "²", "9" * 40, "9" * 5000, self.odd())))
                       for _ in range(self.randint(0, 3))]
            if self.random() < 0.4:
                fields.append(("only", self.choice(("hide:²", "retry:" + "9" * 40, self.odd()))))
            if self.random() < 0.4:
                fields.append(("days", self.choice(("²", "9" * 5000, self.odd()))))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return "admin", "POST", "/admin/failures/action", headers, urlencode(fields).encode()
        if r < 0.85:
            return ("admin", "GET", "/admin/customers/demo/" + quote(self.odd(), safe="%"),
                    headers, b"")
        # A forged or odd session cookie.
        headers["Cookie"] = "astro_bridge_admin=" + self.choice((
            "eyJ1IjoiYWRtaW4iLCJzIjoieCIsImUiOjFlOTk5fQ.x", "\u00e9.\u00e9", self.odd()))
        return "admin", "GET", "/admin/failures", headers, b""

    def rest_proxy(self):
        endpoint = self.choice(("addTransactionBatch", "customerStatus", "token", "x" * 70,
                                "..", "%2e%2e", quote(self.odd(), safe="%")))
        size = self.choice((10, 1000, 300_000, 3_000_000))
        payload = "jsonData=" + quote('{"customerID":"FUZZ-1","transactions":[]}')
        body = (payload + "&pad=" + "x" * size).encode() if size > 1000 else (
            payload.encode() if self.random() < 0.7 else self.odd().encode())
        headers = {**self.headers(), "Content-Type": "application/x-www-form-urlencoded",
                   "Authorization": "Bearer " + self.choice(("x", self.odd()))}
        return "proxy", "POST", f"/api/json/{endpoint}/", headers, body

    def other(self):
        method = self.choice(("GET", "GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
        target = self.choice(("/healthz", "/nope", "/static/bridge.css", "/static/..%2f..",
                              "/receipt/", "/admin/static/admin.css", "/admin/nope",
                              "/" + quote(self.odd(), safe="%/")))
        return "other", method, target, self.headers(), b""


class SaleCounter:
    """Sale numbers shared by the threads (SaleIDs never repeat by accident)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    def __next__(self) -> int:
        with self._lock:
            return next(self._numbers)


# ---- sending ---------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.errors: list[str] = []          # 5xx: the request that got one
        self.server_errors = 0
        self.dropped = 0
        self.dropped_samples: list[str] = []
        self.done = 0


def describe(kind, method, target, headers, body) -> str:
    extra = f" body {body[:200]!r}{'...' if len(body) > 200 else ''}" if body else ""
    return f"{kind}: {method} {target[:300]}{'...' if len(target) > 300 else ''}{extra}"


def send(conn: http.client.HTTPConnection, method, target, headers, body):
    conn.putrequest(method, target, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value.encode("utf-8"))
    if body or method == "POST":
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    answer = conn.getresponse()
    data = answer.read()
    return answer, data


def worker(host, port, gen: Generator, count: int, results: Results, shared: Shared):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    for _ in range(count):
        request = gen.next()
        kind, method, target, headers, body = request
        try:
            answer, data = send(conn, method, target, headers, body)
        except (http.client.HTTPException, OSError) as e:
            conn.close()
            with results.lock:
                results.dropped += 1
                if len(results.dropped_samples) < 5:
                    results.dropped_samples.append(f"{type(e).__name__}: "
                                                   + describe(*request))
            continue
        status = answer.status
        if answer.will_close:
            conn.close()
        if status == 303 and kind == "sale":
            location = answer.getheader("Location") or ""
            if location.startswith("/receipt/"):
                shared.add_receipt(location)
                learn_form(conn, location, headers, shared)
        with results.lock:
            results.statuses[status] += 1
            results.done += 1
            if status >= 500:
                results.server_errors += 1
                if len(results.errors) < 10:
                    results.errors.append(f"{status}: " + describe(*request))
    conn.close()


def learn_form(conn, location, headers, shared: Shared):
    """The send-again form's CSRF token of a receipt, for the form requests."""
    key = location.split("/receipt/", 1)[1].split("?", 1)[0]
    token = location.split("t=", 1)[1].split("&", 1)[0] if "t=" in location else ""
    try:
        answer, data = send(conn, "GET", location, {"X-Forwarded-For": headers.get(
            "X-Forwarded-For", "10.9.9.9")}, b"")
    except (http.client.HTTPException, OSError):
        conn.close()
        return
    found = re.search(rb'name="csrf" value="([^"]+)"', data)
    if found:
        shared.add_form((unquote(key), token, found.group(1).decode()))


def admin_login(host, port, shared: Shared):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    answer, data = send(conn, "GET", "/admin/login", {}, b"")
    nonce = answer.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf" value="([^"]+)"', data).group(1).decode()
    body = urlencode({"csrf": token, "username": "admin", "password": ADMIN_PASSWORD,
                      "next": "/admin/failures"}).encode()
    answer, _ = send(conn, "POST", "/admin/login", {
        "Cookie": nonce, "Content-Type": "application/x-www-form-urlencoded"}, body)
    if answer.status != 303:
        sys.exit(f"fuzz: the admin login answered {answer.status}")
    shared.cookie = answer.getheader("Set-Cookie").split(";")[0]
    answer, data = send(conn, "GET", "/admin/failures", {"Cookie": shared.cookie}, b"")
    found = re.search(rb'name="csrf" value="([^"]+)"', data)
    shared.admin_csrf = found.group(1).decode() if found else ""
    conn.close()


def run(host, port, n, threads, seed, results, shared, sale_counter):
    per = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    pool = [threading.Thread(target=worker, args=(
        host, port, Generator(seed * 1000 + i, shared, sale_counter), per[i], results, shared))
        for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=100_000, help="requests to send")
    ap.add_argument("--threads", type=int, default=4, help="client threads (connections)")
    ap.add_argument("--warmup", type=int, default=None,
                    help="requests before the first RSS reading (default: 10%%, at least 2000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-growth", type=float, default=20.0,
                    help="MB of RSS growth after the warm-up that fails the run")
    args = ap.parse_args()
    warmup = min(args.requests, args.warmup if args.warmup is not None
                 else max(2000, args.requests // 10))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sandbox = Process(["sandbox", "--port", "0"], cwd=folder)
        bridge = None
        try:
            api_url = sandbox.wait_line("Astro sandbox: ")
            config = write_config(folder, api_url)
            bridge = Process(["serve", "--config", str(config), "--port", "0"], cwd=folder)
            parts = urlsplit(bridge.wait_line("astro-bridge listening on "))
            host, port = parts.hostname, parts.port
            shared, results, sales = Shared(), Results(), SaleCounter()
            admin_login(host, port, shared)
            started = time.monotonic()
            run(host, port, warmup, args.threads, args.seed, results, shared, sales)
            rss_warm = bridge.rss_mb()
            samples = [(warmup, rss_warm)]
            left = args.requests - warmup
            step = max(1, left // 9) if left else 0
            sent = warmup
            while sent < args.requests:
                chunk = min(step, args.requests - sent)
                run(host, port, chunk, args.threads, args.seed + sent, results, shared, sales)
                sent += chunk
                samples.append((sent, bridge.rss_mb()))
            elapsed = time.monotonic() - started
            rss_end = samples[-1][1]
        finally:
            if bridge is not None:
                bridge.stop()
            sandbox.stop()

    growth = rss_end - rss_warm
    print(f"requests:            {args.requests} ({args.threads} threads, seed {args.seed}, "
          f"{elapsed:.0f} s, {args.requests / elapsed:.0f}/s)")
    print("answers by status:   " + ", ".join(f"{s}: {n}" for s, n in
                                             sorted(results.statuses.items())))
    print(f"5xx answers:         {results.server_errors}")
    for line in results.errors:
        print(f"  {line}")
    if results.server_errors and bridge.tracebacks:
        print("  the bridge's tracebacks (the first of each kind):")
        for text in bridge.tracebacks.values():
            print("    " + text.rstrip().replace("\n", "\n    "))
    print(f"dropped connections: {results.dropped}")
    for line in results.dropped_samples:
        print(f"  {line}")
    print("RSS by requests sent: " + ", ".join(f"{n}: {mb:.1f}" for n, mb in samples))
    print(f"RSS after warm-up:   {rss_warm:.1f} MB (after {warmup} requests)")
    print(f"RSS at the end:      {rss_end:.1f} MB")
    print(f"growth:              {growth:+.1f} MB")
    ok = results.server_errors == 0 and results.dropped == 0 and growth < args.max_growth
    print("result:              " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
