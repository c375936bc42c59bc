"""Bluesky via Jetstream (JSON over websocket). Cursor: {"time_us": <last processed frame>}.

The collector reads frames from an injectable async iterator factory `connect(url) -> AsyncIterator[str]`
(default: `websocket_frames`, using `websockets.connect`). Each round reads for at most `max_seconds` /
`max_frames`, emitting a batch every `batch_size` posts; the cursor is the time_us of the last frame seen
in that batch, so a restart resumes from it (Jetstream replays from a cursor in microseconds).
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from collectors.base import Batch, Reject, build_post, parse_dt
from service.domain import Campaign, Post

POST_COLLECTION = "app.bsky.feed.post"


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


def parse_frame(frame: str | bytes | dict, *, source: str, campaigns: Sequence[Campaign],
                langs: Sequence[str] = ("id", "en"), terms: Sequence[str] = ()) -> tuple[Post | None, Reject | None, int | None]:
    """One Jetstream frame → (post or None, reject or None, time_us or None). Irrelevant frames → (None, None, t)."""
    try:
        data = json.loads(frame) if isinstance(frame, (str, bytes, bytearray)) else frame
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Reject(f"invalid JSON frame: {exc}", frame), None
    if not isinstance(data, dict):
        return None, Reject("frame is not a JSON object", frame), None
    t = data.get("time_us")
    time_us = t if isinstance(t, int) and not isinstance(t, bool) and t >= 0 else None
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
    rec_langs = [lg for lg in record.get("langs") or [] if isinstance(lg, str)]
    wanted = {lg.lower() for lg in langs}
    if wanted and not any(lg.lower().split("-")[0] in wanted for lg in rec_langs):
        return None, None, time_us
    low = text.lower()
    tags, links = _facets(record)
    tagset = {t.lower() for t in tags}
    if terms:
        if not any(term.lower() in low or term.lower().lstrip("#") in tagset for term in terms):
            return None, None, time_us
    elif campaigns and not any(c.matches(text, author=did, hashtags=tags) for c in campaigns):
        return None, None, time_us
    created = parse_dt(record.get("createdAt"))
    if created is None and time_us is not None:
        created = datetime.fromtimestamp(time_us / 1e6, tz=timezone.utc)
    try:
        post = build_post(campaigns, source=source, native_id=f"at://{did}/{POST_COLLECTION}/{rkey}",
                          platform="bluesky", text=text, created_at=created,
                          url=f"https://bsky.app/profile/{did}/post/{rkey}", author=did,
                          lang=rec_langs[0].split("-")[0].lower() if rec_langs else None,
                          hashtags=tags or None, links=links or None,
                          raw={"did": did, "time_us": time_us, "rkey": rkey, "cid": commit.get("cid"),
                               "record": {k: record.get(k) for k in ("text", "langs", "createdAt", "reply") if k in record}})
    except ValueError as exc:
        return None, Reject(str(exc), data), time_us
    return post, None, time_us


class BlueskyCollector:
    type = "bluesky"

    def __init__(self, *, campaigns: Sequence[Campaign], terms: Sequence[str] = (), langs: Sequence[str] = ("id", "en"),
                 name: str | None = None, endpoint: str = "wss://jetstream2.us-east.bsky.network/subscribe",
                 interval_seconds: float = 60, max_frames: int = 20000, max_seconds: float = 50,
                 batch_size: int = 200, connect: Callable[[str], AsyncIterator[Any]] | None = None,
                 rewind_us: int = 2_000_000, clock: Callable[[], float] = time.monotonic):
        self.name = name or "bluesky:jetstream"
        self.campaigns, self.terms, self.langs = list(campaigns), list(terms), list(langs)
        self.endpoint, self.interval_seconds = endpoint, interval_seconds
        self.max_frames, self.max_seconds, self.batch_size = max_frames, max_seconds, batch_size
        self.connect = connect or websocket_frames
        self.rewind_us, self.clock = rewind_us, clock

    def url(self, cursor: dict | None) -> str:
        params = {"wantedCollections": POST_COLLECTION}
        if cursor and isinstance(cursor.get("time_us"), int):
            # rewind a little: Jetstream may deliver slightly out of order; ids are stable so overlap is harmless
            params["cursor"] = str(max(0, cursor["time_us"] - self.rewind_us))
        return f"{self.endpoint}?{urlencode(params)}"

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
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
                                                    langs=self.langs, terms=self.terms)
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
