"""The sale date: YYYY-MM-DD or an ISO 8601 date-time."""
from __future__ import annotations

import datetime as dt
import re

# Years of a sale date: a date-time near the ends of the calendar cannot be moved into
# a store's time zone (OverflowError), and Astro's dates have four-digit years.
MIN_YEAR, MAX_YEAR = 1000, 9998
PROBLEM = (f"must be YYYY-MM-DD or an ISO 8601 date-time, in the years {MIN_YEAR} "
           f"to {MAX_YEAR}")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ]"
    r"(?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(?P<zone>Z|z|(?P<sign>[+ -])[0-9]{2}(?::?[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?)?"
)


def parse_date(text: str) -> dt.date | dt.datetime:
    """A date for ``YYYY-MM-DD``; a datetime for an ISO 8601 date-time.

    The time zone is kept when given (aware datetime), otherwise the datetime is
    naive: the store's zone is applied by the bridge, not here. A space where the
    offset's `+` belongs (an unencoded `+` decodes to a space) is read as `+`.
    Raises ValueError for anything else, including impossible dates and years
    outside MIN_YEAR..MAX_YEAR (see PROBLEM).
    """
    if _DATE.fullmatch(text):
        value = dt.date.fromisoformat(text)
    else:
        match = _DATE_TIME.fullmatch(text)
        if not match:
            raise ValueError(text)
        zone = (match.group("zone") or "").upper()
        if match.group("sign") == " ":
            zone = "+" + zone[1:]
        value = dt.datetime.fromisoformat(
            f"{match.group('date')}T{match.group('time')}{zone}")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(text)
    return value


def format_date(value: dt.date | dt.datetime) -> str:
    """ISO 8601: ``YYYY-MM-DD`` for a date, the full date-time for a datetime."""
    return value.isoformat()
