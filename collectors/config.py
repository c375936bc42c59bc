"""Source configuration: the `sources:` list of the project YAML, validated with pydantic.

Each entry has `type: rss|telegram|mastodon|bluesky|youtube|youtube-search|gdelt|x|x-stream|tiktok|instagram|facebook`,
its own fields and `interval_seconds`. Mastodon tags, Telegram search terms, Bluesky terms, GDELT and X queries, X
stream rules, YouTube search keywords, TikTok queries and Instagram hashtags come from the campaigns'
hashtags/keywords (and accounts, for X) when not configured. A credential is given in the entry or read from the
environment variable its `*_env` field names.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from core.domain import Campaign


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, description="Collector instance name; derived when omitted")
    enabled: bool = True
    interval_seconds: float = Field(default=600, gt=0)


def _needs_one(source: "_Source", one: str, many: str) -> "_Source":
    if not getattr(source, one) and not getattr(source, many):
        raise ValueError(f"{source.type} source needs {one} or {many}")
    return source


class RssSource(_Source):
    type: Literal["rss"]
    url: str | None = None
    urls: list[str] = Field(default_factory=list)
    factcheck: bool = Field(default=False, description="Items are fact-checks: also emit known debunked claims")
    fetch_claimreview: bool = False
    only_matching: bool = False
    respect_robots: bool = True

    _one = model_validator(mode="after")(lambda self: _needs_one(self, "url", "urls"))


class TelegramSource(_Source):
    type: Literal["telegram"]
    interval_seconds: float = Field(default=300, gt=0)
    channel: str | None = None
    channels: list[str] = Field(default_factory=list)
    search_terms: list[str] | None = Field(default=None, description="None → campaign keywords/hashtags; [] → none")
    backfill_pages: int = Field(default=1, ge=1, le=50)
    max_pages: int = Field(default=20, ge=1, le=200)
    refresh_engagement: bool = True
    only_matching: bool = False

    _one = model_validator(mode="after")(lambda self: _needs_one(self, "channel", "channels"))


class MastodonSource(_Source):
    type: Literal["mastodon"]
    interval_seconds: float = Field(default=300, gt=0)
    instance: str = "mastodon.social"
    tags: list[str] | None = Field(default=None, description="None → campaign hashtags")
    access_token: str | None = None
    backfill_pages: int = Field(default=1, ge=1, le=50)
    max_pages: int = Field(default=25, ge=1, le=500)
    only_matching: bool = False


class BlueskySource(_Source):
    type: Literal["bluesky"]
    interval_seconds: float = Field(default=60, gt=0)
    endpoint: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    langs: list[str] = Field(default_factory=lambda: ["id", "en"])
    terms: list[str] | None = Field(default=None, description="None → campaign keywords + #hashtags")
    max_frames: int = Field(default=20000, ge=1)
    max_seconds: float = Field(default=50, gt=0)
    batch_size: int = Field(default=200, ge=1)


class _YoutubeSource(_Source):
    api_key: str | None = None
    api_key_env: str = "YOUTUBE_API_KEY"
    daily_units: int = Field(default=10_000, ge=1, description="This source's share of the key's daily quota units")
    only_matching: bool = False


class YoutubeSource(_YoutubeSource):
    type: Literal["youtube"]
    video_ids: list[str] = Field(min_length=1)
    max_pages: int = Field(default=10, ge=1, le=100)


class YoutubeSearchSource(_YoutubeSource):
    type: Literal["youtube-search"]
    interval_seconds: float = Field(default=3600, gt=0, description="search.list costs 100 of 10,000 daily units")
    queries: list[str] | None = Field(default=None, description="None → campaign keywords")
    region_code: str = "ID"
    relevance_language: str = "id"
    search_pages: int = Field(default=1, ge=1, le=10)
    watch_days: float = Field(default=7, gt=0)
    max_videos: int = Field(default=50, ge=1, le=500)
    comment_pages: int = Field(default=3, ge=1, le=100)


class _XSource(_Source):
    bearer_token: str | None = None
    bearer_token_env: str = "X_BEARER_TOKEN"


class XSource(_XSource):
    type: Literal["x"]
    interval_seconds: float = Field(default=300, gt=0)
    archive: bool = Field(default=False, description="Full-archive search (/2/tweets/search/all): Pro/Enterprise")
    queries: list[str] | None = Field(default=None, description="None → one query per campaign")
    extra_query: str = Field(default="", description="Appended to every query, e.g. 'lang:in -is:retweet'")
    start_time: str | None = Field(default=None, description="First run of an archive search: from this instant")
    max_results: int = Field(default=100, ge=10, le=500)
    backfill_pages: int = Field(default=1, ge=1, le=50)
    max_pages: int = Field(default=10, ge=1, le=300)
    only_matching: bool = False


class XStreamSource(_XSource):
    type: Literal["x-stream"]
    interval_seconds: float = Field(default=60, gt=0)
    extra_rule: str = Field(default="", description="Appended to every campaign rule, e.g. 'lang:in'")
    max_seconds: float = Field(default=50, gt=0)
    batch_size: int = Field(default=100, ge=1)
    backfill_minutes: int = Field(default=0, ge=0, le=5, description="Pro/Enterprise: replay after a disconnect")


class GdeltSource(_Source):
    type: Literal["gdelt"]
    interval_seconds: float = Field(default=900, gt=0)
    queries: list[str] | None = Field(default=None, description="None → one query per campaign")
    extra_query: str = Field(default="sourcecountry:indonesia", description="Appended to every query ('' for none)")
    maxrecords: int = Field(default=250, ge=1, le=250)
    lookback_hours: int = Field(default=24, ge=1, le=24 * 90)


class TiktokSource(_Source):
    type: Literal["tiktok"]
    interval_seconds: float = Field(default=3600, gt=0)
    client_key: str | None = None
    client_key_env: str = "TIKTOK_CLIENT_KEY"
    client_secret: str | None = None
    client_secret_env: str = "TIKTOK_CLIENT_SECRET"
    keywords: list[str] | None = Field(default=None, description="None → one query per campaign")
    hashtags: list[str] | None = Field(default=None, description="None → one query per campaign")
    region_code: str = "ID"
    lookback_days: int = Field(default=7, ge=1, le=30)
    max_pages: int = Field(default=5, ge=1, le=100)
    comment_videos: int = Field(default=10, ge=0, le=1000)
    comment_pages: int = Field(default=1, ge=1, le=100)
    daily_requests: int = Field(default=1000, ge=1, description="TikTok's research quota: 1,000 requests/day")
    daily_records: int = Field(default=100_000, ge=1)
    max_requests_per_run: int = Field(default=40, ge=1)
    only_matching: bool = False


class _GraphSource(_Source):
    access_token: str | None = None
    access_token_env: str = "META_ACCESS_TOKEN"
    api_version: str = "v21.0"
    hourly_calls: int = Field(default=200, ge=1, description="Graph API: 200 calls per hour per user/app")
    max_pages: int = Field(default=2, ge=1, le=50)
    only_matching: bool = False


class InstagramSource(_GraphSource):
    type: Literal["instagram"]
    interval_seconds: float = Field(default=3600, gt=0)
    user_id: str | None = Field(default=None, description="The Instagram professional account id making the calls")
    user_id_env: str = "IG_USER_ID"
    hashtags: list[str] | None = Field(default=None, description="None → campaign hashtags")
    edges: list[Literal["recent_media", "top_media"]] = Field(default_factory=lambda: ["recent_media", "top_media"])
    weekly_hashtags: int = Field(default=30, ge=1, le=30, description="Instagram: 30 unique hashtags / 7 days")


class FacebookSource(_GraphSource):
    type: Literal["facebook"]
    interval_seconds: float = Field(default=900, gt=0)
    pages: list[str] = Field(min_length=1, description="Public Page ids or usernames")
    comment_posts: int = Field(default=10, ge=0, le=100, description="Newest posts whose comments are read per run")
    comment_pages: int = Field(default=1, ge=1, le=50)


SourceConfig = Annotated[Union[RssSource, TelegramSource, MastodonSource, BlueskySource, YoutubeSource,
                               YoutubeSearchSource, GdeltSource, XSource, XStreamSource, TiktokSource,
                               InstagramSource, FacebookSource], Field(discriminator="type")]
_ADAPTER = TypeAdapter(list[SourceConfig])


def parse_sources(data: Sequence[Any] | dict | None) -> list[Any]:
    """Validate a `sources:` list (or a whole config dict that has one). Models pass through unchanged."""
    if data is None:
        return []
    if isinstance(data, dict):
        data = data.get("sources") or []
    items = [d.model_dump() if isinstance(d, BaseModel) else d for d in data]
    return _ADAPTER.validate_python(items)


def load_sources(path: str | Path) -> list[Any]:
    return parse_sources(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


# --- campaign-derived terms ------------------------------------------------------------------------

def campaign_hashtags(campaigns: Sequence[Campaign]) -> list[str]:
    return list(dict.fromkeys(h for c in campaigns for h in c.hashtags))


def campaign_keywords(campaigns: Sequence[Campaign]) -> list[str]:
    return list(dict.fromkeys(k.strip() for c in campaigns for k in c.keywords if k.strip()))


def build_collectors(source_configs: Sequence[Any], campaigns: Sequence[Campaign], http, *,
                     jetstream_connect=None, clock=None) -> list:
    """Config entries → ready collectors (one per feed URL / channel; one per instance, video list, query set).
    `clock` (epoch seconds; default time.time) drives the quota windows of YouTube, TikTok and the Graph API sources
    and X's rate-limit resets."""
    from collectors.bluesky import BlueskyCollector
    from collectors.gdelt import GdeltCollector
    from collectors.mastodon import MastodonCollector
    from collectors.rss import RssCollector, default_name
    from collectors.telegram import TelegramCollector
    from collectors.x import XSearchCollector, XStreamCollector, campaign_query
    from collectors.youtube import YoutubeCollector, YoutubeSearchCollector
    from collectors import graph, tiktok

    campaigns = list(campaigns)
    out: list = []
    for cfg in parse_sources(source_configs):
        if not cfg.enabled:
            continue
        if isinstance(cfg, RssSource):
            urls = list(dict.fromkeys(([cfg.url] if cfg.url else []) + cfg.urls))
            names = [default_name(u) for u in urls]
            for u, n in zip(urls, names):
                if cfg.name and len(urls) == 1:
                    n = cfg.name
                elif names.count(n) > 1 or cfg.name:
                    from urllib.parse import urlsplit
                    n = f"{cfg.name or n}{urlsplit(u).path.rstrip('/')}"
                out.append(RssCollector(name=n, url=u, campaigns=campaigns, http=http,
                                        interval_seconds=cfg.interval_seconds, factcheck=cfg.factcheck,
                                        fetch_claimreview=cfg.fetch_claimreview, only_matching=cfg.only_matching,
                                        respect_robots=cfg.respect_robots))
        elif isinstance(cfg, TelegramSource):
            terms = cfg.search_terms if cfg.search_terms is not None else (
                campaign_keywords(campaigns) + [f"#{h}" for h in campaign_hashtags(campaigns)])
            chans = list(dict.fromkeys(([cfg.channel] if cfg.channel else []) + cfg.channels))
            for ch in chans:
                out.append(TelegramCollector(
                    channel=ch, campaigns=campaigns, http=http,
                    name=cfg.name if (cfg.name and len(chans) == 1) else None,
                    interval_seconds=cfg.interval_seconds, search_terms=terms, backfill_pages=cfg.backfill_pages,
                    max_pages=cfg.max_pages, refresh_engagement=cfg.refresh_engagement,
                    only_matching=cfg.only_matching))
        elif isinstance(cfg, MastodonSource):
            tags = cfg.tags if cfg.tags is not None else campaign_hashtags(campaigns)
            if tags:
                out.append(MastodonCollector(instance=cfg.instance, tags=tags, campaigns=campaigns, http=http,
                                             name=cfg.name, interval_seconds=cfg.interval_seconds,
                                             backfill_pages=cfg.backfill_pages, max_pages=cfg.max_pages,
                                             access_token=cfg.access_token, only_matching=cfg.only_matching))
        elif isinstance(cfg, BlueskySource):
            terms = cfg.terms if cfg.terms is not None else (
                campaign_keywords(campaigns) + [f"#{h}" for h in campaign_hashtags(campaigns)])
            out.append(BlueskyCollector(campaigns=campaigns, terms=terms, langs=cfg.langs, name=cfg.name,
                                        endpoint=cfg.endpoint, interval_seconds=cfg.interval_seconds,
                                        max_frames=cfg.max_frames, max_seconds=cfg.max_seconds,
                                        batch_size=cfg.batch_size, connect=jetstream_connect, http=http))
        elif isinstance(cfg, YoutubeSource):
            key = _secret(cfg, "api_key")
            out.append(YoutubeCollector(video_ids=cfg.video_ids, api_key=key, campaigns=campaigns, http=http,
                                        name=cfg.name, interval_seconds=cfg.interval_seconds,
                                        max_pages=cfg.max_pages, only_matching=cfg.only_matching,
                                        daily_units=cfg.daily_units, clock=clock))
        elif isinstance(cfg, YoutubeSearchSource):
            queries = cfg.queries if cfg.queries is not None else campaign_keywords(campaigns)
            if queries:
                out.append(YoutubeSearchCollector(
                    queries=queries, api_key=_secret(cfg, "api_key"), campaigns=campaigns,
                    http=http, name=cfg.name, interval_seconds=cfg.interval_seconds, region_code=cfg.region_code,
                    relevance_language=cfg.relevance_language, search_pages=cfg.search_pages,
                    watch_days=cfg.watch_days, max_videos=cfg.max_videos, comment_pages=cfg.comment_pages,
                    only_matching=cfg.only_matching, daily_units=cfg.daily_units, clock=clock))
        elif isinstance(cfg, XSource):
            queries = cfg.queries if cfg.queries is not None else [q for q in map(campaign_query, campaigns) if q]
            queries = [f"{q} {cfg.extra_query}".strip() for q in queries]
            if queries:
                out.append(XSearchCollector(
                    queries=queries, bearer_token=_secret(cfg, "bearer_token"),
                    campaigns=campaigns, http=http, name=cfg.name, interval_seconds=cfg.interval_seconds,
                    archive=cfg.archive, start_time=cfg.start_time, max_results=cfg.max_results,
                    backfill_pages=cfg.backfill_pages, max_pages=cfg.max_pages, only_matching=cfg.only_matching,
                    clock=clock))
        elif isinstance(cfg, XStreamSource):
            out.append(XStreamCollector(
                campaigns=campaigns, bearer_token=_secret(cfg, "bearer_token"), http=http,
                name=cfg.name, interval_seconds=cfg.interval_seconds, extra_rule=cfg.extra_rule,
                max_seconds=cfg.max_seconds, batch_size=cfg.batch_size, backfill_minutes=cfg.backfill_minutes,
                clock=clock))
        elif isinstance(cfg, GdeltSource):
            queries = cfg.queries if cfg.queries is not None else gdelt_queries(campaigns)
            if queries:
                out.append(GdeltCollector(queries=queries, campaigns=campaigns, http=http, name=cfg.name,
                                          interval_seconds=cfg.interval_seconds, extra_query=cfg.extra_query,
                                          maxrecords=cfg.maxrecords, lookback_hours=cfg.lookback_hours))
        elif isinstance(cfg, TiktokSource):
            queries = tiktok_queries(cfg, campaigns)
            if queries:
                out.append(tiktok.TiktokCollector(
                    queries=queries, client_key=_secret(cfg, "client_key"), client_secret=_secret(cfg, "client_secret"),
                    campaigns=campaigns, http=http, name=cfg.name, interval_seconds=cfg.interval_seconds,
                    lookback_days=cfg.lookback_days, max_pages=cfg.max_pages, comment_videos=cfg.comment_videos,
                    comment_pages=cfg.comment_pages, daily_requests=cfg.daily_requests,
                    daily_records=cfg.daily_records, max_requests_per_run=cfg.max_requests_per_run,
                    only_matching=cfg.only_matching, clock=clock))
        elif isinstance(cfg, (InstagramSource, FacebookSource)):
            common = dict(access_token=_secret(cfg, "access_token"), campaigns=campaigns, http=http, name=cfg.name,
                          interval_seconds=cfg.interval_seconds, api_version=cfg.api_version,
                          hourly_calls=cfg.hourly_calls, max_pages=cfg.max_pages, only_matching=cfg.only_matching,
                          clock=clock)
            if isinstance(cfg, FacebookSource):
                out.append(graph.FacebookPagesCollector(pages=cfg.pages, comment_posts=cfg.comment_posts,
                                                        comment_pages=cfg.comment_pages, **common))
            else:
                tags = cfg.hashtags if cfg.hashtags is not None else campaign_hashtags(campaigns)
                if tags:
                    out.append(graph.InstagramHashtagCollector(
                        hashtags=tags, user_id=_secret(cfg, "user_id"), edges=cfg.edges,
                        weekly_hashtags=cfg.weekly_hashtags, **common))
    return out


def _secret(cfg: BaseModel, field: str) -> str | None:
    """A credential from the entry, else from the environment variable its `<field>_env` names."""
    return getattr(cfg, field) or os.environ.get(getattr(cfg, f"{field}_env"))


def tiktok_queries(cfg: TiktokSource, campaigns: Sequence[Campaign]) -> list[dict]:
    from collectors.tiktok import campaign_query
    if cfg.keywords is not None or cfg.hashtags is not None:
        queries = [campaign_query(cfg.keywords or [], cfg.hashtags or [], cfg.region_code)]
    else:
        queries = [campaign_query([k for k in c.keywords if k.strip()], c.hashtags, cfg.region_code) for c in campaigns]
    return [q for q in queries if q]


def gdelt_queries(campaigns: Sequence[Campaign]) -> list[str]:
    """One OR-query per campaign: ("kw one" OR kw2 OR #tag)."""
    out = []
    for c in campaigns:
        terms = [f'"{k}"' if " " in k else k for k in c.keywords if k.strip()] + [f"#{h}" for h in c.hashtags]
        if terms:
            out.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
    return out
