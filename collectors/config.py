"""Source configuration: the `sources:` list of the project YAML, validated with pydantic.

Each entry has `type: rss|telegram|mastodon|bluesky|youtube|gdelt`, its own fields and `interval_seconds`.
Mastodon tags, Telegram search terms, Bluesky terms and GDELT queries come from the campaigns'
hashtags/keywords when not configured explicitly.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from service.domain import Campaign


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, description="Collector instance name; derived when omitted")
    enabled: bool = True
    interval_seconds: float = Field(default=600, gt=0)


class RssSource(_Source):
    type: Literal["rss"]
    url: str | None = None
    urls: list[str] = Field(default_factory=list)
    factcheck: bool = Field(default=False, description="Items are fact-checks: also emit known debunked claims")
    fetch_claimreview: bool = False
    only_matching: bool = False
    respect_robots: bool = True

    @model_validator(mode="after")
    def _one(self) -> "RssSource":
        if not self.url and not self.urls:
            raise ValueError("rss source needs url or urls")
        return self


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

    @model_validator(mode="after")
    def _one(self) -> "TelegramSource":
        if not self.channel and not self.channels:
            raise ValueError("telegram source needs channel or channels")
        return self


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


class YoutubeSource(_Source):
    type: Literal["youtube"]
    video_ids: list[str] = Field(min_length=1)
    api_key: str | None = None
    api_key_env: str = "YOUTUBE_API_KEY"
    max_pages: int = Field(default=10, ge=1, le=100)
    only_matching: bool = False


class GdeltSource(_Source):
    type: Literal["gdelt"]
    interval_seconds: float = Field(default=900, gt=0)
    queries: list[str] | None = Field(default=None, description="None → one query per campaign")
    extra_query: str = Field(default="sourcecountry:indonesia", description="Appended to every query ('' for none)")
    maxrecords: int = Field(default=250, ge=1, le=250)
    lookback_hours: int = Field(default=24, ge=1, le=24 * 90)


SourceConfig = Annotated[Union[RssSource, TelegramSource, MastodonSource, BlueskySource, YoutubeSource, GdeltSource],
                         Field(discriminator="type")]
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
                     jetstream_connect=None) -> list:
    """Config entries → ready collectors (one per feed URL / channel; one per instance, video list, query set)."""
    from collectors.bluesky import BlueskyCollector
    from collectors.gdelt import GdeltCollector
    from collectors.mastodon import MastodonCollector
    from collectors.rss import RssCollector, default_name
    from collectors.telegram import TelegramCollector
    from collectors.youtube import YoutubeCollector

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
            key = cfg.api_key or os.environ.get(cfg.api_key_env)
            out.append(YoutubeCollector(video_ids=cfg.video_ids, api_key=key, campaigns=campaigns, http=http,
                                        name=cfg.name, interval_seconds=cfg.interval_seconds,
                                        max_pages=cfg.max_pages, only_matching=cfg.only_matching))
        elif isinstance(cfg, GdeltSource):
            queries = cfg.queries if cfg.queries is not None else gdelt_queries(campaigns)
            if queries:
                out.append(GdeltCollector(queries=queries, campaigns=campaigns, http=http, name=cfg.name,
                                          interval_seconds=cfg.interval_seconds, extra_query=cfg.extra_query,
                                          maxrecords=cfg.maxrecords, lookback_hours=cfg.lookback_hours))
    return out


def gdelt_queries(campaigns: Sequence[Campaign]) -> list[str]:
    """One OR-query per campaign: ("kw one" OR kw2 OR #tag)."""
    out = []
    for c in campaigns:
        terms = [f'"{k}"' if " " in k else k for k in c.keywords if k.strip()] + [f"#{h}" for h in c.hashtags]
        if terms:
            out.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
    return out
