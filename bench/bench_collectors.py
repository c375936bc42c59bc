"""Collectors: parse throughput on recorded pages, and a 24-hour simulated run against the platforms' limits.

1. Parse rate per collector: items/s the collector's own parser turns into Posts from the recorded/reference pages
   of tests/collectors/fixtures (read as data). Warmed, then timed in interleaved repeats (every collector once per
   repeat, in a rotating order) so load from other processes hits all alike; the median is reported. For the JSON
   APIs the same pages' bare `json.loads` is timed in the same repeats as the floor (parse cost / decode cost).
2. 24 hours, simulated: the real scheduler (`collectors.scheduler.run`) drives the real collectors, built from the
   default configuration (`build_collectors`, two campaigns) with one real HttpClient, on a fake clock: sleeps
   (politeness, back-off) and the scheduler's idle waits advance it, nothing waits for real. An in-process fake
   server (httpx.MockTransport) answers every platform with the recorded pages and counts each request per endpoint
   with its fake time. The counts are then checked against each platform's documented limits (sliding windows).

    .venv/bin/python -m bench.bench_collectors [--repeats 7] [--hours 24] [--publish]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors import graph, tiktok  # noqa: E402
from collectors.base import Parsed  # noqa: E402
from collectors.bluesky import parse_frame  # noqa: E402
from collectors.config import build_collectors  # noqa: E402
from collectors.gdelt import parse_artlist  # noqa: E402
from collectors.http import HttpClient  # noqa: E402
from collectors.mastodon import parse_statuses  # noqa: E402
from collectors.rss import parse_feed  # noqa: E402
from collectors.scheduler import run  # noqa: E402
from collectors.telegram import parse_channel_page  # noqa: E402
from collectors.x import parse_tweets  # noqa: E402
from collectors.youtube import parse_comment_threads, parse_search_results  # noqa: E402
from core.domain import Campaign  # noqa: E402
from service.config import Settings  # noqa: E402
from service.store.sources import SourceState  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "collectors" / "fixtures"
START = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
CAMPAIGNS = [
    Campaign(id="vaksin", name="Vaksin halal", keywords=["vaksin halal"], hashtags=["VaksinHalal"]),
    Campaign(id="beras", name="Stok beras", keywords=["beras"], hashtags=["berasaman"],
             accounts=["@kompascom", "@kabarwarga.bsky.social"]),
]

# the busy day: 35 campaigns (more hashtags than Instagram's 30), every platform always has another page
BUSY_CAMPAIGNS = [Campaign(id=f"c{i:02d}", name=f"Kampanye {i}", keywords=[f"isu{i:02d}"], hashtags=[f"tagar{i:02d}"])
                  for i in range(35)]


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def graph_items(name: str) -> list:
    return json.loads(text(name))["data"]


# --- 1. parse throughput --------------------------------------------------------------------------------------------

def parsers() -> dict[str, tuple[list, callable, bool]]:
    """collector → (pages, parse(page) -> Parsed, pages are JSON)."""
    c = CAMPAIGNS
    frames = [ln for f in ("jetstream_frames.jsonl", "jetstream_embeds.jsonl") for ln in text(f).splitlines() if ln]
    return {
        "rss": ([text(f) for f in ("rss_antaranews.xml", "rss_turnbackhoax.xml", "rss_feedburner.xml")],
                lambda p: parse_feed(p, source="rss:x", campaigns=c, content_type="application/rss+xml"), False),
        "telegram": ([text(f) for f in ("telegram_kompascom.html", "telegram_kompascom_before105.html",
                                        "telegram_kompascom_before99.html")],
                     lambda p: parse_channel_page(p, source="telegram:kompascom", campaigns=c, channel="kompascom"),
                     False),
        "mastodon": ([text(f) for f in ("mastodon_tag_newest.json", "mastodon_tag_older.json",
                                        "mastodon_tag_min1009.json")],
                     lambda p: parse_statuses(p, source="mastodon:x", campaigns=c), True),
        "bluesky": (frames, _frame, True),
        "youtube": ([text(f) for f in ("youtube_comment_threads_p1.json", "youtube_comment_threads_p2.json",
                                       "youtube_search_p1.json", "youtube_search_p2.json")],
                    lambda p: (parse_search_results if '"youtube#searchListResponse"' in p else parse_comment_threads)(
                        p, source="youtube", campaigns=c), True),
        "gdelt": ([text(f) for f in ("gdelt_artlist.json", "gdelt_artlist_languages.json")],
                  lambda p: parse_artlist(p, source="gdelt", campaigns=c), True),
        "x": ([_x_body(text(f)) for f in ("x_recent_tweepy.json", "x_search_expansions.json",
                                          "x_search_retweets.json", "x_search_indonesian.json")],
              lambda p: parse_tweets(p, source="x", campaigns=c), True),
        "tiktok": ([text(f) for f in ("tiktok_videos_id_p1.json", "tiktok_videos_id_p2.json",
                                      "tiktok_videos_reference.json", "tiktok_comments_id.json",
                                      "tiktok_comments_reference.json")],
                   lambda p: (tiktok.parse_comments if '"comments"' in p else tiktok.parse_videos)(
                       p, source="tiktok", campaigns=c), True),
        "instagram": ([text(f) for f in ("ig_recent_media_p1.json", "ig_recent_media_p2.json")],
                      lambda p: graph.parse_media(json.loads(p)["data"], source="instagram", campaigns=c), True),
        "facebook": ([text(f) for f in ("fb_posts_p1.json", "fb_posts_p2.json", "fb_comments_p1.json",
                                        "fb_comments_p2.json")],
                     lambda p: graph.parse_fb(json.loads(p)["data"], source="facebook", campaigns=c,
                                              kind="comment" if "comment_id" in p else "post"), True),
    }


def _x_body(page: str) -> str:
    """tweepy's cassette copies keep the recorded status/headers around the answer's `body`."""
    body = json.loads(page)
    return json.dumps(body["body"]) if isinstance(body, dict) and "body" in body and "data" not in body else page


def _frame(line: str) -> Parsed:
    """A Jetstream frame: one post, one reject, or an irrelevant frame (likes, identity, other languages)."""
    post, reject, _ = parse_frame(line, source="bluesky", campaigns=CAMPAIGNS, terms=("vaksin", "beras"))
    out = Parsed(posts=[post] if post else [], rejects=[reject] if reject else [])
    if not (post or reject):
        out.skip("irrelevant frame")
    return out


def time_pages(pages, parse, loops: int) -> tuple[float, int]:
    t0, items = time.perf_counter(), 0
    for _ in range(loops):
        for p in pages:
            out = parse(p)
            items += len(out.posts) + len(out.rejects) + sum((out.extra.get("skipped") or {}).values())
    return time.perf_counter() - t0, items


def bench_parse(repeats: int, min_seconds: float = 0.2) -> dict:
    table = parsers()
    loops = {}
    for name, (pages, parse, _) in table.items():  # warm, and size each collector's loop to ~min_seconds
        n, (elapsed, _) = 1, time_pages(pages, parse, 1)
        loops[name] = max(1, int(min_seconds / max(elapsed, 1e-6)))
    rates, floors = defaultdict(list), defaultdict(list)
    names = list(table)
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:  # rotating order
            pages, parse, is_json = table[name]
            elapsed, items = time_pages(pages, parse, loops[name])
            rates[name].append(items / elapsed)
            if is_json:
                t0 = time.perf_counter()
                for _ in range(loops[name]):
                    for p in pages:
                        try:
                            json.loads(p)
                        except ValueError:  # GDELT's control characters, a cut Jetstream frame: the parser copes
                            pass
                floors[name].append(elapsed / (time.perf_counter() - t0))
    out = {}
    for name, (pages, parse, is_json) in table.items():
        per_round = sum(len(o.posts) + len(o.rejects) + sum((o.extra.get("skipped") or {}).values())
                        for o in map(parse, pages))
        out[name] = {"pages": len(pages), "items_per_round": per_round,
                     "items_per_s_median": round(statistics.median(rates[name])),
                     "items_per_s_min": round(min(rates[name])), "items_per_s_max": round(max(rates[name])),
                     **({"times_json_loads_median": round(statistics.median(floors[name]), 1)} if is_json else {})}
    return out


# --- 2. 24 hours, simulated -------------------------------------------------------------------------------------------

class FakeTime:
    def __init__(self, now: float):
        self.now = now
        self.lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += max(0.0, seconds)

    def clock(self) -> float:
        return self.now


SOURCES = [
    {"type": "rss", "urls": ["https://www.antaranews.com/rss/terkini.xml", "https://turnbackhoax.id/feed/"]},
    {"type": "telegram", "channels": ["kompascom"]},
    {"type": "mastodon", "instance": "mastodon.social"},
    {"type": "bluesky"},
    {"type": "youtube", "video_ids": ["dQw4w9WgXcQ"], "api_key": "k"},
    {"type": "youtube-search", "api_key": "k"},
    {"type": "gdelt"},
    {"type": "x", "bearer_token": "t"},
    {"type": "x-stream", "bearer_token": "t"},
    {"type": "tiktok", "client_key": "k", "client_secret": "s"},
    {"type": "instagram", "access_token": "t", "user_id": "17841406338772941"},
    {"type": "facebook", "access_token": "t", "pages": ["FacebookforDevelopers", "KemenkesRI"]},
]

# (endpoint, window seconds, most requests, what the platform documents)
LIMITS = [
    ("x:search/recent", "x-window", 60, "X API v2 recent search, Basic plan: 60 requests per 15-min window (app)"),
    ("x:stream", 900, 50, "X filtered stream: 50 connections / 15 min"),
    ("x:stream/rules", 900, 450, "X stream rules GET/POST: 450 / 15 min"),
    ("mastodon", 300, 300, "Mastodon: 300 requests / 5 min per account or IP"),
    ("bluesky:resolveHandle", 300, 3000, "Bluesky AppView: 3,000 requests / 5 min per IP"),
    ("tiktok:research", "utc-day", 1000, "TikTok Research API: 1,000 requests / day"),
    ("instagram", 3600, 200, "Instagram Graph API: 200 calls / hour per account"),
    ("facebook", 3600, 200, "Facebook Graph API: 200 calls / hour per user (app limit 200 × users)"),
]


class FakePlatforms:
    """Answers every platform from the recorded pages; counts requests per endpoint with their fake time.
    `busy`: every list has another page, and the platforms enforce their limits as they document them (X's
    15-minute windows with x-rate-limit-* headers, TikTok's and YouTube's daily quotas, Graph's hourly calls),
    answering with their own over-limit errors, which are counted as `refused`: a polite schedule has none."""

    def __init__(self, ft: FakeTime, busy: bool = False):
        self.ft, self.busy = ft, busy
        self.refused: dict[str, int] = defaultdict(int)
        self.x_window = [0.0, 0]  # start, used: X's fixed 15-minute windows (x-rate-limit-reset)
        self.x_window_most = 0
        self.hits: dict[str, list[float]] = defaultdict(list)
        self.by_host: dict[str, list[float]] = defaultdict(list)
        self.youtube_units: list[tuple[float, int]] = []
        self.tiktok_records: list[tuple[float, int]] = []
        self.ig_hashtags: dict[str, float] = {}
        self.jetstream_connects: list[float] = []

    def count(self, endpoint: str) -> None:
        self.hits[endpoint].append(self.ft.now)

    def handle(self, request: httpx.Request) -> httpx.Response:
        url, host, path, q = request.url, request.url.host, request.url.path, request.url.params
        self.by_host[host].append(self.ft.now)
        if path == "/robots.txt":
            self.count(f"robots:{host}")
            return httpx.Response(404)
        js = {"content-type": "application/json"}
        if host in ("www.antaranews.com", "turnbackhoax.id"):
            self.count(f"rss:{host}")
            return httpx.Response(200, text=text("rss_antaranews.xml" if "antara" in host else "rss_turnbackhoax.xml"),
                                  headers={"content-type": "application/rss+xml", "ETag": '"v1"'})
        if host == "t.me":
            self.count("telegram")
            if q.get("q"):
                return httpx.Response(200, text=text("telegram_kompascom_search.html"))
            pages = {None: "telegram_kompascom.html", "105": "telegram_kompascom_before105.html",
                     "99": "telegram_kompascom_before99.html"}
            return httpx.Response(200, text=text(pages.get(q.get("before"), "telegram_kompascom_before99.html")))
        if host == "mastodon.social":
            self.count("mastodon")
            name = "mastodon_tag_newest.json" if not q.get("min_id") and not q.get("max_id") else None
            body = text(name) if name else "[]"
            return httpx.Response(200, text=body, headers={**js, "X-RateLimit-Limit": "300",
                                                           "X-RateLimit-Remaining": "250"})
        if host == "public.api.bsky.app":
            self.count("bluesky:resolveHandle")
            return httpx.Response(200, json={"did": "did:plc:kabarwarga"}, headers=js)
        if host == "www.googleapis.com":
            cost = 100 if path.endswith("/search") else 1
            if self.busy and youtube_units_today(self.youtube_units, self.ft.now) + cost > 10_000:
                self.refused["youtube"] += 1
                return httpx.Response(403, json={"error": {"code": 403, "errors": [{"reason": "quotaExceeded"}]}})
            self.youtube_units.append((self.ft.now, cost))
            if path.endswith("/search"):
                self.count("youtube:search")
                return httpx.Response(200, text=text("youtube_search_p1.json"), headers=js)
            self.count("youtube:commentThreads")
            page = "youtube_comment_threads_p2.json" if q.get("pageToken") else "youtube_comment_threads_p1.json"
            return httpx.Response(200, text=text(page), headers=js)
        if host == "api.gdeltproject.org":
            self.count("gdelt")
            return httpx.Response(200, text=text("gdelt_artlist.json"), headers=js)
        if host == "api.x.com":
            return self.x(request, path, js)
        if host == "open.tiktokapis.com":
            return self.tiktok(request, path, js)
        if host == "graph.facebook.com":
            return self.graph(path, q, js)
        self.count(f"unknown:{host}{path}")
        return httpx.Response(404)

    def x(self, request, path, js):
        if path == "/2/tweets/search/recent":
            self.count("x:search/recent")
            if self.ft.now >= self.x_window[0] + 900:
                self.x_window = [self.ft.now, 0]
            self.x_window[1] += 1
            headers = {**js, "x-rate-limit-limit": "60", "x-rate-limit-remaining": str(max(0, 60 - self.x_window[1])),
                       "x-rate-limit-reset": str(int(self.x_window[0] + 900))}
            if self.x_window[1] > 60:
                self.refused["x:search/recent"] += 1
                return httpx.Response(429, json={"title": "Too Many Requests"}, headers=headers)
            self.x_window_most = max(self.x_window_most, self.x_window[1])
            last = "pagination_token" in request.url.params and not self.busy
            return httpx.Response(200, text=json.dumps({"meta": {"result_count": 0}}) if last
                                  else text("x_search_indonesian.json"), headers=headers)
        if path == "/2/tweets/search/stream/rules":
            self.count("x:stream/rules")
            return httpx.Response(200, text=text("x_rules_get.json" if request.method == "GET" else "x_rules_post.json"),
                                  headers=js)
        if path == "/2/tweets/search/stream":
            if self.busy and max_in_window(self.hits["x:stream"] + [self.ft.now], 900) > 50:
                self.refused["x:stream"] += 1
                return httpx.Response(429, json={"title": "TooManyConnections"}, headers=js)
            self.count("x:stream")
            if self.busy:  # a hang-up storm: every connection is closed at once
                return httpx.Response(200, content=b"\r\n", headers=js)
            lines = [ln + "\n" for ln in text("x_stream.jsonl").splitlines()]
            ft = self.ft

            def stream():  # a connection that stays up, a keep-alive every 20 s (fake time), a tweet now and then
                for i in range(10_000):
                    ft.sleep(20)
                    yield (lines[i % len(lines)] if i % 3 == 0 else "\r\n").encode()
            return httpx.Response(200, content=stream(), headers=js)
        self.count(f"x:other{path}")
        return httpx.Response(404)

    def tiktok(self, request, path, js):
        if path == "/v2/oauth/token/":
            self.count("tiktok:token")
            return httpx.Response(200, json={"access_token": "clt.x", "expires_in": 7200, "token_type": "Bearer"})
        self.count("tiktok:research")
        if self.busy and max_in_window(self.hits["tiktok:research"], "utc-day") > 1000:
            self.refused["tiktok:research"] += 1
            return httpx.Response(429, text=text("tiktok_quota_exceeded.json"), headers=js)
        body = json.loads(request.content or b"{}")
        if path.endswith("/comment/list/"):
            page = text("tiktok_comments_id.json")
        elif self.busy:  # always one more page
            page = text("tiktok_videos_id_p1.json").replace('"cursor": 3', f'"cursor": {int(body.get("cursor") or 0) + 3}')
        else:
            page = text("tiktok_videos_id_p2.json" if body.get("cursor") else "tiktok_videos_id_p1.json")
        n = len(json.loads(page)["data"].get("videos" if "videos" in page else "comments", []))
        self.tiktok_records.append((self.ft.now, n))
        return httpx.Response(200, text=page, headers=js)

    def graph(self, path, q, js):
        kind = "instagram" if "media" in path or "hashtag" in path else "facebook"
        if self.busy and max_in_window(self.hits[kind] + [self.ft.now], 3600) > 200:
            self.refused[kind] += 1
            return httpx.Response(403, text=text("graph_error_rate.json"), headers=js)
        if self.busy and path.endswith("/ig_hashtag_search") and q.get("q") not in self.ig_hashtags \
                and len([t for t in self.ig_hashtags.values() if t > self.ft.now - 7 * 86400]) >= 30:
            self.refused["instagram"] += 1  # the 31st unique hashtag in 7 days
            return httpx.Response(400, json={"error": {"message": "hashtag limit", "code": 24, "type": "OAuthException"}})
        if path.endswith("/ig_hashtag_search"):
            self.count("instagram")
            self.ig_hashtags.setdefault(q.get("q"), self.ft.now)
            return httpx.Response(200, json={"data": [{"id": f"1784{abs(hash(q.get('q'))) % 10**8}"}]}, headers=js)
        if path.endswith("/recent_media") or path.endswith("/top_media"):
            self.count("instagram")
            older = q.get("after") and not self.busy
            return httpx.Response(200, text=text("ig_recent_media_p2.json" if older else "ig_recent_media_p1.json"),
                                  headers=js)
        self.count("facebook")
        older = (q.get("after") or q.get("until")) and not self.busy
        if path.endswith("/posts"):
            return httpx.Response(200, text=text("fb_posts_p2.json" if older else "fb_posts_p1.json"), headers=js)
        return httpx.Response(200, text=text("fb_comments_p2.json" if older else "fb_comments_p1.json"), headers=js)


def jetstream(fake: FakePlatforms, ft: FakeTime):
    lines = [ln for ln in text("jetstream_frames.jsonl").splitlines() if ln]

    def connect(url):
        fake.jetstream_connects.append(ft.now)

        async def frames():
            for ln in lines:
                ft.sleep(1.0)
                yield ln
        return frames()
    return connect


def youtube_units_today(spent: list[tuple[float, int]], now: float) -> int:
    """Units spent since the last midnight in Los Angeles (when Google resets the quota)."""
    from collectors.quota import PACIFIC_DAY, Limit
    day = Limit(10_000, PACIFIC_DAY)
    return sum(u for t, u in spent if t <= now and day.counts(t, now))


def max_in_window(times: list[float], window) -> int:
    if window == "utc-day":
        days = defaultdict(int)
        for t in times:
            days[int(t // 86400)] += 1
        return max(days.values(), default=0)
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def min_gap(times: list[float]) -> float | None:
    times = sorted(times)
    return min((b - a for a, b in zip(times, times[1:])), default=None)


QUOTA_TYPES = {"youtube-search", "x", "x-stream", "tiktok", "instagram", "facebook"}


def simulate(hours: float, tmp: Path, busy: bool = False) -> dict:
    """`busy`: the quota-bound sources only, for 35 campaigns, against platforms that always have more (and an X
    stream that hangs up at once)."""
    ft = FakeTime(START)
    fake = FakePlatforms(ft, busy=busy)
    http = HttpClient(transport=httpx.MockTransport(fake.handle), sleep=ft.sleep, clock=ft.clock)
    sources = [s for s in SOURCES if s["type"] in QUOTA_TYPES] if busy else SOURCES
    campaigns = BUSY_CAMPAIGNS if busy else CAMPAIGNS
    collectors = build_collectors(sources, campaigns, http, jetstream_connect=jetstream(fake, ft), clock=ft.clock)
    for c in collectors:  # collectors that read a clock of their own get the fake one
        if hasattr(c, "now"):
            c.now = lambda: datetime.fromtimestamp(ft.now, timezone.utc)
        if type(c).__name__ == "BlueskyCollector":
            c.clock = ft.clock
    stop, end, stored = threading.Event(), START + hours * 3600, defaultdict(int)

    def idle(seconds: float) -> None:
        ft.sleep(seconds)
        if ft.now >= end:
            stop.set()

    def sink(posts):
        for p in posts:
            stored[p.platform] += 1
    wall = time.perf_counter()
    state = SourceState.open(Settings(data_dir=tmp, store="sqlite", config_file=None))  # the embedded default
    results = run(collectors, campaigns, sink, None, state=state, quarantine_path=tmp / "quarantine.jsonl",
                  stop_event=stop, clock=ft.clock, idle=idle)
    wall = time.perf_counter() - wall
    checks = []
    for endpoint, window, most, doc in LIMITS:
        seen = fake.x_window_most if window == "x-window" else max_in_window(fake.hits.get(endpoint, []), window)
        checks.append({"endpoint": endpoint, "limit": doc, "window_s": window, "most": most, "max_seen": seen,
                       "total": len(fake.hits.get(endpoint, [])), "ok": seen <= most})
    units = max((youtube_units_today(fake.youtube_units, t) for t, _ in fake.youtube_units), default=0)
    checks.append({"endpoint": "youtube (search 100 units, comment page 1)",
                   "limit": "YouTube Data API: 10,000 units / day (reset at midnight Pacific Time)",
                   "window_s": "pacific-day", "most": 10_000, "max_seen": units, "ok": units <= 10_000})
    records = max_in_window([t for t, n in fake.tiktok_records for _ in range(n)], "utc-day")
    checks.append({"endpoint": "tiktok:records", "limit": "TikTok Research API: 100,000 records / day",
                   "window_s": "utc-day", "most": 100_000, "max_seen": records, "ok": records <= 100_000})
    tags = len(fake.ig_hashtags)
    checks.append({"endpoint": "instagram:unique hashtags", "limit": "Instagram: 30 unique hashtags / 7 days",
                   "window_s": 7 * 86400, "most": 30, "max_seen": tags, "ok": tags <= 30})
    for host, gap, doc in (("api.gdeltproject.org", 5.0, "GDELT DOC API: one request every 5 s"),
                           ("www.antaranews.com", 1.0, "RSS: ≥ 1 s between requests to a host"),
                           ("turnbackhoax.id", 1.0, "RSS: ≥ 1 s between requests to a host"),
                           ("t.me", 1.0, "Telegram t.me/s: ≥ 1 s between requests")):
        g = min_gap(fake.by_host.get(host, []))
        checks.append({"endpoint": f"gap:{host}", "limit": doc, "most": gap, "min_gap_s": g,
                       "total": len(fake.by_host.get(host, [])), "ok": g is None or g >= gap - 1e-9})
    checks.append({"endpoint": "refused by the platform", "limit": "over-limit answers (429 / quota / Graph code 4)",
                   "most": 0, "max_seen": sum(fake.refused.values()), "by_platform": dict(fake.refused),
                   "ok": not fake.refused})
    robots = {h: len(v) for h, v in fake.hits.items() if h.startswith("robots:")}
    return {"scenario": "busy: 35 campaigns, every platform always has another page, quota-bound sources"
            if busy else "typical: 2 campaigns, every source type with its default settings",
            "sources": [s["type"] for s in sources], "campaigns": len(campaigns),
            "hours": hours, "wall_seconds": round(wall, 1), "requests": {k: len(v) for k, v in sorted(fake.hits.items())},
            "jetstream_connections": len(fake.jetstream_connects), "robots_fetches": robots,
            "posts_stored_by_platform": dict(stored), "youtube_units": units, "tiktok_records": records,
            "checks": checks, "all_within_limits": all(c["ok"] for c in checks),
            "last_round": [{k: r[k] for k in ("name", "ok", "items", "error")} for r in results]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--publish", action="store_true")
    args = ap.parse_args()
    import tempfile
    parse = bench_parse(args.repeats)
    print(f"{'collector':<10} {'items/s (median)':>17} {'min':>9} {'max':>9} {'× json.loads':>13}")
    for name, r in parse.items():
        print(f"{name:<10} {r['items_per_s_median']:>17,} {r['items_per_s_min']:>9,} {r['items_per_s_max']:>9,} "
              f"{r.get('times_json_loads_median', '-'):>13}")
    sims = []
    for busy in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            sim = simulate(args.hours, Path(tmp), busy=busy)
        sims.append(sim)
        print(f"\n{sim['scenario']}: {args.hours:g} simulated hours in {sim['wall_seconds']} s wall")
        print(f"requests: {sim['requests']}")
        for c in sim["checks"]:
            print(f"{'ok ' if c['ok'] else 'OVER'} {c['endpoint']:<45} seen {c.get('max_seen', c.get('min_gap_s'))} "
                  f"vs {c['most']}  ({c['limit']})")
    result = {"benchmark": "collectors", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
              "repeats": args.repeats, "parse": parse, "simulations": sims}
    out = Path(__file__).parent / ("published" if args.publish else "results") / "collectors.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
    if not all(sim["all_within_limits"] for sim in sims):
        sys.exit(1)


if __name__ == "__main__":
    main()
