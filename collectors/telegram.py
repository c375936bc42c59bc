"""Telegram public channels via the web preview https://t.me/s/<channel> (no login, no API key).

Pagination: ?before=<id> walks back in time; search: ?q=<term>. One collector per channel.
Cursor: {"last_id": int, "search": {term: last_id}}. New messages are gathered newest→oldest until the
cursor is reached, then emitted oldest→newest in batches, each batch advancing last_id — so a crash
in the middle resumes exactly after the last stored batch (no gap, no duplicate).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from collectors.base import Batch, Parsed, Reject, build_post, html_to_text, parse_dt
from core.textrefs import extract_hashtags
from collectors.http import HttpClient
from core.domain import Campaign, Engagement

BASE = "https://t.me"
_COUNT_RE = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([KkMmBb]?)\s*$")


def parse_count(value: str | None) -> int | None:
    """'3.12K' → 3120, '1.2M' → 1200000, '987' → 987, '1,234' → 1234; None when unparseable."""
    if not value:
        return None
    s = value.strip().replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}(,\d{3})+", s):
        return int(s.replace(",", ""))
    m = _COUNT_RE.match(s)
    if not m:
        return None
    number = float(m.group(1).replace(",", "."))
    mult = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}[m.group(2).lower()]
    return int(round(number * mult))


def _has_ancestor_class(node, cls: str, stop) -> bool:
    p = node.parent
    while p is not None and p is not stop:
        if cls in (p.attributes.get("class") or "").split():
            return True
        p = p.parent
    return False


def _own_text_node(msg):
    """The message's own .tgme_widget_message_text — not the quoted parent's inside .tgme_widget_message_reply."""
    for node in msg.css(".tgme_widget_message_text"):
        classes = (node.attributes.get("class") or "").split()
        if "js-message_reply_text" in classes:
            continue
        if _has_ancestor_class(node, "tgme_widget_message_reply", msg):
            continue
        return node
    return None


def parse_channel_page(html: str, *, source: str, campaigns: Sequence[Campaign], channel: str | None = None) -> Parsed:
    """t.me/s page → posts. extra: {"ids": all message ids on the page (incl. media-only), "min_id"}."""
    out = Parsed()
    ids: list[int] = []
    try:
        tree = LexborHTMLParser(html or "")
        messages = tree.css("div.tgme_widget_message[data-post]")
    except Exception as exc:
        out.rejects.append(Reject(f"unparseable page: {type(exc).__name__}", (html or "")[:4000]))
        out.extra.update(ids=[], min_id=None)
        return out
    for msg in messages:
        data_post = msg.attributes.get("data-post") or ""
        try:
            chan, _, num = data_post.rpartition("/")
            if not chan or not num.isdigit():
                raise ValueError(f"bad data-post {data_post!r}")
            msg_id = int(num)
            ids.append(msg_id)
            text_node = _own_text_node(msg)
            text = html_to_text(text_node.html) if text_node is not None else ""
            preview = msg.css_first("a.tgme_widget_message_link_preview")
            if not text:
                if preview is None and msg.css_first(".tgme_widget_message_poll_question") is None:
                    continue  # media-only / service message: nothing to analyse, not malformed
                bits = [html_to_text(n.html) for n in (msg.css_first(".link_preview_title"),
                                                       msg.css_first(".link_preview_description"),
                                                       msg.css_first(".tgme_widget_message_poll_question")) if n]
                text = "\n".join(b for b in bits if b)
                if not text:
                    continue
            time_node = msg.css_first(".tgme_widget_message_date time[datetime]") or msg.css_first("time[datetime]")
            created = parse_dt(time_node.attributes.get("datetime")) if time_node is not None else None
            views_node = msg.css_first(".tgme_widget_message_views")
            views = parse_count(views_node.text()) if views_node is not None else None
            links: list[str] = []
            if text_node is not None:
                for a in text_node.css("a[href]"):
                    href = a.attributes.get("href") or ""
                    if href.startswith("?q=") or href.startswith("/s/"):
                        continue  # hashtag search links
                    if href.startswith("http"):
                        links.append(href)
            if preview is not None and (preview.attributes.get("href") or "").startswith("http"):
                links.append(preview.attributes["href"])
            fwd = msg.css_first(".tgme_widget_message_forwarded_from_name")
            forwarded_from = fwd.text(strip=True) if fwd is not None else None
            forwarded_url = None
            if fwd is not None and fwd.attributes.get("href"):
                forwarded_url = urljoin(BASE + "/", fwd.attributes["href"])
            meta = msg.css_first(".tgme_widget_message_meta")
            edited = bool(meta is not None and re.search(r"\bedited\b", meta.text(), re.I))
            reply = msg.css_first(".tgme_widget_message_reply")
            reply_to = None
            if reply is not None and reply.attributes.get("href"):
                m = re.search(r"/(\d+)(?:\?|#|$)", reply.attributes["href"])
                reply_to = int(m.group(1)) if m else None
            signed = msg.css_first(".tgme_widget_message_from_author")
            handle = channel or chan
            raw: dict[str, Any] = {"data_post": data_post, "views": views_node.text(strip=True) if views_node else None,
                                   "forwarded_from": forwarded_from, "forwarded_url": forwarded_url,
                                   "edited": edited, "reply_to": reply_to,
                                   "signed_by": signed.text(strip=True) if signed is not None else None}
            post = build_post(campaigns, source=source, native_id=msg_id, platform="telegram", text=text,
                              created_at=created, url=f"{BASE}/{chan}/{msg_id}", author=handle,
                              engagement=Engagement(views=views), hashtags=extract_hashtags(text),
                              links=list(dict.fromkeys(links)), raw=raw)
        except Exception as exc:  # a single odd node must not cost the other messages
            out.reject(exc, (msg.html or "")[:4000])
            continue
        out.posts.append(post)
    out.extra["ids"] = ids
    out.extra["min_id"] = min(ids) if ids else None
    return out


class TelegramCollector:
    type = "telegram"

    def __init__(self, *, channel: str, campaigns: Sequence[Campaign], http: HttpClient, name: str | None = None,
                 interval_seconds: float = 300, search_terms: Sequence[str] = (), backfill_pages: int = 1,
                 max_pages: int = 20, batch_size: int = 50, refresh_engagement: bool = True,
                 only_matching: bool = False, respect_robots: bool = True, base_url: str = BASE):
        self.channel = channel.lstrip("@")
        self.name = name or f"telegram:{self.channel}"
        self.campaigns, self.http = list(campaigns), http
        self.interval_seconds = interval_seconds
        self.search_terms = list(dict.fromkeys(t for t in search_terms if t and t.strip()))
        self.backfill_pages, self.max_pages, self.batch_size = backfill_pages, max_pages, batch_size
        self.refresh_engagement, self.only_matching = refresh_engagement, only_matching
        self.respect_robots, self.base_url = respect_robots, base_url.rstrip("/")

    def _page(self, params: dict | None) -> Parsed:
        fetched = self.http.get(f"{self.base_url}/s/{self.channel}", params=params or None,
                                respect_robots=self.respect_robots)
        return parse_channel_page(fetched.text, source=self.name, campaigns=self.campaigns, channel=self.channel)

    def _keep(self, post) -> bool:
        return not self.only_matching or bool(post.campaigns)

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        cursor = {"last_id": None, "search": {}, **(cursor or {})}
        cursor["search"] = dict(cursor.get("search") or {})
        last_id = cursor.get("last_id")
        gathered: dict[int, Any] = {}
        rejects: list[Reject] = []
        refresh: list = []
        before = None
        pages = 0
        limit = self.backfill_pages if last_id is None else self.max_pages
        while pages < limit:
            parsed = self._page({"before": before} if before else None)
            pages += 1
            rejects += parsed.rejects
            for post in parsed.posts:
                pid = int(post.native_id)
                if last_id is None or pid > last_id:
                    gathered[pid] = post
                elif pages == 1 and self.refresh_engagement:
                    refresh.append(post)
            page_min = parsed.extra.get("min_id")
            if page_min is None or (last_id is not None and page_min <= last_id + 1):
                break
            if before is not None and page_min >= before:
                break  # no progress: avoid looping on a misbehaving page
            before = page_min
        if refresh or rejects:
            yield Batch(posts=[p for p in refresh if self._keep(p)], rejects=rejects, cursor=None)
        ordered = [gathered[k] for k in sorted(gathered)]
        for i in range(0, len(ordered), self.batch_size):
            chunk = ordered[i:i + self.batch_size]
            cursor = {**cursor, "last_id": int(chunk[-1].native_id)}
            yield Batch(posts=[p for p in chunk if self._keep(p)], cursor=dict(cursor))
        for term in self.search_terms:
            since = cursor["search"].get(term)
            parsed = self._page({"q": term})
            found = sorted((p for p in parsed.posts if since is None or int(p.native_id) > since),
                           key=lambda p: int(p.native_id))
            newest = max([int(p.native_id) for p in parsed.posts] + ([since] if since else []), default=since)
            search = {**cursor["search"], term: newest}
            cursor = {**cursor, "search": search}
            yield Batch(posts=[p for p in found if self._keep(p)], rejects=parsed.rejects, cursor=dict(cursor))
