"""Response impact: the narrative's volume and sentiment in the hours before a counter-message was sent against the
same number of hours after it (its campaign's when the alert has no narrative). Windows are reported in the reader's
local time zone (WIB/WITA/WIT, core/periods.py); an "after" window still running is marked incomplete. `series` cuts
both windows into equal buckets (every bucket, empty ones at zero, the response time on a bucket edge) for the PR desk's
chart on a real time axis."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from core.domain import Alert
from core.periods import label, zone
from service.alerts.records import parse_ts
from service.alerts.store import AlertStore

BUCKETS = 12  # per side: 2-hour buckets for the default 24 hours
_SENTIMENTS = ("positive", "neutral", "negative")


def incident_narrative(alert: Alert) -> str | None:
    """The narrative an alert is about: its incident's, else the one its why names."""
    if alert.incident and "|narrative:" in alert.incident:
        return alert.incident.split("|narrative:", 1)[1]
    return ((alert.why or {}).get("narrative") or {}).get("id")


def _net(counts: Counter, posts: int) -> float | None:
    return round((counts.get("positive", 0) - counts.get("negative", 0)) / posts, 4) if posts else None


def _window(counts: Counter, since: datetime, until: datetime, tz: str) -> dict:
    posts = sum(counts.values())
    local = zone(tz)
    return {"since": since.astimezone(local).isoformat(), "until": until.astimezone(local).isoformat(),
            "posts": posts, "sentiment": {k: counts.get(k, 0) for k in _SENTIMENTS},
            "negative_share": round(counts.get("negative", 0) / posts, 4) if posts else None,
            "net_sentiment": _net(counts, posts)}


def _buckets(store: AlertStore, alert: Alert, nid: str | None, start: datetime, step: timedelta) -> list[Counter]:
    """Posts per sentiment in 2 * BUCKETS buckets of `step` from `start` (one pass over the ledger)."""
    counts = [Counter() for _ in range(2 * BUCKETS)]
    for p in store.ledger.posts_between(alert.campaign, start, start + 2 * BUCKETS * step, nid):
        i = int((parse_ts(p["created_at"]) - start) / step)
        if 0 <= i < len(counts):
            counts[i][p.get("sentiment") or "unknown"] += 1
    return counts


def response_impact(store: AlertStore, alert: Alert, response: dict, hours: int, tz: str,
                    now: datetime | None = None) -> dict:
    sent = parse_ts(response["sent_at"])
    now = now or datetime.now(timezone.utc)
    width = timedelta(hours=hours)
    nid = incident_narrative(alert)
    step, start, local = width / BUCKETS, sent - width, zone(tz)
    counts = _buckets(store, alert, nid, start, step)
    before = _window(sum(counts[:BUCKETS], Counter()), start, sent, tz)
    after = _window(sum(counts[BUCKETS:], Counter()), sent, sent + width, tz)
    after["complete"] = now >= sent + width
    change = None
    if before["posts"]:
        change = round((after["posts"] - before["posts"]) / before["posts"], 4)
    series = [{"start": (start + i * step).astimezone(local).isoformat(), "after": i >= BUCKETS,
               "posts": sum(c.values()), **{k: c.get(k, 0) for k in _SENTIMENTS},
               "net_sentiment": _net(c, sum(c.values()))} for i, c in enumerate(counts)]
    return {"response": response, "scope": "narrative" if nid else "campaign", "narrative_id": nid,
            "campaign": alert.campaign, "hours": hours, "tz": tz, "tz_label": label(tz),
            "sent_at_local": sent.astimezone(local).isoformat(), "before": before, "after": after,
            "volume_change": change, "series": series}
