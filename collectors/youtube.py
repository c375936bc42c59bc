"""YouTube Data API v3 commentThreads for configured videos (API key from config or env).

Cursor: {"videos": {video_id: {"latest": ISO publishedAt, "ids": [thread ids at that instant]}}}.
Pages (order=time, newest first) are followed by nextPageToken until the cursor is reached, then emitted
oldest→newest, one batch per page-sized chunk.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from collectors.base import Batch, Parsed, Reject, build_post, decode_json, html_to_text, nonneg_int, parse_dt
from collectors.http import CollectorHttpError, HttpClient
from service.domain import Campaign, Engagement

log = logging.getLogger(__name__)
API = "https://www.googleapis.com/youtube/v3/commentThreads"
SKIP_REASONS = {"commentsDisabled", "videoNotFound", "forbidden", "channelNotFound"}


class YoutubeApiError(CollectorHttpError):
    pass


def parse_comment_threads(payload: Any, *, source: str, campaigns: Sequence[Campaign]) -> Parsed:
    out = Parsed()
    payload = decode_json(payload, out)
    if out.extra.get("unparseable"):
        return out
    if not isinstance(payload, dict) or not isinstance(payload.get("items", []), list):
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


class YoutubeCollector:
    type = "youtube"

    def __init__(self, *, video_ids: Sequence[str], api_key: str | None, campaigns: Sequence[Campaign], http: HttpClient,
                 name: str | None = None, interval_seconds: float = 600, max_pages: int = 10,
                 only_matching: bool = False, api_url: str = API):
        self.video_ids = list(dict.fromkeys(video_ids))
        self.api_key, self.campaigns, self.http = api_key, list(campaigns), http
        self.name = name or "youtube:comments"
        self.interval_seconds, self.max_pages, self.only_matching, self.api_url = interval_seconds, max_pages, only_matching, api_url
        self.empty_skipped = 0  # comments with no text (removed/emptied), skipped rather than quarantined

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
                fetched = self.http.get(self.api_url, params=params, respect_robots=False, ok_statuses=(200, 403, 404))
                if fetched.status != 200:
                    reason = _error_reason(fetched.text)
                    if reason in SKIP_REASONS:
                        rejects.append(Reject(f"video {vid} skipped: {reason}", fetched.text))
                        break
                    raise YoutubeApiError(f"YouTube API {fetched.status}: {reason}", status=fetched.status)
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
            if empty:
                self.empty_skipped += empty
                log.info("%s: video %s: %d empty comments skipped", self.name, vid, empty)
            if rejects and not gathered:
                yield Batch(rejects=rejects)
            for i in range(0, len(gathered), 100):
                chunk = gathered[i:i + 100]
                newest = chunk[-1].created_at
                at = [p.native_id for p in chunk if p.created_at == newest]
                if latest_dt is not None and newest == latest_dt:
                    at = sorted(ids_at_latest | set(at))
                latest_dt, ids_at_latest = newest, set(at)
                state = {**state, "videos": {**state["videos"], vid: {"latest": newest.isoformat(), "ids": sorted(at)}}}
                keep = [p for p in chunk if not self.only_matching or p.campaigns]
                yield Batch(posts=keep, rejects=rejects if i == 0 else [], cursor=json.loads(json.dumps(state)))
