"""Trending terms, hashtags, links and link domains: what is over-represented in a window against the campaign's baseline.

The statistic is JLH (Elasticsearch's default significance heuristic for significant_terms/significant_text):
fg% = df_window / n_window, bg% = df_background / n_background (background = baseline + window, like ES's
superset); score = (fg% - bg%) * (fg% / bg%) when fg% > bg%. On Elasticsearch the aggregations compute it on the
server; on SQLite the same formula runs here over the scanned posts.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from pydantic import BaseModel

from service.alerts.text import content_tokens
from core.domain import as_utc, utcnow
from service.narratives.links import canonical_link
from service.store.analysis import link_domains
from service.store.base import PostQuery, Store

_DURATION = re.compile(r"^\s*(\d{1,5})\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> timedelta:
    """'15m', '6h', '7d', '2w' -> timedelta; ValueError with a readable message otherwise."""
    m = _DURATION.match(value or "")
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"invalid duration {value!r}: use a number and a unit m/h/d/w, e.g. '6h' or '7d'")
    delta = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if delta > timedelta(days=366):
        raise ValueError(f"duration {value!r} is longer than a year")
    return delta


class TrendingTerm(BaseModel):
    term: str
    score: float
    window_docs: int
    window_total: int
    background_docs: int
    background_total: int


class Trending(BaseModel):
    campaign: str
    since: datetime
    until: datetime
    baseline_since: datetime
    method: str
    window_posts: int
    terms: list[TrendingTerm]
    hashtags: list[TrendingTerm]
    links: list[TrendingTerm]
    domains: list[TrendingTerm] = []  # the links' sites (a subdomain counts for its parent domain too)


def jlh(fg: int, fg_n: int, bg: int, bg_n: int) -> float:
    if not fg_n or not bg_n or not bg:
        return 0.0
    fp, bp = fg / fg_n, bg / bg_n
    return (fp - bp) * (fp / bp) if fp > bp else 0.0


def _rank(fg: Counter, fg_n: int, bg: Counter, bg_n: int, size: int, min_docs: int) -> list[TrendingTerm]:
    out = [TrendingTerm(term=t, score=round(jlh(c, fg_n, bg[t], bg_n), 6), window_docs=c, window_total=fg_n,
                        background_docs=bg[t], background_total=bg_n)
           for t, c in fg.items() if c >= min_docs]
    out = [t for t in out if t.score > 0]
    out.sort(key=lambda t: (-t.score, t.term))
    return out[:size]


def trending(store: Store, campaign: str, window: timedelta = timedelta(hours=24),
             baseline: timedelta = timedelta(days=7), until: datetime | None = None, size: int = 10,
             min_docs: int = 3) -> Trending:
    until = as_utc(until) if until else utcnow()
    since, base_since = until - window, until - window - baseline
    fg_q = PostQuery(campaign=campaign, since=since, until=until)
    bg_q = PostQuery(campaign=campaign, since=base_since, until=until)
    es = getattr(store, "es", None)
    if es is not None:
        return _elastic(store, campaign, fg_q, bg_q, since, until, base_since, size, min_docs)
    fg_n, bg_n = 0, 0
    counters = {k: (Counter(), Counter()) for k in ("terms", "hashtags", "links", "domains")}
    for post in store.scan(bg_q):
        in_window = post.created_at >= since
        fg_n += in_window
        bg_n += 1
        features = {"terms": set(content_tokens(f"{post.title or ''} {post.text}")), "hashtags": set(post.hashtags),
                    "links": {canonical_link(u) for u in post.links}, "domains": set(link_domains(post.links))}
        for key, values in features.items():
            fg, bg = counters[key]
            bg.update(values)
            if in_window:
                fg.update(values)
    ranked = {k: _rank(fg, fg_n, bg, bg_n, size, min_docs) for k, (fg, bg) in counters.items()}
    return Trending(campaign=campaign, since=since, until=until, baseline_since=base_since, method="python-jlh",
                    window_posts=fg_n, **ranked)


def _elastic(store, campaign, fg_q, bg_q, since, until, base_since, size, min_docs) -> Trending:
    background = store._query(bg_q)
    common = {"background_filter": background, "min_doc_count": min_docs, "size": size, "jlh": {}}
    aggs = {"terms": {"significant_text": {"field": "text", "filter_duplicate_text": False, **common}},
            "hashtags": {"significant_terms": {"field": "hashtags", **common}},
            "links": {"significant_terms": {"field": "links", **common}},
            "domains": {"significant_terms": {"field": "domains", **common}}}  # the store's derived field
    resp = store._call(store.es.search, index=store.index, query=store._query(fg_q), size=0, aggs=aggs,
                       track_total_hits=True)
    fg_n = resp["hits"]["total"]["value"]
    ranked = {}
    for key in aggs:
        agg = resp["aggregations"][key]
        bg_n = agg.get("bg_count", 0)
        ranked[key] = [TrendingTerm(term=str(b["key"]), score=round(b["score"], 6), window_docs=b["doc_count"],
                                    window_total=fg_n, background_docs=b["bg_count"], background_total=bg_n)
                       for b in agg["buckets"] if b["score"] > 0]
    return Trending(campaign=campaign, since=since, until=until, baseline_since=base_since,
                    method="elasticsearch-significant_text", window_posts=fg_n, **ranked)
