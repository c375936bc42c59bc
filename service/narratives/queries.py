"""Read side of narrative clusters for the API: lists, details (top posts by engagement) and timelines, from the
narrative ledger (service/narratives/ledger.py)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from service.narratives.ledger import NarrativeLedger

_PUBLIC = ("id", "campaign", "label", "name", "merged", "keywords", "terms", "representative", "size", "first_seen", "last_seen",
           "seed_accounts", "sentiment", "hoax_posts", "hoax_share", "claims")
_POST = ("post_id", "created_at", "platform", "author", "url", "text", "engagement", "sentiment", "hoax")


def _public(doc: dict) -> dict:
    out = {k: doc.get(k) for k in _PUBLIC}
    total = sum((doc.get("sentiment") or {}).values()) or 1
    out["sentiment_mix"] = {k: round(v / total, 4) for k, v in (doc.get("sentiment") or {}).items()}
    return out


def list_narratives(ledger: NarrativeLedger, campaign: str | None = None, min_size: int = 2, limit: int = 50,
                    order: str = "size", campaigns: list[str] | None = None) -> list[dict]:
    """`campaigns`: only narratives of any of these campaigns ([] = none; None = all), for workspace scoping."""
    return [_public(d) for d in ledger.list_narratives(campaign, min_size, limit, order, campaigns)]


def period_narratives(ledger: NarrativeLedger, campaign: str, since: datetime | None, until: datetime | None,
                      min_posts: int = 2, limit: int = 10) -> list[dict]:
    """Narratives with posts in [since, until) (None: unbounded), by their posts in that window (`posts`; `size` stays all-time)."""
    return [_public(doc) | {"posts": posts}
            for doc, posts in ledger.period_narratives(campaign, since, until, min_posts, limit)]


def narrative_campaign(ledger: NarrativeLedger, narrative_id: str) -> str | None:
    """The campaign a narrative belongs to (None: no such narrative)."""
    doc = ledger.narrative(narrative_id)
    return doc["campaign"] if doc else None


def get_narrative(ledger: NarrativeLedger, narrative_id: str, top: int = 5) -> dict | None:
    doc = ledger.narrative(narrative_id)
    if doc is None:
        return None
    out = _public(doc)
    out["top_posts"] = [{k: p.get(k) for k in _POST} | {"hoax": bool(p.get("hoax"))}
                        for p in ledger.narrative_posts(narrative_id, top=top)]
    return out


def profile(ledger: NarrativeLedger, narrative_id: str, spreaders: int = 10) -> dict:
    """What an analyst reads next to a narrative: growth per day (and cumulative), its posts per platform, and
    its top spreaders, accounts by posts and by engagement (one pass over the narrative's ledger posts)."""
    daily: Counter = Counter()
    platforms: Counter = Counter()
    posts: Counter = Counter()
    engagement: Counter = Counter()
    for p in ledger.narrative_posts(narrative_id):
        daily[p["created_at"][:10]] += 1
        platforms[p.get("platform") or "unknown"] += 1
        account = f"{p.get('platform')}:{p['author']}" if p.get("author") else None
        if account:
            posts[account] += 1
            engagement[account] += p.get("engagement") or 0
    growth, total = [], 0
    for day, n in sorted(daily.items()):
        total += n
        growth.append({"day": day, "posts": n, "total": total})

    def ranked(by: Counter, other: Counter) -> list[dict]:
        top = sorted(by, key=lambda a: (-by[a], a))[:spreaders]
        return [{"account": a, "posts": posts[a], "engagement": engagement[a]} for a in top]
    return {"growth": growth, "platforms": dict(platforms.most_common()),
            "top_spreaders": {"by_posts": ranked(posts, engagement), "by_engagement": ranked(engagement, posts)}}


def timeline(ledger: NarrativeLedger, narrative_id: str, interval: str = "hour") -> list[dict] | None:
    if ledger.narrative(narrative_id) is None:
        return None
    width = {"hour": 13, "day": 10}[interval]
    buckets: dict[str, dict] = defaultdict(lambda: {"posts": 0, "negative": 0, "hoax": 0, "authors": set()})
    for p in ledger.narrative_posts(narrative_id):
        b = buckets[p["created_at"][:width]]
        b["posts"] += 1
        b["negative"] += p.get("sentiment") == "negative"
        b["hoax"] += bool(p.get("hoax"))
        if p.get("author") is not None:
            b["authors"].add(p["author"])
    suffix = ":00:00Z" if interval == "hour" else "T00:00:00Z"
    return [{"bucket": key + suffix, "posts": b["posts"], "negative": b["negative"], "hoax": b["hoax"],
             "accounts": len(b["authors"])} for key, b in sorted(buckets.items())]

