"""Summaries for leadership: sentiment over time per campaign, share of voice, hoax trend, top narratives.

Computed from the Store contract (count / histogram / terms), so they are the same on SQLite and Elasticsearch.
The functions are also used by the dashboards and the daily digest.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from service.api.auth import Principal, authenticate, check_campaign, visible_campaign_ids
from service.context import AppContext
from service.api.deps import get_ctx
from core.periods import Period, Zone, bucket_starts, period_of, today
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


def axis(found: list[datetime], since: datetime | None, until: datetime | None, interval: Interval,
         tz: str) -> list[datetime]:
    """Every bucket of the window (or, unbounded, from the first to the last non-empty one): a chart on a real time
    axis shows empty days as zero instead of joining the days around them."""
    keys = sorted(found)
    if not keys and (since is None or until is None):
        return []
    step = timedelta(hours=1) if interval == "hour" else timedelta(days=1)
    start, end = since or keys[0], until or keys[-1] + step  # the stores only found posts in [since, until)
    return bucket_starts(start, end, interval, tz) or keys


def sentiment_series(store: Store, campaign: str, since=None, until=None, interval: Interval = "day",
                     tz: str = "UTC") -> list[SentimentBucket]:
    base = PostQuery(campaign=campaign, since=since, until=until)
    buckets: dict[datetime, SentimentBucket] = {}
    for when, n in store.histogram(base, interval, tz):
        buckets.setdefault(when, SentimentBucket(bucket=when)).total = n
    for s in SENTIMENTS:
        for when, n in store.histogram(base.model_copy(update={"sentiment": s}), interval, tz):
            setattr(buckets.setdefault(when, SentimentBucket(bucket=when)), s, n)
    return [buckets.get(k) or SentimentBucket(bucket=k) for k in axis(list(buckets), since, until, interval, tz)]


def hoax_series(store: Store, campaign: str, since=None, until=None, interval: Interval = "day",
                tz: str = "UTC") -> list[HoaxBucket]:
    base = PostQuery(campaign=campaign, since=since, until=until)
    totals = dict(store.histogram(base, interval, tz))
    hoax = dict(store.histogram(base.model_copy(update={"hoax": True}), interval, tz))
    return [HoaxBucket(bucket=k, hoax=hoax.get(k, 0), total=totals.get(k, 0))
            for k in axis(list(totals), since, until, interval, tz)]


def share_of_voice(store: Store, campaigns: list[tuple[str, str]], since=None, until=None) -> ShareOfVoice:
    counts = [(cid, name, store.count(PostQuery(campaign=cid, since=since, until=until))) for cid, name in campaigns]
    total = sum(n for _, _, n in counts)
    return ShareOfVoice(total=total, campaigns=[
        Voice(campaign=cid, name=name, posts=n, share=round(n / total, 4) if total else 0.0)
        for cid, name, n in sorted(counts, key=lambda t: (-t[2], t[0]))])


def _clusters(engine, campaign: str | None, since, until, limit: int) -> list[dict] | None:
    """Narrative clusters from the alert engine's narrative store (those with posts in the window, counted there,
    when it is bounded), or None when it is not running."""
    alerts = getattr(engine, "alerts", None)
    if alerts is None:
        return None
    try:
        from service.narratives.queries import list_narratives, period_narratives

        if campaign and (since or until):
            return period_narratives(alerts.ledger, campaign, since, until, limit=limit)
        return [c | {"posts": c.get("size")} for c in list_narratives(alerts.ledger, campaign, min_size=2,
                                                                      limit=limit, order="size")]
    except Exception:  # noqa: BLE001 - a broken narrative store must not take the summary down
        return None


def top_narratives(store: Store, campaign: str | None, since=None, until=None, limit: int = 10,
                   engine=None) -> TopNarratives:
    """Largest narrative clusters by their posts in the window (all time when unbounded); top hashtags in the window
    when clustering is not running."""
    clusters = _clusters(engine, campaign, since, until, limit)
    if clusters:
        return TopNarratives(campaign=campaign, available=True, narratives=[
            Narrative(id=c.get("id"), label=c.get("label") or c.get("id") or "", posts=int(c.get("posts") or 0),
                      kind="narrative", detail={k: c.get(k) for k in ("keywords", "first_seen", "last_seen",
                                                                      "hoax_share", "sentiment_mix")})
            for c in clusters])
    tags = store.terms(PostQuery(campaign=campaign, since=since, until=until), "hashtags", limit)
    return TopNarratives(campaign=campaign, available=False,
                         narratives=[Narrative(label=f"#{t}", posts=n, kind="hashtag") for t, n in tags])


class Figures(BaseModel):
    mentions: int = Field(description="Posts in the period")
    previous_mentions: int = Field(description="Posts in the period just before (same length; previous month)")
    change_pct: float | None = Field(description="Change of mentions vs the previous period, in %; null when the "
                                     "previous period had none")
    positive: int
    neutral: int
    negative: int
    net_sentiment: float | None = Field(description="(positive - negative) / mentions, in % (-100..100); null "
                                        "without mentions")
    hoax: int = Field(description="Posts flagged as suspected hoaxes")
    share_of_voice: float = Field(description="Mentions / mentions of all listed campaigns (0..1)")
    open_alerts: int = Field(description="Alerts not resolved, now")
    critical_alerts: int = Field(description="Open alerts of severity critical, now")
    new_alerts: int = Field(description="Alerts raised in the period")


class CampaignFigures(Figures):
    campaign: str
    name: str


class PeriodInfo(BaseModel):
    kind: str = Field(description="day, week (ISO, Monday first), month or range")
    start: date = Field(description="First local day")
    end: date = Field(description="Last local day (inclusive)")
    tz: str
    since: datetime = Field(description="UTC instant of the first day's local midnight")
    until: datetime = Field(description="UTC instant at which the period ends (exclusive)")

    @classmethod
    def of(cls, p: Period) -> "PeriodInfo":
        return cls(kind=p.kind, start=p.start, end=p.last_day, tz=p.tz, since=p.since, until=p.until)


class Headline(BaseModel):
    period: PeriodInfo
    previous: PeriodInfo
    totals: Figures
    campaigns: list[CampaignFigures]


def _change(now: int, before: int) -> float | None:
    return round((now - before) / before * 100, 1) if before else None


def _net(positive: int, negative: int, total: int) -> float | None:
    return round((positive - negative) / total * 100, 1) if total else None


def headline(store: Store, campaigns: list[tuple[str, str]], period: Period, engine=None) -> Headline:
    """The leadership figures of `period` per campaign and in total (alerts: the alert engine's, if running)."""
    prev = period.previous()
    alerts = getattr(engine, "alerts", None)
    counts = alerts.alert_counts([c for c, _ in campaigns], period.since, period.until) if alerts else {}
    rows = []
    for cid, name in campaigns:
        q = PostQuery(campaign=cid, since=period.since, until=period.until)
        sent = {s: store.count(q.model_copy(update={"sentiment": s})) for s in SENTIMENTS}
        a = counts.get(cid, {})
        rows.append({"campaign": cid, "name": name, "mentions": store.count(q),
                     "previous_mentions": store.count(q.model_copy(update={"since": prev.since, "until": prev.until})),
                     **sent, "hoax": store.count(q.model_copy(update={"hoax": True})),
                     "open_alerts": a.get("open", 0), "critical_alerts": a.get("critical", 0),
                     "new_alerts": a.get("new", 0)})
    summed = {k: sum(r[k] for r in rows) for k in ("mentions", "previous_mentions", *SENTIMENTS, "hoax",
                                                   "open_alerts", "critical_alerts", "new_alerts")}
    total = summed["mentions"]  # posts in several listed campaigns count once per campaign, as in share of voice

    def figures(r: dict) -> dict:
        return {**r, "change_pct": _change(r["mentions"], r["previous_mentions"]),
                "net_sentiment": _net(r["positive"], r["negative"], r["mentions"]),
                "share_of_voice": round(r["mentions"] / total, 4) if total else 0.0}

    return Headline(period=PeriodInfo.of(period), previous=PeriodInfo.of(prev),
                    totals=Figures(**figures(summed) | {"share_of_voice": 1.0 if total else 0.0}),
                    campaigns=[CampaignFigures(**figures(r)) for r in rows])


def zone_of(ctx: AppContext, tz: str | None) -> str:
    return tz or ctx.settings.timezone


CampaignParam = Query(None, description="Campaign id (repeatable); default: every campaign of your workspace",
                      examples=["vaksin"])
SinceParam = Query(None, description="ISO 8601; created_at >= since")
UntilParam = Query(None, description="ISO 8601; created_at < until")


TzParam = Query(None, description="Zone of the buckets' days and hours: Asia/Jakarta (WIB), Asia/Makassar (WITA), "
                "Asia/Jayapura (WIT) or UTC; default NW_TIMEZONE (Asia/Jakarta)")


@router.get("/headline", response_model=Headline, summary="Headline figures of a day, week or month per campaign")
def get_headline(campaign: list[str] | None = CampaignParam, period: Literal["day", "week", "month"] = "week",
                 day: date | None = Query(None, description="A day in the period (local); default today"),
                 tz: Zone | None = TzParam, ctx: AppContext = Depends(get_ctx),
                 principal: Principal = Depends(authenticate)):
    zone = zone_of(ctx, tz)
    try:
        chosen = period_of(period, day or today(zone), zone)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return headline(ctx.store, _campaigns(ctx.store, principal, campaign), chosen, engine=ctx.alerts)


@router.get("/sentiment", response_model=SentimentSummary, summary="Sentiment over time per campaign")
def get_sentiment(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                  until: Instant | None = UntilParam, interval: Interval = "day", tz: Zone | None = TzParam,
                  ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)):
    zone = zone_of(ctx, tz)
    return SentimentSummary(interval=interval, campaigns=[
        CampaignSeries(campaign=cid, name=name, series=sentiment_series(ctx.store, cid, since, until, interval, zone))
        for cid, name in _campaigns(ctx.store, principal, campaign)])


@router.get("/share-of-voice", response_model=ShareOfVoice, summary="Share of voice between campaigns")
def get_share_of_voice(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                       until: Instant | None = UntilParam, ctx: AppContext = Depends(get_ctx),
                       principal: Principal = Depends(authenticate)):
    return share_of_voice(ctx.store, _campaigns(ctx.store, principal, campaign), since, until)


@router.get("/hoax-trend", response_model=HoaxTrend, summary="Posts flagged as suspected hoaxes over time")
def get_hoax_trend(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                   until: Instant | None = UntilParam, interval: Interval = "day", tz: Zone | None = TzParam,
                   ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)):
    zone = zone_of(ctx, tz)
    return HoaxTrend(interval=interval, campaigns=[
        HoaxSeries(campaign=cid, name=name, series=hoax_series(ctx.store, cid, since, until, interval, zone))
        for cid, name in _campaigns(ctx.store, principal, campaign)])


@router.get("/narratives", response_model=list[TopNarratives],
            summary="Top narratives per campaign (top hashtags while narrative clustering is unavailable)")
def get_top_narratives(campaign: list[str] | None = CampaignParam, since: Instant | None = SinceParam,
                       until: Instant | None = UntilParam, limit: int = Query(10, ge=1, le=50),
                       ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)):
    return [top_narratives(ctx.store, cid, since, until, limit, engine=ctx.alerts)
            for cid, _ in _campaigns(ctx.store, principal, campaign)]
