"""The one date parser: every date a collector, a file import or the API hands us becomes an aware UTC datetime
inside the representable range, or a ValueError saying why not.

Range: 1970-01-01 (inclusive) to 2100-01-01 (exclusive), UTC. Nothing we monitor predates the Unix epoch, every
store and client (SQLite ISO strings, Elasticsearch `date`, JavaScript `Date`) represents it, and it keeps the epoch
rule unambiguous: a number is seconds below 1e11 (year 5138) and milliseconds from 1e11 (1973) on, so a value that
is too large for seconds-in-range and too small for milliseconds-in-range is rejected instead of guessed. Checking
the range on the wall time minus the offset (timedelta arithmetic) means `0001-01-01T00:00:00+01:00` or
`9999-12-31T23:59:59-01:00` are rejected with a reason instead of overflowing when converted to UTC.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)  # exclusive
MILLISECONDS_FROM = 1e11  # epoch numbers at or above this are milliseconds
RANGE = f"{EARLIEST:%Y-%m-%d} .. {LATEST - timedelta(seconds=1):%Y-%m-%d %H:%M:%S} UTC"

_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_TWITTER_V1 = "%a %b %d %H:%M:%S %z %Y"  # "Wed Nov 30 10:15:00 +0000 2022" (Twitter API v1, old exports)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC: every store compares instants, never wall-clock strings.
    A value whose UTC instant is not representable raises ValueError (not OverflowError) so validators report it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"date {value.isoformat()} is outside the representable range once converted to UTC") \
            from None


def in_range(value: datetime, what: str = "date") -> datetime:
    """`value` in UTC, or ValueError naming it and the accepted range (checked before converting, see above)."""
    # wall time minus offset as timedeltas, which cannot overflow (naive = UTC)
    since = value.replace(tzinfo=None) - EARLIEST.replace(tzinfo=None) - (value.utcoffset() or timedelta(0))
    if not timedelta(0) <= since < LATEST - EARLIEST:
        raise ValueError(f"{what} {value.isoformat()} is out of range ({RANGE})")
    return EARLIEST + since


def from_epoch(value: float, what: str = "date") -> datetime:
    """Epoch seconds, or milliseconds from 1e11 on (see module docstring)."""
    if not math.isfinite(value):
        raise ValueError(f"{what} {value!r} is not a finite number")
    seconds = value / 1000 if value >= MILLISECONDS_FROM else value
    if not 0 <= seconds < (LATEST - EARLIEST).total_seconds():
        raise ValueError(f"{what} {value!r} is out of range as epoch seconds or milliseconds ({RANGE})")
    return EARLIEST + timedelta(seconds=seconds)


def parse_datetime(value: Any, what: str = "date") -> datetime:
    """A datetime, epoch seconds/milliseconds (number or digit string), ISO 8601 (with 'Z'), or Twitter v1 text
    → aware UTC datetime in range; ValueError with a readable reason otherwise."""
    if isinstance(value, datetime):
        return in_range(value, what)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"unreadable {what} {value!r}")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float range
            raise ValueError(f"{what} {str(value)[:40]}… is out of range ({RANGE})") from None
        return from_epoch(number, what)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return from_epoch(float(text), what)
        iso = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
        for parse in (datetime.fromisoformat, lambda s: datetime.strptime(s, _TWITTER_V1)):
            try:
                parsed = parse(iso)
            except ValueError:
                continue
            return in_range(parsed, what)
    raise ValueError(f"unreadable {what} {value!r}"[:300])
