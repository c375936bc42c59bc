"""Read side of narrative clusters for the API: lists, details (top posts by engagement) and timelines."""
from __future__ import annotations

import json
from datetime import datetime

from service.alerts.store import AlertStore, ts

_PUBLIC = ("id", "campaign", "label", "keywords", "size", "first_seen", "last_seen", "seed_accounts", "sentiment",
           "hoax_posts", "hoax_share", "claims")


def _public(doc: dict) -> dict:
    out = {k: doc.get(k) for k in _PUBLIC}
    total = sum((doc.get("sentiment") or {}).values()) or 1
    out["sentiment_mix"] = {k: round(v / total, 4) for k, v in (doc.get("sentiment") or {}).items()}
    return out


def list_narratives(store: AlertStore, campaign: str | None = None, min_size: int = 2, limit: int = 50,
                    order: str = "size", campaigns: list[str] | None = None) -> list[dict]:
    """`campaigns`: only narratives of any of these campaigns ([] = none; None = all), for workspace scoping."""
    col = {"size": "size DESC, last_seen DESC", "recent": "last_seen DESC", "new": "first_seen DESC"}[order]
    where, args = "WHERE size>=?", [min_size]
    if campaign:
        where += " AND campaign=?"
        args.append(campaign)
    if campaigns is not None:
        if not campaigns:
            return []
        where += f" AND campaign IN ({','.join('?' * len(campaigns))})"
        args.extend(campaigns)
    rows = store.db.execute(f"SELECT doc FROM narratives {where} ORDER BY {col} LIMIT ?", [*args, limit])
    return [_public(json.loads(d)) for (d,) in rows]


def period_narratives(store: AlertStore, campaign: str, since: datetime, until: datetime, min_posts: int = 2,
                      limit: int = 10) -> list[dict]:
    """Narratives with posts in [since, until), by their posts in that window (`posts`; `size` stays all-time)."""
    rows = store.db.execute(
        "SELECT n.doc, w.posts FROM (SELECT narrative_id, count(*) AS posts FROM narrative_posts WHERE campaign=? "
        "AND created_at >= ? AND created_at < ? GROUP BY narrative_id HAVING posts >= ?) w "
        "JOIN narratives n ON n.id = w.narrative_id ORDER BY w.posts DESC, n.last_seen DESC LIMIT ?",
        (campaign, ts(since), ts(until), min_posts, limit))
    return [_public(json.loads(doc)) | {"posts": posts} for doc, posts in rows]


def narrative_campaign(store: AlertStore, narrative_id: str) -> str | None:
    """The campaign a narrative belongs to (None: no such narrative)."""
    row = store.db.execute("SELECT campaign FROM narratives WHERE id=?", (narrative_id,)).fetchone()
    return row[0] if row else None


def get_narrative(store: AlertStore, narrative_id: str, top: int = 5) -> dict | None:
    row = store.db.execute("SELECT doc FROM narratives WHERE id=?", (narrative_id,)).fetchone()
    if row is None:
        return None
    out = _public(json.loads(row[0]))
    cols = ("post_id", "created_at", "platform", "author", "url", "text", "engagement", "sentiment", "hoax")
    rows = store.db.execute(f"SELECT {', '.join(cols)} FROM narrative_posts WHERE narrative_id=? "
                            "ORDER BY engagement DESC, created_at LIMIT ?", (narrative_id, top))
    out["top_posts"] = [dict(zip(cols, r)) | {"hoax": bool(r[-1])} for r in rows]
    return out


def timeline(store: AlertStore, narrative_id: str, interval: str = "hour") -> list[dict] | None:
    if store.db.execute("SELECT 1 FROM narratives WHERE id=?", (narrative_id,)).fetchone() is None:
        return None
    width = {"hour": 13, "day": 10}[interval]
    rows = store.db.execute(
        f"SELECT substr(created_at, 1, {width}) AS b, count(*), sum(sentiment='negative'), sum(hoax), "
        "count(DISTINCT author) FROM narrative_posts WHERE narrative_id=? GROUP BY b ORDER BY b", (narrative_id,))
    suffix = ":00:00Z" if interval == "hour" else "T00:00:00Z"
    return [{"bucket": b + suffix, "posts": n, "negative": neg or 0, "hoax": hx or 0, "accounts": acc}
            for b, n, neg, hx, acc in rows]


def sentiment_counts(store: AlertStore, campaign: str, narrative_id: str | None, since: datetime,
                     until: datetime) -> dict[str, int]:
    """Posts of a narrative (else of the campaign) seen by the engine in [since, until), per sentiment."""
    sql = ("SELECT coalesce(sentiment, 'unknown'), count(*) FROM narrative_posts WHERE campaign=? "
           "AND created_at >= ? AND created_at < ?" + (" AND narrative_id=?" if narrative_id else "")
           + " GROUP BY 1")
    args = [campaign, ts(since), ts(until)] + ([narrative_id] if narrative_id else [])
    return {s: n for s, n in store.db.execute(sql, args)}
