"""Trending terms, hashtags and links per campaign and window (a campaign of another workspace is 404)."""
from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException, Query

from service.api.auth import Principal, authenticate, check_campaign
from service.context import AppContext
from service.api.deps import get_ctx
from service.narratives.trending import Trending, parse_duration, trending
from service.store.base import Instant

router = APIRouter(prefix="/trending", tags=["narratives"])


@router.get("", response_model=Trending, summary="Terms, hashtags and links rising against the baseline")
def get_trending(campaign: str = Query(..., min_length=1), window: str = Query("24h", examples=["6h"]),
                 baseline: str = Query("7d", examples=["7d"]),
                 until: Instant | None = Query(None, description="Window end (default now)"),
                 size: int = Query(10, ge=1, le=100), min_docs: int = Query(3, ge=1, le=1000),
                 ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> Trending:
    check_campaign(principal, ctx.store, campaign)
    try:
        w, b = parse_duration(window), parse_duration(baseline)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    if until is not None and until - datetime.min.replace(tzinfo=timezone.utc) < w + b:
        raise HTTPException(422, "until: the window and baseline before it would start before year 1")
    return trending(ctx.store, campaign, w, b, until, size, min_docs)
