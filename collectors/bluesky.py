"""Bluesky via Jetstream (JSON over websocket). Cursor: {"time_us": <last processed frame>}.

The collector reads frames from an injectable async iterator factory `connect(url) -> AsyncIterator[str]`
(default: `websocket_frames`, using `websockets.connect`). Each round reads for at most `max_seconds` /
`max_frames`, emitting a batch every `batch_size` posts; the cursor is the time_us of the last frame seen
in that batch, so a restart resumes from it (Jetstream replays from a cursor in microseconds).

Posts with no text (image, link card, quote only) keep the card/alt text/quoted post as text; posts without `langs`
go through language ID before the language filter. Authors are DIDs on the wire: identity events and the campaigns'
watched handles (resolved once via com.atproto.identity.resolveHandle) give the collector a DID → handle cache.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from collectors.base import Batch, Reject, build_post, parse_dt
from collectors.http import HttpClient
from core.domain import Campaign, Post
from core.langcodes import normalize_lang

log = logging.getLogger(__name__)

POST_COLLECTION = "app.bsky.feed.post"
APPVIEW = "https://public.api.bsky.app"  # serves com.atproto.identity.resolveHandle without authentication
_HANDLE = re.compile(r"^(?!did:)[a-z0-9-]+(\.[a-z0-9-]+)+$")


async def websocket_frames(url: str) -> AsyncIterator[str]:
    import websockets
    async with websockets.connect(url, max_size=2 ** 22, open_timeout=20, ping_interval=20) as ws:
        async for message in ws:
            yield message


def _facets(record: dict) -> tuple[list[str], list[str]]:
    tags, links = [], []
    for facet in record.get("facets") or []:
        if not isinstance(facet, dict):
            continue
        for feat in facet.get("features") or []:
            if not isinstance(feat, dict):
                continue
            kind = feat.get("$type")
            if kind == "app.bsky.richtext.facet#tag" and isinstance(feat.get("tag"), str):
                tags.append(feat["tag"])
            elif kind == "app.bsky.richtext.facet#link" and isinstance(feat.get("uri"), str):
                links.append(feat["uri"])
    embed = record.get("embed")
    if isinstance(embed, dict) and isinstance(embed.get("external"), dict) and isinstance(embed["external"].get("uri"), str):
        links.append(embed["external"]["uri"])
    return tags, links


_EMBED_IMAGES = "app.bsky.embed.images"
_EMBED_EXTERNAL = "app.bsky.embed.external"
_EMBED_VIDEO = "app.bsky.embed.video"
_EMBED_RECORD = "app.bsky.embed.record"
_EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"


def _post_url(at_uri: Any) -> str | None:
    """at://<did>/app.bsky.feed.post/<rkey> → its bsky.app URL."""
    if isinstance(at_uri, str) and at_uri.startswith("at://"):
        did, _, rest = at_uri[5:].partition("/")
        collection, _, rkey = rest.partition("/")
        if collection == POST_COLLECTION and rkey:
            return f"https://bsky.app/profile/{did}/post/{rkey}"
    return None


def embed_text(embed: Any) -> tuple[str, list[str]]:
    """What an embed says (link card title/description, image and video alt texts) and where it points (card URL,
    quoted post), so an image-, card- or quote-only post has something to analyse and to show."""
    if not isinstance(embed, dict):
        return "", []
    kind = str(embed.get("$type") or "").split("#")[0]
    bits: list[str] = []
    links: list[str] = []
    if kind == _EMBED_RECORD_WITH_MEDIA:
        media_text, media_links = embed_text(embed.get("media"))
        quote_text, quote_links = embed_text(embed.get("record"))
        return "\n".join(t for t in (media_text, quote_text) if t), media_links + quote_links
    if kind == _EMBED_EXTERNAL and isinstance(embed.get("external"), dict):
        ext = embed["external"]
        bits += [ext[k].strip() for k in ("title", "description") if isinstance(ext.get(k), str) and ext[k].strip()]
        if isinstance(ext.get("uri"), str) and ext["uri"].startswith("http"):
            links.append(ext["uri"])
    elif kind == _EMBED_IMAGES:
        bits += [img["alt"].strip() for img in embed.get("images") or []
                 if isinstance(img, dict) and isinstance(img.get("alt"), str) and img["alt"].strip()]
    elif kind == _EMBED_VIDEO and isinstance(embed.get("alt"), str):
        bits.append(embed["alt"].strip())
    elif kind == _EMBED_RECORD:
        ref = embed.get("record")
        url = _post_url(ref.get("uri") if isinstance(ref, dict) else None)
        if isinstance(ref, dict) and isinstance(ref.get("record"), dict):  # recordWithMedia nests one level more
            url = url or _post_url(ref["record"].get("uri"))
        links += [url] if url else []
    return "\n".join(b for b in bits if b), links


def _detect_language(text: str) -> str | None:
    from classifiers.language import detect_language  # lazily: loading the fastText model costs ~100 ms
    return detect_language(text)


def parse_frame(frame: str | bytes | dict, *, source: str, campaigns: Sequence[Campaign],
                langs: Sequence[str] = ("id", "en"), terms: Sequence[str] = (),
                handles: dict[str, str] | None = None) -> tuple[Post | None, Reject | None, int | None]:
    """One Jetstream frame → (post or None, reject or None, time_us or None). Irrelevant frames → (None, None, t).

    `handles` (DID → handle) is the collector's cache: identity frames update it, and a post's author is its
    handle when known (so a campaign's watched @handle matches), else its DID."""
    try:
        data = json.loads(frame) if isinstance(frame, (str, bytes, bytearray)) else frame
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Reject(f"invalid JSON frame: {exc}", frame), None
    if not isinstance(data, dict):
        return None, Reject("frame is not a JSON object", frame), None
    t = data.get("time_us")
    time_us = t if isinstance(t, int) and not isinstance(t, bool) and t >= 0 else None
    handles = handles if handles is not None else {}
    if data.get("kind") == "identity":
        ident = data.get("identity") if isinstance(data.get("identity"), dict) else {}
        did, handle = ident.get("did") or data.get("did"), ident.get("handle")
        if isinstance(did, str) and isinstance(handle, str) and handle and handle != "handle.invalid":
            handles[did] = handle.lower()
        return None, None, time_us
    if data.get("kind") != "commit":
        return None, None, time_us
    commit = data.get("commit")
    if not isinstance(commit, dict):
        return None, Reject("commit frame without commit object", data), time_us
    if commit.get("collection") != POST_COLLECTION or commit.get("operation") != "create":
        return None, None, time_us
    record = commit.get("record")
    did, rkey = data.get("did"), commit.get("rkey")
    if not isinstance(record, dict) or not isinstance(did, str) or not isinstance(rkey, str) or not did or not rkey:
        return None, Reject("post commit missing did/rkey/record", data), time_us
    text = record.get("text") if isinstance(record.get("text"), str) else ""
    card, card_links = embed_text(record.get("embed"))
    if not text.strip():  # image, link card or quote only: its alt text / card stands for the text
        text = card or "\n".join(card_links)
        if not text.strip():
            return None, None, time_us  # an image without alt text: nothing to analyse, not malformed
    rec_langs = [lg for lg in (normalize_lang(x) for x in record.get("langs") or []) if lg]
    wanted = {lg.lower() for lg in langs}
    if wanted and not rec_langs:  # the client declared no language (or und): identify it
        rec_langs = [lg for lg in [_detect_language(text)] if lg]
    if wanted and not any(lg in wanted for lg in rec_langs):
        return None, None, time_us
    author = handles.get(did, did)
    low = text.lower()
    tags, links = _facets(record)
    links += [u for u in card_links if u not in links]
    tagset = {t.lower() for t in tags}
    watched = any(c.matches("", author=author) for c in campaigns)
    if terms:
        if not watched and not any(term.lower() in low or term.lower().lstrip("#") in tagset for term in terms):
            return None, None, time_us
    elif campaigns and not any(c.matches(text, author=author, hashtags=tags) for c in campaigns):
        return None, None, time_us
    created = parse_dt(record.get("createdAt"))
    if created is None and time_us is not None:
        created = datetime.fromtimestamp(time_us / 1e6, tz=timezone.utc)
    try:
        post = build_post(campaigns, source=source, native_id=f"at://{did}/{POST_COLLECTION}/{rkey}",
                          platform="bluesky", text=text, created_at=created,
                          url=f"https://bsky.app/profile/{did}/post/{rkey}", author=author,
                          lang=rec_langs[0] if rec_langs else None,
                          hashtags=tags or None, links=links or None,
                          raw={"did": did, "time_us": time_us, "rkey": rkey, "cid": commit.get("cid"),
                               "record": {k: record.get(k) for k in ("text", "langs", "createdAt", "reply", "embed")
                                          if k in record}})
    except ValueError as exc:
        return None, Reject(str(exc), data), time_us
    return post, None, time_us


class BlueskyCollector:
    type = "bluesky"

    def __init__(self, *, campaigns: Sequence[Campaign], terms: Sequence[str] = (), langs: Sequence[str] = ("id", "en"),
                 name: str | None = None, endpoint: str = "wss://jetstream2.us-east.bsky.network/subscribe",
                 interval_seconds: float = 60, max_frames: int = 20000, max_seconds: float = 50,
                 batch_size: int = 200, connect: Callable[[str], AsyncIterator[Any]] | None = None,
                 rewind_us: int = 2_000_000, clock: Callable[[], float] = time.monotonic,
                 http: HttpClient | None = None, appview: str = APPVIEW):
        self.name = name or "bluesky:jetstream"
        self.http, self.appview = http, appview.rstrip("/")
        self.handles: dict[str, str] = {}  # DID → handle: identity events and resolved watched handles
        self.resolved: set[str] = set()  # watched handles already resolved (a failure is retried next round)
        self.campaigns, self.terms, self.langs = list(campaigns), list(terms), list(langs)
        self.endpoint, self.interval_seconds = endpoint, interval_seconds
        self.max_frames, self.max_seconds, self.batch_size = max_frames, max_seconds, batch_size
        self.connect = connect or websocket_frames
        self.rewind_us, self.clock = rewind_us, clock

    def watched_handles(self) -> list[str]:
        """Campaign accounts that are Bluesky handles (domain names: `name.bsky.social`, `example.org`)."""
        found = (a.strip().lstrip("@").lower() for c in self.campaigns for a in c.accounts)
        return list(dict.fromkeys(h for h in found if _HANDLE.match(h)))

    def resolve_handles(self) -> None:
        """Jetstream names authors by DID only: resolve each watched handle once with
        com.atproto.identity.resolveHandle and cache DID → handle, so the watched account's posts match."""
        if self.http is None:
            return
        for handle in self.watched_handles():
            if handle in self.resolved:
                continue
            try:
                did = self.http.get(f"{self.appview}/xrpc/com.atproto.identity.resolveHandle",
                                    params={"handle": handle}, respect_robots=False).json().get("did")
            except Exception as exc:  # noqa: BLE001 - unresolved now, retried next round; the stream goes on
                log.warning("%s: cannot resolve handle %s: %s", self.name, handle, exc)
                continue
            if isinstance(did, str) and did.startswith("did:"):
                self.handles[did] = handle
                self.resolved.add(handle)

    def url(self, cursor: dict | None) -> str:
        params = {"wantedCollections": POST_COLLECTION}
        if cursor and isinstance(cursor.get("time_us"), int):
            # rewind a little: Jetstream may deliver slightly out of order; ids are stable so overlap is harmless
            params["cursor"] = str(max(0, cursor["time_us"] - self.rewind_us))
        return f"{self.endpoint}?{urlencode(params)}"

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        self.resolve_handles()
        loop = asyncio.new_event_loop()
        agen = self.connect(self.url(cursor)).__aiter__()
        started = self.clock()
        last = (cursor or {}).get("time_us")
        posts: list[Post] = []
        rejects: list[Reject] = []
        frames = 0
        try:
            while frames < self.max_frames:
                remaining = self.max_seconds - (self.clock() - started)
                if remaining <= 0:
                    break
                try:
                    frame = loop.run_until_complete(asyncio.wait_for(agen.__anext__(), timeout=remaining))
                except (StopAsyncIteration, asyncio.TimeoutError):
                    break
                frames += 1
                post, reject, time_us = parse_frame(frame, source=self.name, campaigns=self.campaigns,
                                                    langs=self.langs, terms=self.terms, handles=self.handles)
                if time_us is not None and (last is None or time_us > last):
                    last = time_us
                if post is not None:
                    posts.append(post)
                if reject is not None:
                    rejects.append(reject)
                if len(posts) >= self.batch_size or frames % (self.batch_size * 50) == 0:
                    yield Batch(posts=posts, rejects=rejects, cursor={"time_us": last} if last is not None else None)
                    posts, rejects = [], []
            if posts or rejects or last is not None:
                yield Batch(posts=posts, rejects=rejects, cursor={"time_us": last} if last is not None else None)
        finally:
            try:
                aclose = getattr(agen, "aclose", None)
                if aclose is not None:
                    loop.run_until_complete(aclose())
            except Exception:
                pass
            loop.close()
