"""Local time for leadership figures: the three Indonesian time zones and calendar periods (day, ISO week, month).

Days start at local midnight: a post at 23:30 UTC counts on the next day in WIB (UTC+7). Indonesia has kept one
offset per zone since 1964, so each zone is a fixed offset over the dates the stores accept (1970..2099); the stores
bucket with it (SQLite: a strftime modifier; Elasticsearch: the zone's name in the date histogram).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

ZONES: dict[str, str] = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DEFAULT_ZONE = "Asia/Jakarta"
Zone = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "UTC"]  # UTC: what the API answered before
PeriodKind = Literal["day", "week", "month"]


def check_zone(name: str) -> str:
    """The zone name, or ValueError naming the accepted ones."""
    if name not in ZONES and name != "UTC":
        raise ValueError(f"tz: expected one of {', '.join([*ZONES, 'UTC'])}, got {name!r}")
    return name


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(check_zone(name))


@lru_cache(maxsize=None)
def offset_minutes(name: str) -> int:
    """The zone's one offset from UTC over 1970..2099 (checked, not assumed: a zone with DST would be refused)."""
    tz = zone(name)
    offsets = {datetime(y, m, 15, 12, tzinfo=timezone.utc).astimezone(tz).utcoffset()
               for y in range(1970, 2100, 7) for m in (1, 7)}
    if len(offsets) != 1:
        raise ValueError(f"time zone {name} has no single UTC offset")
    return int(offsets.pop().total_seconds() // 60)


def label(name: str) -> str:
    return ZONES.get(name, name)


def local_day(instant: datetime, tz: str) -> date:
    """The local calendar day of an instant (naive = UTC)."""
    when = instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)
    return when.astimezone(zone(tz)).date()


def midnight(day: date, tz: str) -> datetime:
    """The UTC instant at which `day` starts in `tz`."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(timezone.utc)


def today(tz: str, now: datetime | None = None) -> date:
    return local_day(now or datetime.now(timezone.utc), tz)


def _month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Local days [start, end) in zone `tz`. `kind`: day, week (ISO, Monday first), month, or range (any days)."""
    kind: str
    start: date
    end: date
    tz: str

    @property
    def since(self) -> datetime:
        return midnight(self.start, self.tz)

    @property
    def until(self) -> datetime:
        return midnight(self.end, self.tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> "Period":
        """The period just before, of the same kind (a month: the previous calendar month)."""
        if self.kind == "month":
            return Period("month", _month_start(self.start, -1), self.start, self.tz)
        return Period(self.kind, self.start - timedelta(days=self.days), self.start, self.tz)

    def contains(self, instant: datetime) -> bool:
        return self.since <= instant < self.until


def period_of(kind: str, anchor: date, tz: str) -> Period:
    """The day, ISO week or calendar month that contains `anchor`; ValueError when it leaves the calendar."""
    check_zone(tz)
    if kind not in ("day", "week", "month"):
        raise ValueError(f"period: expected day, week or month, got {kind!r}")
    try:
        if kind == "day":
            period = Period("day", anchor, anchor + timedelta(days=1), tz)
        elif kind == "week":
            start = anchor - timedelta(days=anchor.weekday())
            period = Period("week", start, start + timedelta(days=7), tz)
        else:
            start = anchor.replace(day=1)
            period = Period("month", start, _month_start(start, 1), tz)
        return _representable(period)
    except (OverflowError, ValueError):
        raise ValueError(f"day: no {kind} containing {anchor} (and the one before it) in the calendar") from None


def _representable(period: Period) -> Period:
    """The period, once its bounds and its previous period's are known to exist (OverflowError/ValueError else)."""
    period.until, period.previous().since  # noqa: B018 - computed for the check
    return period


def day_range(first: date, last: date, tz: str) -> Period:
    """Local days first..last inclusive."""
    check_zone(tz)
    if last < first:
        raise ValueError(f"until ({last}) is before since ({first})")
    try:
        return _representable(Period("range", first, last + timedelta(days=1), tz))
    except (OverflowError, ValueError):
        raise ValueError(f"days {first}..{last} and the same span before them must be in the calendar") from None


def bucket_starts(since: datetime, until: datetime, interval: str, tz: str, cap: int = 5000) -> list[datetime]:
    """Every bucket start (aware, in `tz`) from the bucket holding `since` up to `until` (exclusive), so that empty
    days are drawn as zero on a real time axis; [] when there would be more than `cap`."""
    step = timedelta(hours=1) if interval == "hour" else timedelta(days=1)
    if (until - since) / step > cap:
        return []
    try:
        first = since.astimezone(zone(tz))
        first = first.replace(minute=0, second=0, microsecond=0) if interval == "hour" else \
            datetime.combine(first.date(), time(0), tzinfo=zone(tz))
        out, at = [], first
        while at < until:
            out.append(at)
            at = (at.astimezone(timezone.utc) + step).astimezone(zone(tz))
    except OverflowError:  # a bound at the edge of the calendar (year 1 or 9999) in local time
        return []
    return out
