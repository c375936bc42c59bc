"""Summaries for leadership: sentiment over time per campaign, share of voice, hoax trend, top narratives.

Computed from the Store contract (count / histogram / terms), so they are the same on SQLite and Elasticsearch.
The functions are also used by the dashboards and the daily digest.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from service.api.auth import Principal, authenticate, check_campaign, visible_campaign_ids
from service.context import AppContext
from service.api.deps import get_ctx
from service.store.base import Instant, Interval, PostQuery, Store

router = APIRouter(prefix="/summary", tags=["summary"])

SENTIMENTS = ("positive", "neutral", "negative")


class SentimentBucket(BaseModel):
    bucket: datetime
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    total: int = 0


class CampaignSeries(BaseModel):
    campaign: str
    name: str
    series: list[SentimentBucket]


class SentimentSummary(BaseModel):
    interval: Interval
    campaigns: list[CampaignSeries]
    model_config = {"json_schema_extra": {"examples": [{"interval": "day", "campaigns": [{
        "campaign": "vaksin", "name": "Vaksinasi nasional", "series": [
            {"bucket": "2024-11-01T00:00:00Z", "positive": 12, "neutral": 30, "negative": 9, "total": 51}]}]}]}}


class Voice(BaseModel):
    campaign: str
    name: str
    posts: int
    share: float = Field(description="posts / sum of posts of the listed campaigns (0..1)")


class ShareOfVoice(BaseModel):
    total: int
    campaigns: list[Voice]
    model_config = {"json_schema_extra": {"examples": [{"total": 80, "campaigns": [
        {"campaign": "asean", "name": "KTT ASEAN", "posts": 60, "share": 0.75},
        {"campaign": "vaksin", "name": "Vaksinasi nasional", "posts": 20, "share": 0.25}]}]}}


class HoaxBucket(BaseModel):
    bucket: datetime
    hoax: int
    total: int


class HoaxSeries(BaseModel):
    campaign: str
    name: str
    series: list[HoaxBucket]


class HoaxTrend(BaseModel):
    interval: Interval
    campaigns: list[HoaxSeries]


class Narrative(BaseModel):
    id: str | None = None
    label: str
    posts: int
    kind: str = Field(description="'narrative' (clustered stories) or 'hashtag' (fallback when none are available)")
    detail: dict[str, Any] = Field(default_factory=dict)


class TopNarratives(BaseModel):
    campaign: str | None
    available: bool = Field(description="False when no narrative clustering is installed; hashtags are shown instead")
    narratives: list[Narrative]


def _campaigns(store: Store, principal: Principal, campaign: list[str] | None) -> list[tuple[str, str]]:
    """(id, name) of the requested campaigns, or every visible one; foreign ids are 404."""
    if campaign:
        out = []
        for cid in campaign:
            check_campaign(principal, store, cid)
            c = store.get_campaign(cid)
            out.append((cid, c.name if c else cid))
        return out
    visible = visible_campaign_ids(principal, store)
    return [(c.id, c.name) for c in store.list_campaigns() if visible is None or c.id in visible]


def sentiment_series(store: Store, campaign: str, since=None, until=None, interval: Interval = "day"):
    base = PostQuery(campaign=campaign, since=since, until=until)
    buckets: dict[datetime, SentimentBucket] = {}
    for when, n in store.histogram(base, interval):
        buckets.setdefault(when, SentimentBucket(bucket=when)).total = n
    for s in SENTIMENTS:
        for when, n in store.histogram(base.model_copy(update={"sentiment": s}), interval):
            setattr(buckets.setdefault(when, SentimentBucket(bucket=when)), s, n)
    return [buckets[k] for k in sorted(buckets)]


def hoax_series(store: Store, campaign: str, since=None, until=None, interval: Interval = "day"):
    base = PostQuery(campaign=campaign, since=since, until=until)
    totals = dict(store.histogram(base, interval))
    hoax = dict(store.histogram(base.model_copy(update={"hoax": True}), interval))
    return [HoaxBucket(bucket=k, hoax=hoax.get(k, 0), total=totals.get(k, 0)) for k in sorted(totals)]


def share_of_voice(store: Store, campaigns: list[tuple[str, str]], since=None, until=None) -> ShareOfVoice:
    counts = [(cid, name, store.count(PostQuery(campaign=cid, since=since, until=until))) for cid, name in campaigns]
    total = sum(n for _, _, n in counts)
    return ShareOfVoice(total=total, campaigns=[
        Voice(campaign=cid, name=name, posts=n, share=round(n / total, 4) if total else 0.0)
        for cid, name, n in sorted(counts, key=lambda t: (-t[2], t[0]))])


def _clusters(engine, campaign: str | None, limit: int) -> list[dict] | None:
    """Narrative clusters from the alert engine's narrative store, or None when it is not running."""
    alerts = getattr(engine, "alerts", None)
    if alerts is None:
        return None
    try:
        from service.narratives.queries import list_narratives

        return list_narratives(alerts, campaign, min_size=2, limit=limit, order="size")
    except Exception:  # noqa: BLE001 - a broken narrative store must not take the summary down
        return None


def top_narratives(store: Store, campaign: str | None, since=None, until=None, limit: int = 10,
                   engine=None) -> TopNarratives:
    """Largest narrative clusters (all time: clusters are not windowed); top hashtags in the window otherwise."""
    clusters = _clusters(engine, campaign, limit)
    if clusters:
        return TopNarratives(campaign=campaign, available=True, narratives=[
            Narrative(id=c.get("id"), label=c.get("label") or c.get("id") or "", posts=int(c.get("size") or 0),
                      kind="narrative", detail={k: c.get(k) for k in ("keywords", "first_seen", "last_seen",
                                                                      "hoax_share", "sentiment_mix")})
            for c in clusters])
    tags = store.terms(PostQuery(campaign=campaign, since=since, until=until), "hashtags", limit)
    return TopNarratives(campaign=campaign, available=False,
                         narratives=[Narrative(label=f"#{t}", posts=n, kind="hashtag") for t, n in tags])


CampaignParam = Query(None, description="Campaign id (repeatable); default: every campaign of your workspace",
                      examples=["vaksin"])
SinceParam = Query(None, description="ISO 8601; created_at >= since")
UntilParam = Query(None, description="ISO 8601; created_at < until")


@router.get("/sentiment", response_model=SentimentSummary, summary="Sentiment over time per campaign")
def get_sentiment(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                  until: Instant | None = UntilParam, interval: Interval = "day",
                  ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)):
    return SentimentSummary(interval=interval, campaigns=[
        CampaignSeries(campaign=cid, name=name, series=sentiment_series(ctx.store, cid, since, until, interval))
        for cid, name in _campaigns(ctx.store, principal, campaign)])


@router.get("/share-of-voice", response_model=ShareOfVoice, summary="Share of voice between campaigns")
def get_share_of_voice(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                       until: Instant | None = UntilParam, ctx: AppContext = Depends(get_ctx),
                       principal: Principal = Depends(authenticate)):
    return share_of_voice(ctx.store, _campaigns(ctx.store, principal, campaign), since, until)


@router.get("/hoax-trend", response_model=HoaxTrend, summary="Posts flagged as suspected hoaxes over time")
def get_hoax_trend(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                   until: Instant | None = UntilParam, interval: Interval = "day",
                   ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)):
    return HoaxTrend(interval=interval, campaigns=[
        HoaxSeries(campaign=cid, name=name, series=hoax_series(ctx.store, cid, since, until, interval))
        for cid, name in _campaigns(ctx.store, principal, campaign)])


@router.get("/narratives", response_model=list[TopNarratives],
            summary="Top narratives per campaign (top hashtags while narrative clustering is unavailable)")
def get_top_narratives(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                       until: Instant | None = UntilParam, limit: int = Query(10, ge=1, le=50),
                       ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)):
    return [top_narratives(ctx.store, cid, since, until, limit, engine=ctx.alerts)
            for cid, _ in _campaigns(ctx.store, principal, campaign)]
