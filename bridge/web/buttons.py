"""The button URL a store pastes into its POS, built from a few choices.

The page that uses this never asks for the button password: the template carries a
`{PASSWORD}` placeholder that the store types into the POS itself, so the password is
never sent to the bridge by this page, never shown back and never logged.
"""
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

# Optional fields, in the order they appear in the URL: (parameter, placeholder, label).
OPTIONAL_FIELDS = (
    ("FirstName", "{FirstName}", "First name"),
    ("LastName", "{LastName}", "Last name"),
    ("Email", "{Email}", "Email"),
    ("Phone", "{Phone}", "Phone"),
    ("SubTotal", "{SubTotal}", "Subtotal (for points)"),
    ("SaleID", "{SaleID}", "Sale number (makes a repeated click harmless)"),
)
DEFAULT_FIELDS = ("FirstName", "LastName", "Email", "Phone", "SubTotal", "SaleID")
MAX_LINES = 50


class ButtonError(ValueError):
    """A choice on the builder form that cannot make a URL; .field names it."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class ButtonChoice:
    """What the store picked on the builder page."""

    host: str                  # the bridge's address as the POS reaches it
    username: str
    fields: tuple[str, ...] = DEFAULT_FIELDS
    lines: int = 3
    login_style: str = "pair"  # "pair": apiusername + apipassword; "tilde": login=u~p
    store: str = ""
    refund: bool = False


def normalize_host(host: str) -> str:
    """`shop.example.com`, `https://shop.example.com/astro/` -> base URL without `/`."""
    host = (host or "").strip()
    if not host:
        raise ButtonError("host", "is required")
    if "://" not in host:
        host = "https://" + host
    problem = ButtonError("host", "is not a web address like https://bridge.example.com")
    try:
        parts = urlsplit(host)
    except ValueError:                       # e.g. "http://[x": an unclosed IPv6 bracket
        raise problem from None
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment or any(c.isspace() for c in host):
        raise problem
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def button_url(choice: ButtonChoice) -> str:
    """The URL template, with `{...}` placeholders for the POS to fill per sale."""
    base = normalize_host(choice.host)
    user = choice.username.strip()
    if not user:
        raise ButtonError("username", "is required")
    if "~" in user and choice.login_style == "tilde":
        raise ButtonError("username", "may not contain ~ with the login=user~password style")
    if not 1 <= choice.lines <= MAX_LINES:
        raise ButtonError("lines", f"must be between 1 and {MAX_LINES}")
    unknown = set(choice.fields) - {f for f, _, _ in OPTIONAL_FIELDS}
    if unknown:
        raise ButtonError("fields", f"unknown field {sorted(unknown)[0]}")
    q = lambda s: quote(s, safe="")  # noqa: E731
    if choice.login_style == "tilde":
        params = [f"login={q(user)}~{{PASSWORD}}"]
    else:
        params = [f"apiusername={q(user)}", "apipassword={PASSWORD}"]
    if choice.store.strip():
        params.append(f"Store={q(choice.store.strip())}")
    params.append("CustomerID={CustomerID}")
    params += [f"{name}={ph}" for name, ph, _ in OPTIONAL_FIELDS if name in choice.fields]
    for n in range(1, choice.lines + 1):
        params += [f"UPC{n}={{UPC{n}}}", f"Description{n}={{Description{n}}}",
                   f"Qty{n}={{Qty{n}}}"]
    if choice.refund:
        params.append("Refund=1")
    return f"{base}/?" + "&".join(params)
