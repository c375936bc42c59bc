"""Mastodon hashtag timelines: GET /api/v1/timelines/tag/<tag>?limit=40 (public, no token needed).

One collector per instance, many tags. Cursor: {"tags": {tag: newest status id stored}}.
Catch-up uses `min_id` (statuses immediately newer than the cursor, oldest first) rather than `since_id`
(which returns the *newest* page and so leaves a gap when more than `limit` statuses arrived meanwhile).
First run: newest page, plus `backfill_pages` older pages by following Link rel="next".
Honours X-RateLimit-Remaining / X-RateLimit-Reset; 429 + Retry-After is handled by the shared HTTP client.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from collectors.base import (Batch, Parsed, build_post, decode_json, html_to_text, id_key, nonneg_int,
                             parse_dt)
from collectors.http import HttpClient, rate_limit_wait
from core.domain import Campaign, Engagement

_LINK_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    return {rel: url for url, rel in _LINK_RE.findall(value or "")}


def _href_links(content: str) -> list[str]:
    links = []
    for href, cls in re.findall(r'<a\s[^>]*?href="([^"]+)"([^>]*)>', content or ""):
        if "hashtag" in cls or "mention" in cls:
            continue
        if href.startswith("http"):
            links.append(href)
    return links


def parse_statuses(payload: Any, *, source: str, campaigns: Sequence[Campaign]) -> Parsed:
    """A timeline JSON array (already decoded, or text) → posts; bad statuses become rejects."""
    out = Parsed()
    payload = decode_json(payload, out, list, "timeline is not a JSON array")
    if out.extra.get("unparseable"):
        return out
    ids = []
    for status in payload:
        try:
            if not isinstance(status, dict):
                raise ValueError("status is not an object")
            sid = status.get("id")
            if not isinstance(sid, (str, int)) or not str(sid).strip():
                raise ValueError("missing status id")
            ids.append(str(sid))
            if isinstance(status.get("reblog"), dict):
                status = status["reblog"]  # a boost: analyse the original
            account = status.get("account") if isinstance(status.get("account"), dict) else {}
            content = status.get("content") if isinstance(status.get("content"), str) else ""
            text = html_to_text(content)
            spoiler = status.get("spoiler_text") if isinstance(status.get("spoiler_text"), str) else ""
            tags = [t.get("name") for t in status.get("tags") or [] if isinstance(t, dict) and isinstance(t.get("name"), str)]
            lang = status.get("language") if isinstance(status.get("language"), str) else None
            acct = account.get("acct") if isinstance(account.get("acct"), str) else None
            url = status.get("url") if isinstance(status.get("url"), str) else (
                status.get("uri") if isinstance(status.get("uri"), str) else None)
            post = build_post(
                campaigns, source=source, native_id=str(sid), platform="mastodon", text=text,
                title=spoiler or None, url=url, author=acct, lang=lang,
                created_at=parse_dt(status.get("created_at")),
                engagement=Engagement(likes=nonneg_int(status.get("favourites_count")),
                                      reposts=nonneg_int(status.get("reblogs_count")),
                                      replies=nonneg_int(status.get("replies_count"))),
                hashtags=tags or None, links=_href_links(content) or None,
                raw={"id": str(sid), "uri": status.get("uri"), "url": url, "account": acct,
                     "created_at": status.get("created_at"), "language": lang,
                     "in_reply_to_id": status.get("in_reply_to_id"), "content": content},
            )
        except Exception as exc:  # one bad item must not cost the others
            out.reject(exc, status)
            continue
        out.posts.append(post)
    out.extra["ids"] = ids
    return out


class MastodonUnparseable(RuntimeError):
    pass


class MastodonCollector:
    type = "mastodon"

    def __init__(self, *, instance: str, tags: Sequence[str], campaigns: Sequence[Campaign], http: HttpClient,
                 name: str | None = None, interval_seconds: float = 300, limit: int = 40, backfill_pages: int = 1,
                 max_pages: int = 25, access_token: str | None = None, only_matching: bool = False):
        inst = instance if "://" in instance else f"https://{instance}"
        self.base = inst.rstrip("/")
        self.host = urlsplit(self.base).hostname or instance
        self.name = name or f"mastodon:{self.host}"
        self.tags = list(dict.fromkeys(t.lstrip("#").lower() for t in tags if t.strip("# ")))
        self.campaigns, self.http = list(campaigns), http
        self.interval_seconds, self.limit = interval_seconds, min(max(limit, 1), 40)
        self.backfill_pages, self.max_pages = max(backfill_pages, 1), max_pages
        self.headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        self.only_matching = only_matching

    def _get(self, url: str, params: dict | None):
        fetched = self.http.get(url, params=params, headers=self.headers, respect_robots=False)
        wait = rate_limit_wait(fetched.headers)
        if wait > 0:
            self.http.sleep(wait)
        parsed = parse_statuses(fetched.text, source=self.name, campaigns=self.campaigns)
        if parsed.extra.get("unparseable"):
            raise MastodonUnparseable(parsed.rejects[0].reason)
        return parsed, parse_link_header(fetched.headers.get("Link"))

    def _keep(self, posts):
        return [p for p in posts if not self.only_matching or p.campaigns]

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        state = {"tags": {}, **(cursor or {})}
        state["tags"] = dict(state.get("tags") or {})
        for tag in self.tags:
            url = f"{self.base}/api/v1/timelines/tag/{quote(tag)}"
            since = state["tags"].get(tag)
            if since is None:
                pages: list[Parsed] = []
                params: dict | None = {"limit": self.limit}
                next_url = url
                for _ in range(self.backfill_pages):
                    parsed, links = self._get(next_url, params)
                    pages.append(parsed)
                    if not parsed.extra["ids"] or "next" not in links:
                        break
                    next_url, params = links["next"], None  # Link header URLs already carry max_id etc.
                # emit oldest page first, each advancing the cursor to that page's newest id
                for parsed in reversed(pages):
                    rejects = parsed.rejects
                    if not parsed.extra["ids"]:
                        if rejects:
                            yield Batch(rejects=rejects)
                        continue
                    newest = max(parsed.extra["ids"], key=id_key)
                    state = {**state, "tags": {**state["tags"], tag: newest}}
                    posts = sorted(parsed.posts, key=lambda p: id_key(p.native_id))
                    yield Batch(posts=self._keep(posts), rejects=rejects, cursor=json.loads(json.dumps(state)))
                continue
            for _ in range(self.max_pages):
                parsed, links = self._get(url, {"limit": self.limit, "min_id": since})
                ids = parsed.extra["ids"]
                if not ids:
                    if parsed.rejects:
                        yield Batch(rejects=parsed.rejects)
                    break
                since = max(ids, key=id_key)
                state = {**state, "tags": {**state["tags"], tag: since}}
                posts = sorted(parsed.posts, key=lambda p: id_key(p.native_id))
                yield Batch(posts=self._keep(posts), rejects=parsed.rejects, cursor=json.loads(json.dumps(state)))
                if len(ids) < self.limit:
                    break  # a short page: caught up (Link rel="prev" would carry min_id=<since> as well)
