"""Mentions over time for any search: the store's histogram (a date histogram on Elasticsearch, bucketed SQL on
SQLite) on a complete time axis in the user's time zone (core.periods.bucket_starts: empty buckets are zeros) with
spikes marked by the alert engine's own test (service/narratives/spikes.py: robust z of a bucket against the
buckets before it)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from core.periods import bucket_starts, check_zone
from service.narratives.spikes import volume_spike
from service.store.base import PostQuery, Store

STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
MAX_BUCKETS = 5000  # points a chart can show; a longer span in hours is drawn in days, in days is refused
HISTORY = 14  # buckets before each one that its spike test compares against
SENSITIVITY, MIN_POSTS = 3.0, 3  # robust z and posts a spike needs (the volume rule's defaults)
AUTO_HOURS = timedelta(days=3)  # `auto`: hourly buckets for a span under this, daily beyond


class VolumeBucket(BaseModel):
    start: datetime  # aware, in the zone asked
    posts: int
    spike: bool = False
    z: float | None = None  # a spike's robust z against the HISTORY buckets before it


class Volume(BaseModel):
    interval: Literal["hour", "day"]
    tz: str
    total: int
    buckets: list[VolumeBucket]


def volume(store: Store, query: PostQuery, interval: Literal["auto", "hour", "day"] = "auto",
           tz: str = "UTC") -> Volume:
    """Buckets from the query's `since` (else the first match) to its `until` (else the last match), in `tz`.

    ValueError (a 422) for an unknown zone or a span needing more than MAX_BUCKETS days."""
    check_zone(tz)
    counts = dict(store.histogram(query, "day", tz))
    first = query.since or (min(counts) if counts else None)
    end = query.until or (max(counts) + STEP["day"] if counts else None)  # exclusive
    if first is None or end is None or end <= first:
        return Volume(interval="day" if interval == "auto" else interval, tz=tz, total=0, buckets=[])
    chosen = interval if interval != "auto" else ("hour" if end - first <= AUTO_HOURS else "day")
    if chosen == "hour" and (end - first) / STEP["hour"] > MAX_BUCKETS:
        chosen = "day"
    if (end - first) / STEP[chosen] > MAX_BUCKETS:
        raise ValueError(f"the dates span more than {MAX_BUCKETS} days: narrow since/until")
    if chosen == "hour":
        counts = dict(store.histogram(query, "hour", tz))
        if counts:  # unbounded ends: the first and last non-empty hour
            first, end = query.since or min(counts), query.until or max(counts) + STEP["hour"]
    series = [VolumeBucket(start=at, posts=counts.get(at, 0))
              for at in bucket_starts(first, end, chosen, tz, cap=MAX_BUCKETS)]
    step = STEP[chosen]
    for i, bucket in enumerate(series):
        window = [(b.posts, 0) for b in series[max(0, i - HISTORY):i + 1]]
        if len(window) > 3:
            found = volume_spike(window, bucket.start + step, step, SENSITIVITY, MIN_POSTS)
            bucket.spike = found is not None
            bucket.z = round(found.z, 2) if found else None
    return Volume(interval=chosen, tz=tz, total=sum(b.posts for b in series), buckets=series)
