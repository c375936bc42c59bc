"""Mentions over time for any search: the store's histogram (a date histogram on Elasticsearch, bucketed SQL on
SQLite) on a complete time axis (empty buckets are zeros) with spikes marked by the alert engine's own test
(service/narratives/spikes.py: robust z of a bucket against the buckets before it)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

from pydantic import BaseModel

from service.narratives.spikes import volume_spike
from service.store.base import PostQuery, Store

STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
MAX_BUCKETS = 5000  # points a chart can show; a longer span in hours is drawn in days, in days is refused
HISTORY = 14  # buckets before each one that its spike test compares against
SENSITIVITY, MIN_POSTS = 3.0, 3  # robust z and posts a spike needs (the volume rule's defaults)
AUTO_HOURS = timedelta(days=3)  # `auto`: hourly buckets up to this span, daily beyond


class VolumeBucket(BaseModel):
    start: datetime
    posts: int
    spike: bool = False
    z: float | None = None  # a spike's robust z against the HISTORY buckets before it


class Volume(BaseModel):
    interval: Literal["hour", "day"]
    total: int
    buckets: list[VolumeBucket]


def _floor(t: datetime, interval: str) -> datetime:
    t = t.astimezone(timezone.utc)
    return t.replace(minute=0, second=0, microsecond=0) if interval == "hour" else \
        t.replace(hour=0, minute=0, second=0, microsecond=0)


def _span(query: PostQuery, counts: dict[datetime, int], interval: str) -> tuple[datetime | None, datetime | None]:
    """First and last instant the axis covers: the query's bounds, else the first and last non-empty bucket."""
    first = query.since or (min(counts) if counts else None)
    last = (query.until - timedelta(microseconds=1)) if query.until else \
        (max(counts) + STEP[interval] - timedelta(microseconds=1) if counts else None)
    return (None, None) if first is None or last is None or last < first else (first, last)


def volume(store: Store, query: PostQuery, interval: Literal["auto", "hour", "day"] = "auto") -> Volume:
    """Buckets from the query's `since` (else the first match) to its `until` (else the last match).

    ValueError (a 422) when the span needs more than MAX_BUCKETS days."""
    counts = dict(store.histogram(query, "day"))
    first, last = _span(query, counts, "day")
    if first is None or last is None:
        return Volume(interval="day" if interval == "auto" else interval, total=0, buckets=[])
    chosen = interval if interval != "auto" else ("hour" if last - first < AUTO_HOURS else "day")
    if chosen == "hour" and (last - first) / STEP["hour"] >= MAX_BUCKETS:
        chosen = "day"
    if (last - first) / STEP[chosen] >= MAX_BUCKETS:
        raise ValueError(f"the dates span more than {MAX_BUCKETS} days: narrow since/until")
    if chosen == "hour":
        counts = dict(store.histogram(query, "hour"))
        first, last = _span(query, counts, "hour") if counts else (first, last)
    step, at, end = STEP[chosen], _floor(first, chosen), _floor(last, chosen)
    series: list[VolumeBucket] = []
    while at <= end:
        series.append(VolumeBucket(start=at, posts=counts.get(at, 0)))
        at += step
    for i, bucket in enumerate(series):
        window = [(b.posts, 0) for b in series[max(0, i - HISTORY):i + 1]]
        if len(window) > 3:
            found = volume_spike(window, bucket.start + step, step, SENSITIVITY, MIN_POSTS)
            bucket.spike = found is not None
            bucket.z = round(found.z, 2) if found else None
    return Volume(interval=chosen, total=sum(b.posts for b in series), buckets=series)
