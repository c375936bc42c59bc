"""Meta Graph API: Instagram hashtag media and Facebook public Page posts with their comments.

One `GraphClient` for both: the access token goes in the Authorization header (never in a URL that could reach a
log or `GET /sources`); calls are counted against `hourly_calls` (Graph's platform limit: 200 calls per hour per
user) before they are sent; the `X-App-Usage` / `X-Business-Use-Case-Usage` headers are read after each call and at
95% of any share the source stops until Meta's `estimated_time_to_regain_access` (else an hour). Graph's error
envelope `{"error": {"code", "error_subcode", "message", "type", "fbtrace_id"}}` is mapped: codes 4, 17, 32 and 613
(app, user, Page and custom rate limits) back off for an hour (or Meta's estimate); 190 (token expired or invalid)
makes the source unhealthy at once with "renew the token"; others fail the run with Meta's message.
Paging follows `paging.cursors.after`, else the query of `paging.next` (`until`, `__paging_token`, ...) re-sent to
the configured API host: a host or path taken from a response is never requested.

Instagram (`InstagramHashtagCollector`): `ig_hashtag_search?user_id=…&q=…` → hashtag id (cached in the cursor), then
`/{hashtag-id}/recent_media` and `/top_media` with fields id, caption, media_type, permalink, timestamp, like_count,
comments_count. Instagram allows 30 unique hashtags per account in a rolling 7 days: each hashtag is counted in the
source's quota (its state) when first queried; a hashtag beyond the 30 is refused and the source reports it unhealthy
(naming the refused hashtags and when a slot frees), after collecting the others.

Facebook (`FacebookPagesCollector`): `/{page}/posts` (since the newest post seen; a catch-up larger than `max_pages`
is finished next round between `since` and `until`, never skipped), then `/{post-id}/comments` of the newest
`comment_posts` posts found. Posts without a message, media without caption and empty comments are skipped and
counted (`skipped` in GET /sources).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

from collectors.base import Batch, Parsed, build_post, decode_json, nonneg_int, parse_dt
from collectors.http import CollectorHttpError, HttpClient
from collectors.quota import Limit, Quota, QuotaExhausted
from core.domain import Campaign, Engagement

GRAPH = "https://graph.facebook.com"
RATE_LIMIT_CODES = {4: "application", 17: "user", 32: "Page", 613: "custom"}
TOKEN_CODE = 190
USAGE_STOP = 95  # percent of any X-App-Usage / business-use-case share
IG_MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,like_count,comments_count"
FB_POST_FIELDS = ("id,message,created_time,permalink_url,from{id,name},shares,"
                  "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)")
FB_COMMENT_FIELDS = "id,message,created_time,like_count,comment_count,permalink_url,from{id,name}"
WEEK = 7 * 86400


class GraphApiError(CollectorHttpError):
    def __init__(self, message: str, status: int | None = None, unhealthy: bool = False):
        super().__init__(message, status=status)
        self.unhealthy = unhealthy


def _usage_wait(headers) -> float | None:
    """Seconds to stop for when X-App-Usage / X-Business-Use-Case-Usage report a share at USAGE_STOP% or more."""
    shares, regain = [], 0.0
    for name in ("x-app-usage", "x-ad-account-usage", "x-business-use-case-usage"):
        try:
            value = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        blocks = [value] if isinstance(value, dict) and "call_count" in value else [
            b for v in (value or {}).values() if isinstance(v, list) for b in v] if isinstance(value, dict) else []
        for b in blocks:
            if isinstance(b, dict):
                shares += [x for k in ("call_count", "total_time", "total_cputime")
                           if isinstance(x := b.get(k), (int, float))]
                regain = max(regain, float(nonneg_int(b.get("estimated_time_to_regain_access")) or 0) * 60)
    if shares and max(shares) >= USAGE_STOP:
        return regain or 3600.0
    return None


def graph_error(status: int, text: str, now: float, headers=None) -> CollectorHttpError:
    """Graph's error envelope → a back-off (rate limits), an unhealthy source (token), or a plain failure."""
    try:
        err = json.loads(text).get("error") or {}
    except (ValueError, AttributeError):
        err = {}
    code = err.get("code") if isinstance(err, dict) else None
    message = str(err.get("message") or text[:200]) if isinstance(err, dict) else text[:200]
    if code in RATE_LIMIT_CODES or status == 429:
        wait = _usage_wait(headers or {}) or 3600.0
        return QuotaExhausted(f"Graph API {RATE_LIMIT_CODES.get(code, 'rate')} limit reached (code {code}): "
                              f"{message}; backing off {wait / 60:.0f} min", retry_at=now + wait)
    if code == TOKEN_CODE:
        return GraphApiError(f"Graph API access token expired or invalid (code 190, subcode "
                             f"{err.get('error_subcode')}): {message}; renew the token", status, unhealthy=True)
    return GraphApiError(f"Graph API {status} (code {code}): {message}", status)


class GraphClient:
    def __init__(self, *, access_token: str | None, http: HttpClient, api_url: str = GRAPH,
                 api_version: str = "v21.0", hourly_calls: int = 200, clock: Callable[[], float] | None = None,
                 limits: dict[str, Limit] | None = None):
        self.access_token, self.http = access_token, http
        self.base = f"{api_url.rstrip('/')}/{api_version.strip('/')}"
        self.clock = clock or time.time
        self.quota = Quota({"calls": Limit(hourly_calls, 3600), **(limits or {})}, clock=self.clock)
        self.paused_until = 0.0

    def call(self, path: str, params: dict | None = None) -> dict:
        if not self.access_token:
            raise GraphApiError("no Graph API access token configured (access_token or META_ACCESS_TOKEN)",
                                unhealthy=True)
        if self.paused_until > self.clock():
            raise QuotaExhausted(f"Graph API usage at {USAGE_STOP}% of Meta's limit: paused until "
                                 f"{datetime.fromtimestamp(self.paused_until, timezone.utc):%H:%M} UTC",
                                 retry_at=self.paused_until)
        self.quota.spend("calls")
        fetched = self.http.get(f"{self.base}/{path.lstrip('/')}", params=params, respect_robots=False,
                                headers={"Authorization": f"Bearer {self.access_token}"},
                                ok_statuses=(200, 400, 401, 403, 404, 429))
        if fetched.status != 200:
            raise graph_error(fetched.status, fetched.text, self.clock(), fetched.headers)
        wait = _usage_wait(fetched.headers)
        if wait:
            self.paused_until = self.clock() + wait
        out = Parsed()
        body = decode_json(fetched.text, out, dict, "Graph API answer is not an object")
        if body is None:
            raise GraphApiError(f"Graph API answer unreadable: {out.rejects[0].reason}")
        return body

    def pages(self, path: str, params: dict, max_pages: int) -> Iterator[tuple[list, bool]]:
        """(items, more) per page: `more` when the answer has a next page (not fetched beyond `max_pages`)."""
        params = dict(params)
        for _ in range(max_pages):
            body = self.call(path, params)
            items = body.get("data")
            if not isinstance(items, list):
                raise GraphApiError(f"Graph API answer for {path} has no data list")
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            nxt = next_params(paging)
            yield items, nxt is not None
            if nxt is None:
                return
            params = {**params, **nxt}


def next_params(paging: dict) -> dict | None:
    """The parameters of the next page: `after` from the cursors, else the query of `paging.next` (minus the token)."""
    if not isinstance(paging.get("next"), str):
        return None
    after = (paging.get("cursors") or {}).get("after") if isinstance(paging.get("cursors"), dict) else None
    if isinstance(after, str) and after:
        return {"after": after}
    query = dict(parse_qsl(urlsplit(paging["next"]).query, keep_blank_values=True))
    query.pop("access_token", None)
    return {k: v for k, v in query.items() if k not in ("fields", "pretty")} or None



def _summary(field: Any) -> int | None:
    return nonneg_int((field.get("summary") or {}).get("total_count")) if isinstance(field, dict) else None


def parse_media(items: list, *, source: str, campaigns: Sequence[Campaign], hashtag: str | None = None) -> Parsed:
    """Instagram hashtag media (fields IG_MEDIA_FIELDS) → posts."""
    out = Parsed()
    for media in items:
        try:
            if not isinstance(media, dict):
                raise ValueError("media is not an object")
            caption = media.get("caption") if isinstance(media.get("caption"), str) else ""
            if not caption.strip() and media.get("id"):
                out.skip("media without caption")
                continue
            post = build_post(
                campaigns, source=source, native_id=media.get("id"), platform="instagram", text=caption,
                created_at=parse_dt(media.get("timestamp")),
                url=media.get("permalink") if isinstance(media.get("permalink"), str) else None,
                engagement=Engagement(likes=nonneg_int(media.get("like_count")),
                                      replies=nonneg_int(media.get("comments_count"))),
                raw={"id": media.get("id"), "media_type": media.get("media_type"), "timestamp": media.get("timestamp"),
                     "permalink": media.get("permalink"), "hashtag": hashtag},
            )
        except Exception as exc:  # one bad item must not cost the others
            out.reject(exc, media)
            continue
        out.posts.append(post)
    return out


def _comment_id(item: dict) -> Any:
    """A comment's id; some recorded answers carry only the permalink (…?comment_id=N)."""
    if item.get("id") not in (None, ""):
        return item.get("id")
    link = item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else ""
    return dict(parse_qsl(urlsplit(link).query)).get("comment_id")


def parse_fb(items: list, *, source: str, campaigns: Sequence[Campaign], kind: str, page: str | None = None) -> Parsed:
    """Facebook Page posts (`kind="post"`, fields FB_POST_FIELDS) or comments (`kind="comment"`) → posts."""
    out = Parsed()
    for item in items:
        try:
            if not isinstance(item, dict):
                raise ValueError(f"{kind} is not an object")
            text = item.get("message") if isinstance(item.get("message"), str) else ""
            native = _comment_id(item) if kind == "comment" else item.get("id")
            if not text.strip() and native not in (None, ""):
                out.skip(f"{kind} without message")
                continue
            who = item.get("from") if isinstance(item.get("from"), dict) else {}
            if kind == "post":
                eng = Engagement(likes=_summary(item.get("reactions")), replies=_summary(item.get("comments")),
                                 reposts=nonneg_int((item.get("shares") or {}).get("count"))
                                 if isinstance(item.get("shares"), dict) else None)
            else:
                eng = Engagement(likes=nonneg_int(item.get("like_count")), replies=nonneg_int(item.get("comment_count")))
            post = build_post(
                campaigns, source=source, native_id=native, platform="facebook", text=text,
                created_at=parse_dt(item.get("created_time")),
                url=item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else None,
                author=who.get("name") if isinstance(who.get("name"), str) else page, engagement=eng,
                raw={"id": native, "kind": kind, "created_time": item.get("created_time"), "from": who or None,
                     "page": page, "message": text},
            )
        except Exception as exc:
            out.reject(exc, item)
            continue
        out.posts.append(post)
    return out


class _GraphCollector:
    def __init__(self, *, access_token: str | None, campaigns: Sequence[Campaign], http: HttpClient,
                 interval_seconds: float, api_url: str, api_version: str, hourly_calls: int, max_pages: int,
                 only_matching: bool, clock, limits: dict[str, Limit] | None = None):
        self.graph = GraphClient(access_token=access_token, http=http, api_url=api_url, api_version=api_version,
                                 hourly_calls=hourly_calls, clock=clock, limits=limits)
        self.quota, self.clock = self.graph.quota, self.graph.clock
        self.campaigns, self.http = list(campaigns), http
        self.interval_seconds, self.max_pages, self.only_matching = interval_seconds, max(max_pages, 1), only_matching



class InstagramHashtagCollector(_GraphCollector):
    type = "instagram"

    def __init__(self, *, hashtags: Sequence[str], user_id: str | None, name: str | None = None,
                 interval_seconds: float = 3600, edges: Sequence[str] = ("recent_media", "top_media"),
                 weekly_hashtags: int = 30, api_url: str = GRAPH, api_version: str = "v21.0",
                 hourly_calls: int = 200, max_pages: int = 2, only_matching: bool = False, clock=None, **kw):
        super().__init__(interval_seconds=interval_seconds, api_url=api_url, api_version=api_version,
                         hourly_calls=hourly_calls, max_pages=max_pages, only_matching=only_matching, clock=clock,
                         limits={"hashtags": Limit(weekly_hashtags, WEEK, distinct=True)}, **kw)
        self.hashtags = list(dict.fromkeys(h.lstrip("#").lower() for h in hashtags if h.strip("# ")))
        self.user_id, self.edges, self.name = user_id, list(edges), name or "instagram:hashtags"

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        if not self.user_id:
            raise GraphApiError("no Instagram user id configured (user_id or IG_USER_ID)", unhealthy=True)
        state = {"ids": {}, "newest": {}, **(cursor or {})}
        refused: list[str] = []
        for tag in self.hashtags:
            try:
                self.quota.spend("hashtags", key=tag)  # counts for 7 days from its first query
            except QuotaExhausted:
                refused.append(tag)
                continue
            hid = state["ids"].get(tag)
            if not hid:
                found = self.graph.call("ig_hashtag_search", {"user_id": self.user_id, "q": tag}).get("data") or []
                hid = found[0].get("id") if found and isinstance(found[0], dict) else None
                if not hid:
                    yield Batch(skipped={"hashtag unknown to Instagram": 1})
                    continue
                state = {**state, "ids": {**state["ids"], tag: str(hid)}}
            state = yield from self._hashtag(tag, str(hid), state)
        if refused:
            frees = datetime.fromtimestamp(self.quota.frees_at("hashtags"), timezone.utc)
            raise QuotaExhausted(
                f"Instagram allows {self.quota.limits['hashtags'].most} unique hashtags per 7 days: refused "
                f"{', '.join('#' + t for t in refused)} ({len(self.hashtags)} configured); next slot frees "
                f"{frees:%Y-%m-%d %H:%M} UTC", retry_at=self.clock() + self.interval_seconds, unhealthy=True)

    def _hashtag(self, tag: str, hid: str, state: dict):
        """Yields the hashtag's batches and returns the cursor state after them. recent_media (newest first) is read
        down to the newest media an earlier run stored, gathered, and emitted once with the cursor moved to its
        newest media, so a crash mid-way re-reads rather than skips; top_media is emitted as it comes."""
        seen = parse_dt(state["newest"].get(tag))
        params = {"user_id": self.user_id, "fields": IG_MEDIA_FIELDS, "limit": 50}
        for edge in self.edges:
            gathered = Parsed()
            for items, _ in self.graph.pages(f"{hid}/{edge}", params, self.max_pages):
                parsed = parse_media(items, source=self.name, campaigns=self.campaigns, hashtag=tag)
                if edge == "top_media":
                    yield parsed.batch(state, self.only_matching)
                    continue
                gathered.absorb(parsed, [p for p in parsed.posts if seen is None or p.created_at >= seen])
                if seen is not None and any(p.created_at < seen for p in parsed.posts):
                    break  # reached what an earlier run stored
            if edge == "recent_media" and (gathered.posts or gathered.rejects or gathered.extra):
                top = max([p.created_at for p in gathered.posts] + ([seen] if seen else []), default=None)
                if top is not None:
                    state = {**state, "newest": {**state["newest"], tag: top.isoformat()}}
                gathered.posts.sort(key=lambda p: (p.created_at, p.native_id))
                yield gathered.batch(state, self.only_matching)
        return state


class FacebookPagesCollector(_GraphCollector):
    type = "facebook"

    def __init__(self, *, pages: Sequence[str], name: str | None = None, interval_seconds: float = 900,
                 comment_posts: int = 10, comment_pages: int = 1, api_url: str = GRAPH, api_version: str = "v21.0",
                 hourly_calls: int = 200, max_pages: int = 2, only_matching: bool = False, clock=None, **kw):
        super().__init__(interval_seconds=interval_seconds, api_url=api_url, api_version=api_version,
                         hourly_calls=hourly_calls, max_pages=max_pages, only_matching=only_matching, clock=clock, **kw)
        self.pages = list(dict.fromkeys(p.strip() for p in pages if p.strip()))
        self.name = name or "facebook:pages"
        self.comment_posts, self.comment_pages = comment_posts, max(comment_pages, 1)

    def collect(self, cursor: dict | None) -> Iterator[Batch]:
        state = {"pages": {}, **(cursor or {})}
        state["pages"] = dict(state.get("pages") or {})
        recent: list = []
        for page in self.pages:
            pstate = dict(state["pages"].get(page) or {})
            params: dict[str, Any] = {"fields": FB_POST_FIELDS, "limit": 100}
            if pstate.get("since"):
                params["since"] = pstate["since"]
            if pstate.get("until"):
                params["until"] = pstate["until"]
            gathered, more = Parsed(), False
            for items, more in self.graph.pages(f"{quote(page, safe='')}/posts", params, self.max_pages):
                gathered.absorb(parse_fb(items, source=self.name, campaigns=self.campaigns, kind="post", page=page))
            posts = sorted(gathered.posts, key=lambda p: (p.created_at, p.native_id))
            if not posts:
                if gathered.rejects or gathered.extra:
                    yield gathered.batch(None)
                continue
            newest = max(int(posts[-1].created_at.timestamp()), int(pstate.get("high") or 0))
            if more and pstate.get("since"):  # more backlog than max_pages: the gap (since, oldest) comes next round
                pcur = {"since": pstate["since"], "until": int(posts[0].created_at.timestamp()), "high": newest}
            else:
                pcur = {"since": newest}
            state = {**state, "pages": {**state["pages"], page: pcur}}
            gathered.posts = posts
            yield gathered.batch(state, self.only_matching)
            recent += posts
        recent.sort(key=lambda p: p.created_at, reverse=True)
        for post in recent[:self.comment_posts]:
            for items, _ in self.graph.pages(f"{quote(post.native_id, safe='')}/comments",
                                             {"fields": FB_COMMENT_FIELDS, "filter": "stream", "limit": 100},
                                             self.comment_pages):
                yield parse_fb(items, source=self.name, campaigns=self.campaigns, kind="comment",
                               page=(post.raw or {}).get("page")).batch(None, self.only_matching)
