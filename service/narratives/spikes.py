"""Volume and negative-share anomalies against a series' own history: robust z = (x - median) / (1.4826 * MAD).

Windows are trailing (ending at the newest post seen), so a spike is reported while it is still growing rather than
after a calendar bucket closes. Counts come from the narrative ledger (service/narratives/ledger.py), shared by every
process.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.alerts.records import parse_ts
from service.narratives.ledger import NarrativeLedger


@dataclass
class Anomaly:
    metric: str  # "volume" | "negative_share"
    value: float
    median: float
    mad: float
    z: float
    window_start: datetime
    window_end: datetime
    posts: int
    history: list[float]

    def figures(self) -> dict:
        return {"metric": self.metric, "value": round(self.value, 4), "baseline_median": round(self.median, 4),
                "baseline_mad": round(self.mad, 4), "robust_z": round(self.z, 2), "posts_in_window": self.posts,
                "window_start": self.window_start.isoformat(), "window_end": self.window_end.isoformat(),
                "history": [round(h, 4) for h in self.history]}


def robust_z(value: float, history: list[float], floor: float) -> tuple[float, float, float]:
    """(z, median, MAD). `floor` bounds the scale from below so a flat history does not make every blip infinite."""
    med = statistics.median(history)
    mad = statistics.median(abs(h - med) for h in history)
    scale = max(1.4826 * mad, floor)
    return (value - med) / scale, med, mad


def window_series(ledger: NarrativeLedger, campaign: str, end: datetime, width: timedelta, buckets: int,
                  narrative_id: str | None = None) -> list[tuple[int, int]]:
    """(posts, negative posts) per trailing window, oldest first; the last element is the current window."""
    start = end - width * (buckets + 1)
    counts = [[0, 0] for _ in range(buckets + 1)]
    w = width.total_seconds()
    for row in ledger.window_posts(campaign, start, end, narrative_id):
        t, sentiment = parse_ts(row["created_at"]), row.get("sentiment")
        age = (end - t).total_seconds()
        i = buckets - int(age // w) if age < w * (buckets + 1) else -1
        if 0 <= i <= buckets:
            counts[i][0] += 1
            counts[i][1] += sentiment == "negative"
    return [(a, b) for a, b in counts]


def volume_spike(series: list[tuple[int, int]], end: datetime, width: timedelta, sensitivity: float,
                 min_posts: int) -> Anomaly | None:
    *hist, (current, _) = series
    if current < min_posts or len(hist) < 3:
        return None
    values = [float(h[0]) for h in hist]
    floor = max(1.0, statistics.median(values) ** 0.5)  # Poisson-like floor for counts
    z, med, mad = robust_z(current, values, floor)
    if z < sensitivity:
        return None
    return Anomaly("volume", current, med, mad, z, end - width, end, current, values)


def negative_share_spike(series: list[tuple[int, int]], end: datetime, width: timedelta, sensitivity: float,
                         min_posts: int, floor_share: float) -> Anomaly | None:
    *hist, (total, negative) = series
    if total < min_posts:
        return None
    share = negative / total
    if share < floor_share:
        return None
    shares = [n / t for t, n in hist if t > 0]
    if len(shares) >= 3:
        z, med, mad = robust_z(share, shares, 0.05)
        if z < sensitivity:
            return None
    else:  # no history yet: the absolute floor alone decides
        z, med, mad = float("inf"), (statistics.median(shares) if shares else 0.0), 0.0
    return Anomaly("negative_share", share, med, mad, z if z != float("inf") else 999.0, end - width, end, total,
                   shares)
