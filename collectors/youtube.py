"""YouTube Data API v3 commentThreads for configured videos (API key from config or env).

Cursor: {"videos": {video_id: {"latest": ISO publishedAt, "ids": [thread ids at that instant]}}}.
Pages (order=time, newest first) are followed by nextPageToken until the cursor is reached, then emitted
oldest→newest, one batch per page-sized chunk.
Quota: every call is counted in the source's quota before it is sent (a commentThreads page 1 unit, a search.list
100) against `daily_units` (the API's default 10,000 a day, reset at midnight Pacific Time); a call that would cross
it is not sent and the source waits for the reset.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from collectors.base import Batch, Parsed, Reject, build_post, decode_json, html_to_text, nonneg_int, parse_dt
from collectors.http import CollectorHttpError, HttpClient
from collectors.quota import PACIFIC_DAY, Limit, Quota, QuotaExhausted
from core.domain import Campaign, Engagement

API = "https://www.googleapis.com/youtube/v3/commentThreads"
SKIP_REASONS = {"commentsDisabled", "videoNotFound", "forbidden", "channelNotFound"}
COMMENT_PAGE_UNITS, SEARCH_UNITS = 1, 100  # YouTube Data API quota costs
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}


def units_quota(daily_units: int, clock=None) -> Quota:
    return Quota({"units": Limit(daily_units, PACIFIC_DAY)}, clock=clock or time.time)


class YoutubeApiError(CollectorHttpError):
    pass


def parse_comment_threads(payload: Any, *, source: str, campaigns: Sequence[Campaign]) -> Parsed:
    out = Parsed()
    payload = decode_json(payload, out, dict, "response is not a commentThreadListResponse")
    if out.extra.get("unparseable"):
        return out
    if not isinstance(payload.get("items", []), list):
        return out.unparseable("response is not a commentThreadListResponse", payload)
    out.extra["next"] = payload.get("nextPageToken") if isinstance(payload.get("nextPageToken"), str) else None
    for item in payload.get("items") or []:
        try:
            if not isinstance(item, dict) or not isinstance(item.get("snippet"), dict):
                raise ValueError("thread without snippet")
            sn = item["snippet"]
            top = sn.get("topLevelComment") if isinstance(sn.get("topLevelComment"), dict) else {}
            cs = top.get("snippet") if isinstance(top.get("snippet"), dict) else {}
            tid = item.get("id") or top.get("id")
            if not isinstance(tid, str) or not tid:
                raise ValueError("thread without id")
            video = cs.get("videoId") or sn.get("videoId")
            text = cs.get("textOriginal") if isinstance(cs.get("textOriginal"), str) else html_to_text(
                cs.get("textDisplay") if isinstance(cs.get("textDisplay"), str) else "")
            if not text.strip():  # an emptied/removed comment: nothing to analyse, and not malformed
                out.extra["empty"] = out.extra.get("empty", 0) + 1
                continue
            author = cs.get("authorDisplayName") if isinstance(cs.get("authorDisplayName"), str) else None
            post = build_post(
                campaigns, source=source, native_id=tid, platform="youtube", text=text,
                created_at=parse_dt(cs.get("publishedAt")), author=author,
                url=f"https://www.youtube.com/watch?v={video}&lc={tid}" if isinstance(video, str) else None,
                engagement=Engagement(likes=nonneg_int(cs.get("likeCount")), replies=nonneg_int(sn.get("totalReplyCount"))),
                raw={"id": tid, "videoId": video, "publishedAt": cs.get("publishedAt"), "updatedAt": cs.get("updatedAt"),
                     "authorChannelUrl": cs.get("authorChannelUrl"), "textDisplay": cs.get("textDisplay")},
            )
        except Exception as exc:  # one bad item must not cost the others
            out.reject(exc, item)
            continue
        out.posts.append(post)
    return out


def _error_reason(text: str) -> str | None:
    try:
        err = json.loads(text).get("error") or {}
        errs = err.get("errors") or [{}]
        return errs[0].get("reason") or err.get("status")
    except (ValueError, AttributeError, IndexError, TypeError):
        return None


def api_error(what: str, fetched, quota: Quota) -> CollectorHttpError:
    """A refused call; Google's quotaExceeded / dailyLimitExceeded marks the day's units spent (wait for the reset)."""
    reason = _error_reason(fetched.text)
    if reason in QUOTA_REASONS:
        quota.force("units", 0)
        return QuotaExhausted(f"{what}: {reason}; waiting for the quota reset (midnight Pacific Time)",
                              retry_at=quota.frees_at("units"))
    return YoutubeApiError(f"{what}: {reason}", status=fetched.status)


class YoutubeCollector:
    type = "youtube"

    def __init__(self, *, video_ids: Sequence[str], api_key: str | None, campaigns: Sequence[Campaign], http: HttpClient,
                 name: str | None = None, interval_seconds: float = 600, max_pages: int = 10,
                 only_matching: bool = False, api_url: str = API, daily_units: int = 10_000,
                 quota: Quota | None = None, clock=None):
        self.quota = quota or units_quota(daily_units, clock)
        self.video_ids = list(dict.fromkeys(video_ids))
        self.api_key, self.campaigns, self.http = api_key, list(campaigns), http
        self.name = name or "youtube:comments"
        self.interval_seconds, self.max_pages, self.only_matching, self.api_url = interval_seconds, max_pages, only_matching, api_url

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        if not self.api_key:
            raise YoutubeApiError("no YouTube API key configured (api_key or YOUTUBE_API_KEY)")
        state = {"videos": {}, **(cursor or {})}
        state["videos"] = dict(state.get("videos") or {})
        for vid in self.video_ids:
            vstate = state["videos"].get(vid) or {}
            latest, ids_at_latest = vstate.get("latest"), set(vstate.get("ids") or [])
            latest_dt = parse_dt(latest)
            found: dict[str, Any] = {}  # native id → post
            rejects, token, empty = [], None, 0
            for _ in range(self.max_pages):
                params = {"part": "snippet", "videoId": vid, "maxResults": 100, "order": "time",
                          "textFormat": "plainText", "key": self.api_key}
                if token:
                    params["pageToken"] = token
                self.quota.spend("units", COMMENT_PAGE_UNITS)
                fetched = self.http.get(self.api_url, params=params, respect_robots=False, ok_statuses=(200, 403, 404))
                if fetched.status != 200:
                    reason = _error_reason(fetched.text)
                    if reason in SKIP_REASONS:
                        rejects.append(Reject(f"video {vid} skipped: {reason}", fetched.text))
                        break
                    raise api_error(f"YouTube API {fetched.status}", fetched, self.quota)
                parsed = parse_comment_threads(fetched.text, source=self.name, campaigns=self.campaigns)
                rejects += parsed.rejects
                empty += parsed.extra.get("empty", 0)
                reached = False
                for p in parsed.posts:
                    if latest_dt is not None and (p.created_at < latest_dt or (p.created_at == latest_dt and p.native_id in ids_at_latest)):
                        reached = True
                        continue
                    # order=time pages shift while we read them: a comment seen on two pages is one post
                    found.setdefault(p.native_id, p)
                token = parsed.extra.get("next")
                if reached or not token or parsed.extra.get("unparseable"):
                    break
            gathered = sorted(found.values(), key=lambda p: (p.created_at, p.native_id))
            skipped = {"empty comment": empty} if empty else {}  # removed/emptied comments: counted in GET /sources
            if (rejects or skipped) and not gathered:
                yield Batch(rejects=rejects, skipped=skipped)
            for i in range(0, len(gathered), 100):
                chunk = gathered[i:i + 100]
                newest = chunk[-1].created_at
                at = [p.native_id for p in chunk if p.created_at == newest]
                if latest_dt is not None and newest == latest_dt:
                    at = sorted(ids_at_latest | set(at))
                latest_dt, ids_at_latest = newest, set(at)
                state = {**state, "videos": {**state["videos"], vid: {"latest": newest.isoformat(), "ids": sorted(at)}}}
                keep = [p for p in chunk if not self.only_matching or p.campaigns]
                yield Batch(posts=keep, rejects=rejects if i == 0 else [], skipped=skipped if i == 0 else {},
                            cursor=json.loads(json.dumps(state)))


# --- search.list: videos by campaign keyword, then their comment threads --------------------------------------

SEARCH_API = "https://www.googleapis.com/youtube/v3/search"


def parse_search_results(payload: Any, *, source: str, campaigns: Sequence[Campaign]) -> Parsed:
    """A `youtube#searchListResponse` → one post per video (title + description); channels/playlists are skipped.
    `extra["videos"]`: {videoId: publishedAt} of the readable videos; `extra["next"]`: nextPageToken."""
    out = Parsed()
    payload = decode_json(payload, out, dict, "response is not a searchListResponse")
    if out.extra.get("unparseable"):
        return out
    if not isinstance(payload.get("items", []), list):
        return out.unparseable("response is not a searchListResponse", payload)
    out.extra["next"] = payload.get("nextPageToken") if isinstance(payload.get("nextPageToken"), str) else None
    out.extra["videos"] = {}
    for item in payload.get("items") or []:
        try:
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, dict) and ident.get("kind") not in (None, "youtube#video"):
                continue
            vid = ident.get("videoId") if isinstance(ident, dict) else None
            if not isinstance(vid, str) or not vid:
                raise ValueError("search result without videoId")
            sn = item.get("snippet") if isinstance(item.get("snippet"), dict) else {}
            title = html_to_text(sn.get("title")) if isinstance(sn.get("title"), str) else None
            post = build_post(
                campaigns, source=source, native_id=vid, platform="youtube", title=title or None,
                text=html_to_text(sn.get("description")) if isinstance(sn.get("description"), str) else "",
                created_at=parse_dt(sn.get("publishedAt")), url=f"https://www.youtube.com/watch?v={vid}",
                author=sn.get("channelTitle") if isinstance(sn.get("channelTitle"), str) else None,
                raw={"videoId": vid, "channelId": sn.get("channelId"), "publishedAt": sn.get("publishedAt"),
                     "title": sn.get("title"), "description": sn.get("description")},
            )
        except Exception as exc:  # one bad item must not cost the others
            out.reject(exc, item)
            continue
        out.posts.append(post)
        out.extra["videos"][vid] = post.created_at.isoformat()
    return out


class YoutubeSearchCollector:
    """search.list per campaign keyword (regionCode, relevanceLanguage, order=date, publishedAfter the newest video
    already seen), then commentThreads of every found video for `watch_days` (at most `max_videos`, newest first).

    Cursor: {"queries": {q: newest publishedAt}, "watch": {videoId: publishedAt}, "videos": <YoutubeCollector cursor>}.
    Quota: a search.list call costs 100 units of the default 10,000/day, a commentThreads page 1; both are counted in
    this source's quota (the comment reader shares it)."""
    type = "youtube-search"

    def __init__(self, *, queries: Sequence[str], api_key: str | None, campaigns: Sequence[Campaign], http: HttpClient,
                 name: str | None = None, interval_seconds: float = 3600, region_code: str = "ID",
                 relevance_language: str = "id", search_pages: int = 1, max_results: int = 50, watch_days: float = 7,
                 max_videos: int = 50, comment_pages: int = 3, only_matching: bool = False, api_url: str = SEARCH_API,
                 comments_api_url: str = API, now=None, daily_units: int = 10_000, clock=None):
        from datetime import datetime, timezone
        self.quota = units_quota(daily_units, clock)
        self.queries = list(dict.fromkeys(q.strip() for q in queries if q.strip()))
        self.api_key, self.campaigns, self.http = api_key, list(campaigns), http
        self.name = name or "youtube:search"
        self.interval_seconds, self.region_code, self.relevance_language = interval_seconds, region_code, relevance_language
        self.search_pages, self.max_results = max(search_pages, 1), min(max(max_results, 1), 50)
        self.watch_days, self.max_videos, self.comment_pages = watch_days, max(max_videos, 1), max(comment_pages, 1)
        self.only_matching, self.api_url, self.comments_api_url = only_matching, api_url, comments_api_url
        self.now = now or (lambda: datetime.now(timezone.utc))

    def _search(self, query: str, published_after: str) -> Parsed:
        found, token = Parsed(extra={"videos": {}}), None
        seen: set[str] = set()
        for _ in range(self.search_pages):
            params = {"part": "snippet", "type": "video", "q": query, "regionCode": self.region_code,
                      "relevanceLanguage": self.relevance_language, "order": "date", "maxResults": self.max_results,
                      "publishedAfter": published_after, "key": self.api_key}
            if token:
                params["pageToken"] = token
            self.quota.spend("units", SEARCH_UNITS)
            fetched = self.http.get(self.api_url, params=params, respect_robots=False, ok_statuses=(200, 400, 403))
            if fetched.status != 200:
                raise api_error(f"YouTube search {fetched.status}", fetched, self.quota)
            page = parse_search_results(fetched.text, source=self.name, campaigns=self.campaigns)
            found.rejects += page.rejects
            if page.extra.get("unparseable"):
                raise YoutubeApiError(f"YouTube search answer unreadable: {page.rejects[0].reason}")
            for p in page.posts:
                if p.native_id not in seen:  # consecutive pages can repeat a video
                    seen.add(p.native_id)
                    found.posts.append(p)
            found.extra["videos"].update(page.extra["videos"])
            token = page.extra["next"]
            if not token:
                break
        return found

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        from datetime import timedelta
        if not self.api_key:
            raise YoutubeApiError("no YouTube API key configured (api_key or YOUTUBE_API_KEY)")
        state = {"queries": {}, "watch": {}, "videos": {}, **(cursor or {})}
        horizon = self.now() - timedelta(days=self.watch_days)
        for query in self.queries:
            after = state["queries"].get(query) or horizon.isoformat().replace("+00:00", "Z")
            found = self._search(query, after)
            if not found.posts:
                if found.rejects:
                    yield Batch(rejects=found.rejects)
                continue
            newest = max(p.created_at for p in found.posts).isoformat().replace("+00:00", "Z")
            state = {**state, "queries": {**state["queries"], query: newest},
                     "watch": {**state["watch"], **found.extra["videos"]}}
            keep = [p for p in sorted(found.posts, key=lambda p: (p.created_at, p.native_id))
                    if not self.only_matching or p.campaigns]
            yield Batch(posts=keep, rejects=found.rejects, cursor=json.loads(json.dumps(state)))
        # comments of the videos still watched: the newest max_videos published within watch_days
        watch = sorted(((v, t) for v, t in state["watch"].items() if (parse_dt(t) or horizon) >= horizon),
                       key=lambda vt: vt[1], reverse=True)[:self.max_videos]
        state = {**state, "watch": dict(watch), "videos": {v: c for v, c in state["videos"].items() if v in dict(watch)}}
        comments = YoutubeCollector(video_ids=[v for v, _ in watch], api_key=self.api_key, campaigns=self.campaigns,
                                    http=self.http, name=self.name, max_pages=self.comment_pages,
                                    only_matching=self.only_matching, api_url=self.comments_api_url,
                                    quota=self.quota)
        for b in comments.collect({"videos": state["videos"]}):
            if b.cursor is not None:
                state = {**state, "videos": b.cursor["videos"]}
            yield Batch(posts=b.posts, rejects=b.rejects, skipped=b.skipped,
                        cursor=json.loads(json.dumps(state)) if b.cursor else None)
