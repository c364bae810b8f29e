"""parse(): a legacy Astro button URL, query string or form into a LegacySale."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from legacy_qs import dates
from legacy_qs.decoding import to_pairs
from legacy_qs.errors import LegacyQSError
from legacy_qs.itemcodes import normalize
from legacy_qs.model import Customer, LegacySale, Line
from legacy_qs.money import parse_money
from legacy_qs.names import MAX_LINE_DIGITS, Name, classify

MAX_DESCRIPTION = 200
MAX_QTY = 9999                 # the format's bound; a store's max_qty may be lower
# CustomerID and SaleID go to Astro in ids (a sale's transactionIDs are its SaleID and
# a line number); Astro refuses longer ones, so the sale could never be delivered.
MAX_ID_LENGTH = 64
_QTY = re.compile(r"([+-]?)([0-9]+)(?:\.0*)?")
_EMAIL = re.compile(r"[^@\s]+@(?:[^@\s.]+\.)+[^@\s.]{2,}")
_TRUE = {"1", "true", "yes"}
_FALSE = {"", "0", "false", "no"}


def parse(
    query: str | bytes | Mapping,
    *,
    max_lines: int = 500,
    convert_upc: bool = True,
    login_param: str = "login",
    max_qty: int | None = None,
    max_subtotal: Decimal | None = None,
    walk_in: bool = False,
    max_id_length: int = MAX_ID_LENGTH,
) -> LegacySale:
    """The sale in `query`, or LegacyQSError naming the offending parameter.

    A store's limits: `max_qty` bounds each line's quantity (at most MAX_QTY, the
    format's own bound, which applies without it) and `max_subtotal` the SubTotal, both
    either way (a return is bounded like a sale); beyond them the error's `.limit` names
    the limit (`max_qty`, `max_subtotal`). `walk_in`: an absent or empty CustomerID is
    a sale without a customer (`LegacySale.walk_in`, customer id "") instead of an error.

    `query` is a full URL, a query string (str or bytes, e.g. a POST body), a form
    mapping (dict, bottle FormsDict; values already percent-decoded; a list value
    means the name was repeated) or a list of (name, value) pairs. A CustomerID or
    SaleID longer than `max_id_length` characters is refused. Pure and total:
    any text or bytes gives a sale or a LegacyQSError, never another exception
    (TypeError only for an input of an unsupported type). The password is kept in
    `.password` but never appears in the error text, `repr` or the printable form.
    """
    pairs = to_pairs(query)
    try:
        params, nameless = _collect(pairs, login_param)
        username, password = _credentials(params, login_param)
        sale = _sale(params, nameless, username, password, max_lines, convert_upc, max_qty,
                     walk_in, max_id_length)
        if max_subtotal is not None and sale.subtotal is not None \
                and abs(sale.subtotal) > max_subtotal:
            raise LegacyQSError(
                "SubTotal", f"must be between -{max_subtotal:.2f} and {max_subtotal:.2f} "
                f"(the store's max_subtotal)", got=_value(params, "SubTotal"),
                limit="max_subtotal")
        return sale
    except LegacyQSError as e:
        # Values (and unknown names) quoted in errors are user text and may hold the
        # password; the error may come before the password is known, so every
        # password-bearing value given is hidden.
        documented = classify(e.param, login_param).kind != "unknown"
        raise e.redacted(_secrets(pairs, login_param), param_is_name=documented) from None


def _secrets(pairs, login_param: str) -> list[str]:
    """Everything given as a password: apipassword values and login values (the
    part after '~', or the whole value when it has no '~')."""
    found = []
    for name, value in pairs:
        kind = classify(name, login_param)
        if kind.key == ("apipassword",):
            found.append(value)
        elif kind.kind == "login":
            user, tilde, secret = value.partition("~")
            found.append(secret.strip() if tilde else value)
    return found


def _collect(pairs, login_param: str) -> tuple[dict, int]:
    """Parameters by key -> (Name, value), in the order given; duplicates refused."""
    params: dict[tuple, tuple[Name, str]] = {}
    nameless = 0
    for raw_name, value in pairs:
        if not raw_name:
            nameless += 1
            continue
        name = classify(raw_name, login_param)
        if name.kind == "line0":
            raise LegacyQSError(name.canonical, "line numbers start at 1")
        if name.kind == "line_too_big":
            raise LegacyQSError(name.canonical, f"a line number has at most "
                                                f"{MAX_LINE_DIGITS} digits")
        if name.key in params:
            first = params[name.key][0].canonical
            raise LegacyQSError(first, "given twice")
        params[name.key] = (name, value)
    return params, nameless


def _value(params: dict, canonical: str) -> str | None:
    """The value of a simple parameter; None when absent or empty."""
    entry = params.get((canonical,))
    return (entry[1] or None) if entry else None


def _credentials(params: dict, login_param: str) -> tuple[str | None, str | None]:
    username, password = _value(params, "apiusername"), _value(params, "apipassword")
    login = params.get(("login",))
    if login is None:
        return username, password
    if username is not None or password is not None:
        raise LegacyQSError(login_param, "cannot be combined with apiusername/apipassword")
    user, tilde, secret = login[1].partition("~")
    if not tilde:
        # The value is not shown: without the tilde it may be a bare password.
        raise LegacyQSError(login_param, "must be username~password")
    if not user.strip() or not secret.strip():
        raise LegacyQSError(login_param, "needs both a username and a password around '~'")
    return user.strip(), secret.strip()


def _sale(params, nameless, username, password, max_lines, convert_upc, max_qty,
          walk_in, max_id_length) -> LegacySale:
    warnings: list[str] = []
    customer = _customer(params, warnings, walk_in, max_id_length)
    lines = _lines(params, max_lines, convert_upc, max_qty, warnings)
    subtotal = _converted(
        params, "SubTotal", parse_money, "must be an amount like 12.34 (at most two decimals)"
    )
    date = _converted(params, "Date", dates.parse_date, dates.PROBLEM)
    refund = _refund(params)
    extra = []
    for name, value in params.values():
        if name.kind == "unknown":
            extra.append((name.canonical, value))
            warnings.append(f"unknown parameter: {name.canonical}")
    if nameless:
        warnings.append(f"{nameless} parameter(s) without a name ignored")
    return LegacySale(
        customer=customer,
        lines=lines,
        subtotal=subtotal,
        username=username,
        password=password,
        sale_id=_id(params, "SaleID", max_id_length),
        date=date,
        refund=refund,
        store=_value(params, "Store"),
        extra=tuple(extra),
        warnings=tuple(warnings),
    )


def _id(params: dict, canonical: str, most: int) -> str | None:
    value = _value(params, canonical)
    if value is not None and len(value) > most:
        raise LegacyQSError(canonical, f"longer than {most} characters, the most an id may "
                                       f"have", got=value)
    return value


def _customer(params: dict, warnings: list[str], walk_in: bool,
              max_id_length: int) -> Customer:
    customer_id = _id(params, "CustomerID", max_id_length)
    if customer_id is None:
        if not walk_in:
            raise LegacyQSError("CustomerID", "is required")
        customer_id = ""
    email = _value(params, "Email")
    if email is not None and not _EMAIL.fullmatch(email):
        # Astro would reject the whole customer for it; the sale is still good.
        warnings.append("Email: not an address like name@example.com, dropped")
        email = None
    phone = _value(params, "Phone")
    if phone is not None:
        digits = "".join(c for c in phone if "0" <= c <= "9")
        if not digits:
            warnings.append("Phone: no digits, dropped")
            phone = None
        else:
            phone = ("+" if phone.startswith("+") else "") + digits
    return Customer(
        id=customer_id,
        first_name=_value(params, "FirstName"),
        last_name=_value(params, "LastName"),
        email=email,
        phone=phone,
    )


def _lines(params, max_lines: int, convert_upc: bool, max_qty: int | None,
           warnings: list[str]) -> tuple[Line, ...]:
    fields: dict[int, dict[str, str]] = {}
    for name, value in params.values():
        if name.kind == "line":
            fields.setdefault(name.number, {})[name.field] = value
    numbers = sorted(fields)
    if len(numbers) > max_lines:
        raise LegacyQSError(
            f"UPC{numbers[max_lines]}", f"more than {max_lines} lines (the limit is {max_lines})"
        )
    lines = []
    for n in numbers:
        line = _line(n, fields[n], convert_upc, max_qty, warnings)
        if line is not None:
            lines.append(line)
    return tuple(lines)


def _line(n: int, given: dict[str, str], convert_upc: bool, max_qty: int | None,
          warnings: list[str]) -> Line | None:
    if "UPC" not in given:
        field = "Description" if "Description" in given else "Qty"
        raise LegacyQSError(f"{field}{n}", f"given without UPC{n}")
    description = given.get("Description") or None
    qty_text = given.get("Qty") or None
    if not given["UPC"]:
        if description is not None or qty_text is not None:
            warnings.append(f"UPC{n}: empty, line {n} skipped")
        return None
    qty = 1 if qty_text is None else _qty(n, qty_text, max_qty)
    if qty == 0:
        warnings.append(f"Qty{n}: 0, line {n} skipped")
        return None
    if description is not None and len(description) > MAX_DESCRIPTION:
        # Cutting may leave a trailing space; trim it so the sale re-encodes exactly.
        description = description[:MAX_DESCRIPTION].rstrip()
        warnings.append(f"Description{n}: cut to {MAX_DESCRIPTION} characters")
    item = normalize(given["UPC"], convert_upc=convert_upc)
    if item.warning:
        warnings.append(f"UPC{n}: {item.warning}")
    return Line(index=n, upc=item.code, description=description, qty=qty)


def _qty(n: int, text: str, max_qty: int | None) -> int:
    match = _QTY.fullmatch(text)
    if not match:
        raise LegacyQSError(f"Qty{n}", "must be a whole number", got=text)
    sign, digits = match.groups()
    digits = digits.lstrip("0") or "0"
    bound = MAX_QTY if max_qty is None else min(max_qty, MAX_QTY)
    # Length first: int() of a huge digit string is slow (and limited in 3.11).
    if len(digits) > len(str(bound)) or int(digits) > bound:
        if max_qty is None:
            raise LegacyQSError(f"Qty{n}", f"must be between -{bound} and {bound}", got=text)
        raise LegacyQSError(f"Qty{n}", f"must be between -{bound} and {bound} (the "
                            f"store's max_qty)", got=text, limit="max_qty")
    return -int(digits) if sign == "-" else int(digits)


def _converted(params, canonical: str, convert, problem: str):
    """`convert` applied to the parameter's value; None when absent or empty."""
    text = _value(params, canonical)
    if text is None:
        return None
    try:
        return convert(text)
    except ValueError:
        raise LegacyQSError(canonical, problem, got=text) from None


def _refund(params) -> bool:
    entry = params.get(("Refund",))
    text = entry[1].lower() if entry else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise LegacyQSError("Refund", "must be 1, true or yes (or 0, false, no)", got=entry[1])
