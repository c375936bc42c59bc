"""GDELT DOC 2.0 article lists (mode=artlist, format=json), one request per 5 s per GDELT's guidance.

GDELT answers errors with HTML or plain text and status 200, and its JSON can carry raw control
characters or invalid escapes: `parse_artlist` copes with all of these and never raises.
Cursor: {"queries": {query: {"last": "YYYYMMDDHHMMSS", "urls": [urls seen at that second]}}}.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from collectors.base import Batch, Parsed, Reject, build_post
from collectors.http import HttpClient
from core.domain import Campaign
from core.langcodes import normalize_lang

API = "https://api.gdeltproject.org/api/v2/doc/doc"
_CTRL = re.compile(r"[\x00-\x1f]")
_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')


class GdeltError(RuntimeError):
    pass


def loads_lenient(text: str) -> Any:
    """json.loads that tolerates raw control characters and invalid backslash escapes."""
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return json.loads(_BAD_ESCAPE.sub(r"\\\\", _CTRL.sub(" ", text)), strict=False)


def parse_seendate(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def parse_artlist(body: str | bytes, *, source: str, campaigns: Sequence[Campaign]) -> Parsed:
    out = Parsed()
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else (body or "")
    text = text.lstrip("\ufeff").strip()
    if not text.startswith("{"):
        kind = "HTML error page" if text.startswith("<") else "non-JSON answer"
        return out.unparseable(f"GDELT {kind}: {text[:200]!r}", text)
    try:
        data = loads_lenient(text)
    except ValueError as exc:
        return out.unparseable(f"invalid JSON: {exc}", text)
    if not isinstance(data, dict):
        return out.unparseable("JSON is not an object", text)
    articles = data.get("articles") or []  # "{}" means no results
    if not isinstance(articles, list):
        out.rejects.append(Reject("articles is not a list", data))
        return out
    for art in articles:
        try:
            if not isinstance(art, dict):
                raise ValueError("article is not an object")
            url = art.get("url")
            if not isinstance(url, str) or not url.startswith("http"):
                raise ValueError("article without url")
            title = art.get("title") if isinstance(art.get("title"), str) else ""
            lang = normalize_lang(art.get("language"))  # GDELT names the language ("Indonesian")
            post = build_post(campaigns, source=source, native_id=url, platform="gdelt", text=title.strip(),
                              title=title.strip() or None, url=url,
                              author=art.get("domain") if isinstance(art.get("domain"), str) else None,
                              created_at=parse_seendate(art.get("seendate")), lang=lang, links=[url],
                              raw={k: art.get(k) for k in ("url", "title", "seendate", "domain", "language", "sourcecountry")})
        except ValueError as exc:
            out.rejects.append(Reject(str(exc), art))
            continue
        out.posts.append(post)
    return out


class GdeltCollector:
    type = "gdelt"

    def __init__(self, *, queries: Sequence[str], campaigns: Sequence[Campaign], http: HttpClient, name: str | None = None,
                 interval_seconds: float = 900, extra_query: str = "sourcecountry:indonesia", maxrecords: int = 250,
                 lookback_hours: int = 24, api_url: str = API, now=lambda: datetime.now(timezone.utc)):
        self.queries = list(dict.fromkeys(q for q in queries if q.strip()))
        self.campaigns, self.http = list(campaigns), http
        self.name = name or "gdelt:doc"
        self.interval_seconds, self.extra_query, self.maxrecords = interval_seconds, extra_query, maxrecords
        self.lookback_hours, self.api_url, self.now = lookback_hours, api_url, now
        http.set_host_delay("api.gdeltproject.org", 5.0)

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        state = {"queries": {}, **(cursor or {})}
        state["queries"] = dict(state.get("queries") or {})
        for q in self.queries:
            qs = state["queries"].get(q) or {}
            start = qs.get("last") or (self.now() - timedelta(hours=self.lookback_hours)).strftime("%Y%m%d%H%M%S")
            full_q = f"{q} {self.extra_query}".strip()
            fetched = self.http.get(self.api_url, respect_robots=False, params={
                "query": full_q, "mode": "artlist", "format": "json", "maxrecords": self.maxrecords,
                "sort": "dateasc", "startdatetime": start})
            parsed = parse_artlist(fetched.text, source=self.name, campaigns=self.campaigns)
            if parsed.extra.get("unparseable"):
                yield Batch(rejects=parsed.rejects)
                raise GdeltError(parsed.rejects[0].reason)
            seen_at_last = set(qs.get("urls") or [])
            last = qs.get("last")

            def is_new(p) -> bool:
                stamp = p.created_at.strftime("%Y%m%d%H%M%S")
                return last is None or stamp > last or (stamp == last and p.native_id not in seen_at_last)

            posts = [p for p in parsed.posts if is_new(p)]
            if parsed.posts:
                newest = max(p.created_at for p in parsed.posts).strftime("%Y%m%d%H%M%S")
                urls = [p.native_id for p in parsed.posts if p.created_at.strftime("%Y%m%d%H%M%S") == newest]
                if newest == qs.get("last"):
                    urls = sorted(seen_at_last | set(urls))
                state = {**state, "queries": {**state["queries"], q: {"last": newest, "urls": urls}}}
            yield Batch(posts=posts, rejects=parsed.rejects, cursor=json.loads(json.dumps(state)))
