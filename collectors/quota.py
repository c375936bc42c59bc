"""API quotas a collector must stay within, counted as they are spent and kept in the source's state.

A `Quota` holds named limits: so many units per UTC day (TikTok Research: 1,000 requests and 100,000 records a
day), per Pacific day (YouTube Data API: 10,000 units, reset at midnight Pacific Time), per rolling window (Instagram: 200 calls an hour), or so many *distinct keys* per rolling window (Instagram:
30 unique hashtags in 7 days; a hashtag already counted costs nothing again). `spend` refuses, with
`QuotaExhausted` naming the limit and when it frees up, any spending that would cross a limit, so a collector never
sends the request that would be over. The scheduler binds the quota to the source's state in the store
(service/store/sources.py `save_quota`) before each run and every spending is written at once, apart from batches: a crash after
a request never gives its quota back. `GET /sources` shows `usage()`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time as daytime, timedelta, timezone
from zoneinfo import ZoneInfo

from collectors.http import CollectorHttpError

UTC_DAY = "utc-day"
PACIFIC_DAY = "pacific-day"  # Google's API quotas reset at midnight America/Los_Angeles
DAY_ZONES = {UTC_DAY: timezone.utc, PACIFIC_DAY: ZoneInfo("America/Los_Angeles")}


class QuotaExhausted(CollectorHttpError):
    """A limit would be crossed: come back at `retry_at` (epoch seconds). `unhealthy`: the configuration itself
    cannot fit (e.g. more hashtags than the platform allows), so the source is unhealthy at once."""

    def __init__(self, message: str, retry_at: float | None = None, unhealthy: bool = False):
        super().__init__(message, status=429)
        self.retry_at, self.unhealthy = retry_at, unhealthy


@dataclass(frozen=True)
class Limit:
    most: int
    per: float | str  # seconds of a rolling window, or a calendar day in DAY_ZONES (UTC_DAY, PACIFIC_DAY)
    distinct: bool = False  # count distinct keys instead of units

    def _midnight(self, now: float, days: int = 0) -> float:
        zone = DAY_ZONES[self.per]
        date = datetime.fromtimestamp(now, zone).date() + timedelta(days=days)
        return datetime.combine(date, daytime(0), tzinfo=zone).timestamp()  # DST-safe: that day's own midnight

    def window_start(self, now: float) -> float:
        return self._midnight(now) if self.per in DAY_ZONES else now - float(self.per)

    def window_end(self, now: float) -> float | None:
        """The next reset of a calendar-day limit (None for a rolling window)."""
        return self._midnight(now, 1) if self.per in DAY_ZONES else None

    def counts(self, spent_at: float, now: float) -> bool:
        """Spending at `spent_at` still counts at `now`: since that day's midnight, or less than `per` seconds ago."""
        start = self.window_start(now)
        return spent_at >= start if self.per in DAY_ZONES else spent_at > start

    def label(self) -> str:
        return {UTC_DAY: "UTC day", PACIFIC_DAY: "Pacific day"}.get(self.per) or _span(float(self.per))

    def describe(self) -> str:
        unit = "distinct" if self.distinct else ""
        return f"{self.most} {unit} per {self.label()}".replace("  ", " ")


def _span(seconds: float) -> str:
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            n = int(seconds // size)
            return name if n == 1 else f"{n} {name}s"
    return f"{seconds:g} s"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Quota:
    def __init__(self, limits: dict[str, Limit], clock: Callable[[], float] = time.time):
        self.limits, self.clock = dict(limits), clock
        self.events: dict[str, list[list]] = {name: [] for name in self.limits}  # [[ts, units, key], ...]
        self._save: Callable[[dict], None] | None = None

    def bind(self, saved: dict | None, save: Callable[[dict], None] | None) -> None:
        """Load what was spent (the source's state) and write every later spending through `save`."""
        spent = (saved or {}).get("events") or {}
        self.events = {name: [list(e) for e in spent.get(name) or [] if isinstance(e, list) and len(e) == 3]
                       for name in self.limits}
        self._save = save

    def _live(self, name: str, now: float) -> list[list]:
        self.events[name] = [e for e in self.events[name] if self.limits[name].counts(e[0], now)]
        return self.events[name]

    def used(self, name: str) -> int:
        live, limit = self._live(name, self.clock()), self.limits[name]
        return len({e[2] for e in live}) if limit.distinct else sum(e[1] for e in live)

    def holds(self, name: str, key: str) -> bool:
        """`key` already counts against a distinct limit (using it again costs nothing)."""
        return any(e[2] == key for e in self._live(name, self.clock()))

    def frees_at(self, name: str) -> float:
        """When at least one more unit fits: the day's next midnight, or when the oldest counted event leaves the window."""
        now, limit = self.clock(), self.limits[name]
        if limit.per in DAY_ZONES:
            return limit.window_end(now)
        live = self._live(name, now)
        return (min(e[0] for e in live) if live else now) + float(limit.per)

    def check(self, name: str, units: int = 1, key: str | None = None) -> None:
        """Raise QuotaExhausted if spending `units` (or counting `key`) now would cross the limit."""
        limit = self.limits[name]
        if limit.distinct:
            if key is None or self.holds(name, key):
                return
            over = self.used(name) + 1 > limit.most
        else:
            over = self.used(name) + units > limit.most
        if over:
            at = self.frees_at(name)
            raise QuotaExhausted(f"{name} quota spent ({self.used(name)} of {limit.describe()}); "
                                 f"next possible at {_iso(at)}", retry_at=at)

    def spend(self, name: str, units: int = 1, key: str | None = None) -> None:
        self.check(name, units, key)
        if self.limits[name].distinct and (key is None or self.holds(name, key)):
            return
        self._live(name, self.clock())
        self.events[name].append([self.clock(), int(units), key])
        self.persist()

    def force(self, name: str, units: int) -> None:
        """The platform says the limit is spent (a 429 quota answer): count it as spent until the window ends."""
        units = max(int(units), self.limits[name].most - self.used(name))  # (used() prunes the event list first)
        self.events[name].append([self.clock(), units, None])
        self.persist()

    def persist(self) -> None:
        if self._save is not None:
            self._save({"events": self.events, "usage": self.usage()})

    def usage(self) -> dict[str, dict]:
        return {name: {"used": self.used(name), "limit": lim.most,
                       "per": lim.per if lim.per in DAY_ZONES else _span(float(lim.per)),
                       **({"distinct": True} if lim.distinct else {})} for name, lim in self.limits.items()}

