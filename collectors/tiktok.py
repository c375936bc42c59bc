"""TikTok Research API: videos by keyword/hashtag in a region, then the comments of the videos found.

Auth: a client access token (`POST /v2/oauth/token/`, grant_type=client_credentials, valid `expires_in` seconds),
fetched when missing, a minute before it expires, and once more when TikTok answers `access_token_invalid`.

Videos: `POST /v2/research/video/query/?fields=…` with one query per campaign: region_code IN [ID] AND
(keyword IN [...] OR hashtag_name IN [...]), over a start_date..end_date window (UTC days, at most 30), paged by
`cursor` + `search_id` (`max_count` 100). Cursor per query: {"since": YYYYMMDD} once a window is read to its end
(the next window starts on that day again, since videos of the current day keep coming), or, while a window's pages
are being read, {"window": [start, end], "search_id": S, "cursor": N}, so a killed run resumes on the next page.
Comments: `POST /v2/research/video/comment/list/` for the videos found with comments (`comment_pages` pages each).

Quota (collectors.quota, kept in the source's state): 1,000 requests and 100,000 records per UTC day by default (TikTok's
documented research quota); a request is counted before it is sent, records when they arrive; `max_count` shrinks
to what is left. A 429 / `daily_quota_limit_exceeded` answer marks the day spent: the source waits for 00:00 UTC.
Videos without any text and empty comments are skipped and counted (`skipped` in GET /sources), not quarantined.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from collectors.base import Batch, Parsed, build_post, decode_json, nonneg_int, parse_dt
from collectors.http import CollectorHttpError, HttpClient
from collectors.quota import UTC_DAY, Limit, Quota, QuotaExhausted
from core.domain import Campaign, Engagement

API = "https://open.tiktokapis.com"
VIDEO_FIELDS = ("id,video_description,create_time,region_code,share_count,view_count,like_count,comment_count,"
                "music_id,hashtag_names,username,effect_ids,playlist_id,voice_to_text")
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
MAX_WINDOW_DAYS = 30  # the API refuses a longer start_date..end_date span
QUOTA_ERRORS = {"daily_quota_limit_exceeded"}


class TiktokApiError(CollectorHttpError):
    pass


def campaign_query(keywords: Sequence[str], hashtags: Sequence[str], region: str) -> dict | None:
    """region_code IN [region] AND (keyword IN [...] OR hashtag_name IN [...])."""
    ors = []
    if keywords:
        ors.append({"operation": "IN", "field_name": "keyword", "field_values": list(keywords)})
    if hashtags:
        ors.append({"operation": "IN", "field_name": "hashtag_name",
                    "field_values": [h.lstrip("#").lower() for h in hashtags]})
    if not ors:
        return None
    query: dict[str, Any] = {"and": [{"operation": "IN", "field_name": "region_code", "field_values": [region]}]}
    query["or"] = ors
    return query


def _envelope(payload: Any, out: Parsed, items_key: str) -> list | None:
    """{"data": {items_key: [...], "cursor", "has_more", "search_id"}, "error": {"code", "message", "log_id"}}."""
    body = decode_json(payload, out, dict, f"response is not a TikTok {items_key} answer")
    if body is None:
        return None
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    out.extra["error"] = (str(err.get("code") or "ok"), str(err.get("message") or ""))
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    items = data.get(items_key, [])
    if not isinstance(items, list):
        out.unparseable(f"response is not a TikTok {items_key} answer", body)
        return None
    out.extra["has_more"] = data.get("has_more") is True
    out.extra["cursor"] = nonneg_int(data.get("cursor"))
    out.extra["search_id"] = data.get("search_id") if isinstance(data.get("search_id"), str) else None
    out.extra["records"] = len(items)  # what the daily record quota counts
    return items



def video_url(username: Any, video_id: Any) -> str | None:
    return f"https://www.tiktok.com/@{username}/video/{video_id}" if isinstance(username, str) and username else None


def parse_videos(payload: Any, *, source: str, campaigns: Sequence[Campaign]) -> Parsed:
    """A video/query answer → posts (description, plus the spoken text when TikTok transcribed it).
    `extra["videos"]`: {video id: (username, comment_count)} of the posts."""
    out = Parsed()
    items = _envelope(payload, out, "videos")
    out.extra["videos"] = {}
    for video in items or []:
        try:
            if not isinstance(video, dict):
                raise ValueError("video is not an object")
            vid = video.get("id", video.get("video_id"))  # `video_id` in the reference's early examples
            desc = video.get("video_description") if isinstance(video.get("video_description"), str) else ""
            speech = video.get("voice_to_text") if isinstance(video.get("voice_to_text"), str) else ""
            if not (desc.strip() or speech.strip()) and vid not in (None, ""):
                out.skip("video without description or speech")
                continue
            user = video.get("username") if isinstance(video.get("username"), str) else None
            tags = [t for t in video.get("hashtag_names") or [] if isinstance(t, str)]
            post = build_post(
                campaigns, source=source, native_id=vid, platform="tiktok",
                text="\n\n".join(t.strip() for t in (desc, speech) if t.strip()),
                created_at=parse_dt(video.get("create_time")), url=video_url(user, vid),
                author=f"@{user}" if user else None, hashtags=tags or None,
                engagement=Engagement(likes=nonneg_int(video.get("like_count")),
                                      reposts=nonneg_int(video.get("share_count")),
                                      replies=nonneg_int(video.get("comment_count")),
                                      views=nonneg_int(video.get("view_count"))),
                raw={k: video.get(k) for k in ("id", "video_id", "region_code", "create_time", "username",
                                               "music_id", "playlist_id", "effect_ids", "video_description",
                                               "voice_to_text") if k in video},
            )
        except Exception as exc:  # one bad video must not cost the others
            out.reject(exc, video)
            continue
        out.posts.append(post)
        out.extra["videos"][post.native_id] = (user, nonneg_int(video.get("comment_count")))
    return out


def parse_comments(payload: Any, *, source: str, campaigns: Sequence[Campaign], username: str | None = None) -> Parsed:
    """A video/comment/list answer → posts (a comment's link is its video's; the API names no comment author)."""
    out = Parsed()
    for comment in _envelope(payload, out, "comments") or []:
        try:
            if not isinstance(comment, dict):
                raise ValueError("comment is not an object")
            text = comment.get("text") if isinstance(comment.get("text"), str) else ""
            if not text.strip():
                out.skip("empty comment")
                continue
            vid = comment.get("video_id")
            post = build_post(
                campaigns, source=source, native_id=comment.get("id"), platform="tiktok", text=text,
                created_at=parse_dt(comment.get("create_time")), url=video_url(username, vid),
                engagement=Engagement(likes=nonneg_int(comment.get("like_count")),
                                      replies=nonneg_int(comment.get("reply_count"))),
                raw={"id": comment.get("id"), "video_id": vid, "parent_comment_id": comment.get("parent_comment_id"),
                     "create_time": comment.get("create_time")},
            )
        except Exception as exc:
            out.reject(exc, comment)
            continue
        out.posts.append(post)
    return out


def _ymd(dt: datetime) -> str:
    return dt.strftime("%Y%m%d")


def _day(ymd: str) -> datetime:
    return datetime.strptime(ymd, "%Y%m%d").replace(tzinfo=timezone.utc)


class TiktokCollector:
    type = "tiktok"

    def __init__(self, *, queries: Sequence[dict], client_key: str | None, client_secret: str | None,
                 campaigns: Sequence[Campaign], http: HttpClient, name: str | None = None,
                 interval_seconds: float = 3600, lookback_days: int = 7, max_pages: int = 5, comment_videos: int = 10,
                 comment_pages: int = 1, daily_requests: int = 1000, daily_records: int = 100_000,
                 max_requests_per_run: int = 40, only_matching: bool = False, api_url: str = API,
                 clock: Callable[[], float] | None = None):
        import time
        self.queries = [q for q in queries if q]
        self.client_key, self.client_secret = client_key, client_secret
        self.campaigns, self.http, self.name = list(campaigns), http, name or "tiktok:research"
        self.interval_seconds, self.lookback_days = interval_seconds, min(max(lookback_days, 1), MAX_WINDOW_DAYS)
        self.max_pages, self.comment_videos, self.comment_pages = max(max_pages, 1), comment_videos, comment_pages
        self.max_requests_per_run, self.only_matching = max(max_requests_per_run, 1), only_matching
        self.api_url, self.clock = api_url.rstrip("/"), clock or time.time
        self.quota = Quota({"requests": Limit(daily_requests, UTC_DAY), "records": Limit(daily_records, UTC_DAY)},
                           clock=self.clock)
        self._token: tuple[str, float] | None = None

    # --- auth ----------------------------------------------------------------------------------------
    def _access_token(self, renew: bool = False) -> str:
        if not (self.client_key and self.client_secret):
            raise TiktokApiError("no TikTok Research API client configured (client_key/client_secret or "
                                 "TIKTOK_CLIENT_KEY/TIKTOK_CLIENT_SECRET)")
        if self._token and not renew and self._token[1] - 60 > self.clock():
            return self._token[0]
        fetched = self.http.post(self.api_url + "/v2/oauth/token/", ok_statuses=(200, 400, 401, 403), data={
            "client_key": self.client_key, "client_secret": self.client_secret, "grant_type": "client_credentials"})
        body = decode_json(fetched.text, Parsed()) if fetched.text else None
        token = body.get("access_token") if isinstance(body, dict) else None
        if fetched.status != 200 or not isinstance(token, str) or not token:
            why = (body or {}).get("error_description") or (body or {}).get("error") if isinstance(body, dict) else None
            raise TiktokApiError(f"TikTok token request refused ({fetched.status}): {why or fetched.text[:200]}",
                                 status=fetched.status)
        self._token = (token, self.clock() + float(nonneg_int(body.get("expires_in")) or 7200))
        return token

    # --- requests ------------------------------------------------------------------------------------
    def _post(self, path: str, fields: str, body: dict, parse: Callable[[str], Parsed]) -> Parsed:
        if self._run_requests >= self.max_requests_per_run:
            raise _RunBudgetSpent()
        for attempt in (0, 1):
            self.quota.spend("requests")  # counted before sending: a request the API saw is spent
            self._run_requests += 1
            fetched = self.http.post(self.api_url + path, params={"fields": fields}, json=body,
                                     headers={"Authorization": f"Bearer {self._access_token(renew=attempt > 0)}"},
                                     ok_statuses=(200, 400, 401, 403, 429))
            parsed = parse(fetched.text)
            code, message = parsed.extra.get("error") or ("", "")
            if fetched.status == 401 and attempt == 0:  # access_token_invalid / expired: one fresh token
                continue
            if fetched.status == 429 or code in QUOTA_ERRORS:
                self.quota.force("requests", 0)
                at = self.quota.frees_at("requests")
                raise QuotaExhausted(f"TikTok {code or 'rate limit'} ({message or fetched.status}): waiting until "
                                     f"{datetime.fromtimestamp(at, timezone.utc):%Y-%m-%d %H:%M} UTC", retry_at=at)
            if fetched.status != 200 or (code and code != "ok"):
                raise TiktokApiError(f"TikTok {path} {fetched.status}: {code}: {message}", status=fetched.status)
            if parsed.extra.get("unparseable"):
                raise TiktokApiError(f"TikTok {path} answer unreadable: {parsed.rejects[0].reason}")
            self._count_records(parsed.extra.get("records", 0))
            return parsed
        raise TiktokApiError(f"TikTok {path}: token refused twice")

    def _count_records(self, n: int) -> None:
        if n > self.quota.limits["records"].most - self.quota.used("records"):
            self.quota.force("records", n)  # TikTok sent more than max_count asked: the day is spent
        elif n:
            self.quota.spend("records", n)

    def _max_count(self) -> int:
        left = self.quota.limits["records"].most - self.quota.used("records")
        if left <= 0:
            self.quota.check("records")  # raises QuotaExhausted until 00:00 UTC
        return max(1, min(100, left))

    # --- collection ----------------------------------------------------------------------------------
    def _window(self, qstate: dict) -> tuple[str, str]:
        today = datetime.fromtimestamp(self.clock(), timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        if qstate.get("window"):
            return tuple(qstate["window"])
        since = _day(qstate["since"]) if qstate.get("since") else today - timedelta(days=self.lookback_days)
        since = min(since, today)
        end = min(today, since + timedelta(days=MAX_WINDOW_DAYS - 1))
        return _ymd(since), _ymd(end)


    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        self._run_requests = 0
        state = {"queries": {}, **(cursor or {})}
        state["queries"] = dict(state.get("queries") or {})
        with_comments: dict[str, tuple] = {}
        try:
            for query in self.queries:
                key = json.dumps(query, sort_keys=True)
                qstate = dict(state["queries"].get(key) or {})
                start, end = self._window(qstate)
                body = {"query": query, "start_date": start, "end_date": end, "max_count": 100}
                if qstate.get("search_id"):
                    body.update(search_id=qstate["search_id"], cursor=qstate.get("cursor") or 0)
                for _ in range(self.max_pages):
                    body["max_count"] = self._max_count()
                    parsed = self._post("/v2/research/video/query/", VIDEO_FIELDS, body,
                                        lambda text: parse_videos(text, source=self.name, campaigns=self.campaigns))
                    for vid, (user, n_comments) in parsed.extra["videos"].items():
                        if n_comments and len(with_comments) < self.comment_videos:
                            with_comments[vid] = (user, n_comments)
                    more = parsed.extra["has_more"] and parsed.extra["search_id"] and parsed.extra["cursor"] is not None
                    qcur = ({"window": [start, end], "search_id": parsed.extra["search_id"],
                             "cursor": parsed.extra["cursor"]} if more else {"since": end})
                    state = {**state, "queries": {**state["queries"], key: qcur}}
                    yield parsed.batch(state, self.only_matching)
                    if not more:
                        break
                    body.update(search_id=qcur["search_id"], cursor=qcur["cursor"])
            for vid, (user, _) in with_comments.items():
                yield from self._comments(vid, user)
        except _RunBudgetSpent:
            return  # this run's share of the daily quota is used: the rest waits for the next run

    def _comments(self, video_id: str, username: str | None) -> Iterator[Batch]:
        body: dict[str, Any] = {"video_id": int(video_id) if video_id.isdigit() else video_id, "max_count": 100,
                                "cursor": 0}
        for _ in range(self.comment_pages):
            body["max_count"] = self._max_count()
            parsed = self._post("/v2/research/video/comment/list/", COMMENT_FIELDS, body,
                                lambda text: parse_comments(text, source=self.name, campaigns=self.campaigns,
                                                            username=username))
            yield parsed.batch(None, self.only_matching)  # comments are re-read while the video is found again: no cursor
            if not parsed.extra["has_more"] or parsed.extra["cursor"] is None:
                break
            body["cursor"] = parsed.extra["cursor"]


class _RunBudgetSpent(Exception):
    """This run has sent its `max_requests_per_run`."""
