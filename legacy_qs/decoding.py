"""Turning raw query strings, bodies and form mappings into clean (name, value) pairs.

Percent-decoding is done on bytes, then each name and value is decoded as UTF-8, or
as Latin-1 when it is not valid UTF-8 (old POS pages send Latin-1). Control
characters are removed and surrounding whitespace trimmed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_to_bytes

# C0 controls, DEL and C1 controls: the Unicode category Cc.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Lone surrogates that are not surrogate-escaped bytes (U+DC80..U+DCFF) cannot be
# encoded at all; they can only come from broken str input and carry no text.
_BAD_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_URL_START = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://")


def clean(text: str) -> str:
    """`text` without control characters and without surrounding whitespace."""
    if not text.isprintable():
        text = _CONTROL.sub("", text)
    return text.strip()


def decode_bytes(raw: bytes) -> str:
    """UTF-8 if `raw` is valid UTF-8, else Latin-1 (which never fails); then cleaned."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return clean(text)


def _component(raw: bytes) -> str:
    raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    return decode_bytes(raw)


def _to_bytes(text: str) -> bytes:
    # Surrogate-escaped bytes (e.g. from sys.argv) become the bytes they stand for.
    text = _BAD_SURROGATE.sub("", text)
    return text.encode("utf-8", "surrogateescape")


def _query_part(raw: bytes) -> bytes:
    """The query string of a full URL, or `raw` itself when it is a query string."""
    head, sep, tail = raw.partition(b"?")
    is_url = _URL_START.match(raw) is not None
    if sep and (is_url or (b"=" not in head and b"&" not in head)):
        # A URL: what follows '#' is a fragment, which browsers never send.
        return tail.partition(b"#")[0]
    return b"" if is_url else raw  # a URL without a query string has no parameters


def split_query(raw: bytes) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs of a URL or query string, in the order given."""
    pairs = []
    for segment in _query_part(raw.strip()).split(b"&"):
        if not segment:
            continue
        name, _, value = segment.partition(b"=")
        pairs.append((_component(name), _component(value)))
    return pairs


def _form_value(value, recode: bool) -> str:
    if type(value) is str and not recode and value.isprintable():
        # The common case, cheap: printable text has no control characters and no
        # lone surrogates, so cleaning it is only the strip.
        return value.strip()
    if value is None:  # e.g. a JSON null: the same as an empty field
        return ""
    if isinstance(value, (bytes, bytearray)):
        return decode_bytes(bytes(value))
    if isinstance(value, str):
        if recode:
            # bottle's FormsDict holds the raw bytes as Latin-1 text (PEP 3333).
            try:
                return decode_bytes(value.encode("latin-1"))
            except UnicodeEncodeError:
                pass
        return clean(_BAD_SURROGATE.sub("", value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"form values must be str or bytes, not {type(value).__name__}")


def form_pairs(form) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs of a form mapping or a sequence of pairs.

    Values of a mapping are taken as already percent-decoded; None is an empty
    value. A value that is a list or tuple gives one pair per element (so a
    repeated name stays visible).
    """
    recode = bool(getattr(form, "recode_unicode", False))
    if hasattr(form, "allitems"):  # bottle MultiDict / FormsDict: every value
        items: Iterable = form.allitems()
    elif isinstance(form, Mapping):
        items = form.items()
    else:
        items = form
    pairs = []
    for name, value in items:
        if type(name) is str and type(value) is str and not recode \
                and name.isprintable() and value.isprintable():
            pairs.append((name.strip(), value.strip()))   # the common case, cheap
        elif isinstance(value, (list, tuple)):
            for one in value:
                pairs.append((_form_value(name, recode), _form_value(one, recode)))
        else:
            pairs.append((_form_value(name, recode), _form_value(value, recode)))
    return pairs


def to_pairs(query) -> list[tuple[str, str]]:
    """Clean (name, value) pairs of any accepted input (see `legacy_qs.parse`)."""
    if isinstance(query, (bytes, bytearray, memoryview)):
        return split_query(bytes(query))
    if isinstance(query, str):
        return split_query(_to_bytes(query))
    if isinstance(query, Mapping) or hasattr(query, "allitems"):
        return form_pairs(query)
    if isinstance(query, (list, tuple)):
        return form_pairs(query)
    raise TypeError(
        f"parse() takes a URL, query string, bytes or form mapping, not {type(query).__name__}"
    )

