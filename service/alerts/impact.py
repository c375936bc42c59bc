"""Response impact: the narrative's volume and sentiment in the hours before a counter-message was sent against the
same number of hours after it (its campaign's when the alert has no narrative). Windows are reported in the reader's
local time zone (WIB/WITA/WIT, core/periods.py); an "after" window still running is marked incomplete."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.periods import label, zone
from core.domain import Alert
from service.alerts.store import AlertStore, parse_ts
from service.narratives.queries import sentiment_counts


def incident_narrative(alert: Alert) -> str | None:
    """The narrative an alert is about: its incident's, else the one its why names."""
    if alert.incident and "|narrative:" in alert.incident:
        return alert.incident.split("|narrative:", 1)[1]
    return ((alert.why or {}).get("narrative") or {}).get("id")


def _window(store: AlertStore, alert: Alert, nid: str | None, since: datetime, until: datetime, tz: str) -> dict:
    counts = sentiment_counts(store.ledger, alert.campaign, nid, since, until)
    posts = sum(counts.values())
    net = (counts.get("positive", 0) - counts.get("negative", 0)) / posts if posts else None
    local = zone(tz)
    return {"since": since.astimezone(local).isoformat(), "until": until.astimezone(local).isoformat(),
            "posts": posts, "sentiment": {k: counts.get(k, 0) for k in ("positive", "neutral", "negative")},
            "negative_share": round(counts.get("negative", 0) / posts, 4) if posts else None,
            "net_sentiment": round(net, 4) if net is not None else None}


def response_impact(store: AlertStore, alert: Alert, response: dict, hours: int, tz: str,
                    now: datetime | None = None) -> dict:
    sent = parse_ts(response["sent_at"])
    now = now or datetime.now(timezone.utc)
    width = timedelta(hours=hours)
    nid = incident_narrative(alert)
    before = _window(store, alert, nid, sent - width, sent, tz)
    after = _window(store, alert, nid, sent, sent + width, tz)
    after["complete"] = now >= sent + width
    change = None
    if before["posts"]:
        change = round((after["posts"] - before["posts"]) / before["posts"], 4)
    return {"response": response, "scope": "narrative" if nid else "campaign", "narrative_id": nid,
            "campaign": alert.campaign, "hours": hours, "tz": tz, "tz_label": label(tz),
            "sent_at_local": sent.astimezone(zone(tz)).isoformat(), "before": before, "after": after,
            "volume_change": change}
