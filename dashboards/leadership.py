"""The leadership page and the digest of a day, week or month (HTML, or PDF rendered by Chromium).

Every figure is of one period in the user's time zone (core.periods): headline numbers against the period before,
charts whose axis has every day of the period (empty ones at zero), one colour per campaign on every chart.
"""
from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from core.periods import Period, day_range, label, period_of, today
from dashboards.digest import render_digest
from dashboards.i18n import translator
from dashboards.pdf import PdfUnavailable, html_to_pdf
from dashboards.web import CSP, _campaigns, _lang, page, render, user_zone
from service.api.auth import check_campaign
from service.api.routes import summary

router = APIRouter(prefix="/ui", include_in_schema=False)

# Colour-blind-safe (Okabe-Ito, then Tol's muted): a campaign keeps its colour on every chart and every page.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#332288", "#117733", "#882255",
           "#999933"]
PERIODS = ("day", "week", "month")


def colours(campaign_ids: list[str]) -> dict[str, str]:
    """By the campaign's place among all the user's campaigns (sorted ids), not among those on screen."""
    return {cid: PALETTE[i % len(PALETTE)] for i, cid in enumerate(sorted(set(campaign_ids)))}


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: expected a day YYYY-MM-DD, got {value!r}") from None


def chosen_period(tz: str, period: str, day: str | None, since: str | None, until: str | None) -> Period:
    """Days since..until when either is given (since alone: up to today; until alone: the week ending then), else
    the day/week/month around `day` (today by default); ValueError naming the field otherwise."""
    if since or until:
        last = _day(until, "until") if until else max(today(tz), _day(since, "since"))
        first = _day(since, "since") if since else last - timedelta(days=6)
        try:
            return day_range(first, last, tz)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"since/until: {exc}") from None
    return period_of(period if period in PERIODS else "week", _day(day, "day") if day else today(tz), tz)


@router.get("/leadership")
def leadership(request: Request, campaign: list[str] = Query(None), period: str = "week", day: str | None = None,
               since: str | None = None, until: str | None = None) -> Response:
    principal = page(request, "leadership")
    if isinstance(principal, Response):
        return principal
    ctx = request.app.state.ctx
    store, engine, tz, t = ctx.store, getattr(ctx, "alerts", None), user_zone(request), translator(_lang(request))
    chosen = summary._campaigns(store, principal, campaign or None)
    try:
        p = chosen_period(tz, period, day, since, until)
    except ValueError as exc:
        return render(request, "error.html", principal, status_code=422, message=str(exc))
    visible = _campaigns(request, principal)
    palette = colours([c.id for c in visible] + [cid for cid, _ in chosen])
    interval = "hour" if p.days <= 2 else "day"
    head = summary.headline(store, chosen, p, engine=engine)
    sentiment = {cid: summary.sentiment_series(store, cid, p.since, p.until, interval, tz) for cid, _ in chosen}
    charts = {
        "interval": interval, "colours": palette,
        "labels": {k: t(k) for k in ("positive", "neutral", "negative", "total", "hoax", "posts")},
        "mentions": [{"campaign": cid, "name": name, "series": [{"bucket": b.bucket.isoformat(), "total": b.total}
                                                               for b in sentiment[cid]]} for cid, name in chosen],
        "sentiment": [{"campaign": cid, "name": name, "series": [b.model_dump(mode="json") for b in sentiment[cid]]}
                      for cid, name in chosen],
        "hoax": [{"campaign": cid, "name": name, "series": [
            b.model_dump(mode="json") for b in summary.hoax_series(store, cid, p.since, p.until, interval, tz)]}
            for cid, name in chosen],
        "share": [{"campaign": c.campaign, "name": c.name, "posts": c.mentions} for c in head.campaigns],
    }
    narratives = [summary.top_narratives(store, cid, p.since, p.until, 8, engine=engine) for cid, _ in chosen]
    return render(request, "leadership.html", principal, campaigns=visible, chosen=[cid for cid, _ in chosen],
                  names=dict(chosen), period=p, period_kind=period if period in PERIODS else "week",
                  anchor=day or "", since=since or "", until=until or "", head=head, charts=charts,
                  colours=palette, narratives=narratives, zone_label=label(tz), today=today(tz).isoformat())


@router.get("/digest")
def digest(request: Request, campaign: str, period: str = "day", day: str | None = None,
                 format: str = "html") -> Response:
    """The digest of one campaign for the day, ISO week or month around `day` (local), as a page or a PDF."""
    principal = page(request, "leadership")
    if isinstance(principal, Response):
        return principal
    store, tz = request.app.state.ctx.store, user_zone(request)
    check_campaign(principal, store, campaign)
    found = store.get_campaign(campaign)  # workspace `*` passes the check for any id, existing or not
    if found is None:
        raise HTTPException(404, f"campaign {campaign!r} not found")
    if period not in PERIODS or format not in ("html", "pdf"):
        raise HTTPException(422, "period: expected day, week or month; format: html or pdf")
    try:
        p = chosen_period(tz, period, day, None, None)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    html = render_digest(store, found, p, _lang(request), engine=getattr(request.app.state.ctx, "alerts", None))
    name = f"narrawatch-{found.id}-{p.kind}-{p.start.isoformat()}"
    if format == "pdf":
        try:
            pdf = html_to_pdf(html)
        except PdfUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP.replace("style-src 'self'",
                                                                              "style-src 'self' 'unsafe-inline'")})
