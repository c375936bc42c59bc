"""Narrative clusters: list per campaign, detail (keywords, seed accounts, sentiment mix, top posts), timeline.

Scoped to the caller's workspace: lists hold only its campaigns' narratives, a narrative of another workspace is
404 (like a missing one), and `?campaign=` naming a foreign campaign is 404.
"""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from service.api.auth import Principal, authenticate, can_see_campaign, check_campaign, visible_campaign_ids
from service.context import AppContext
from service.api.deps import get_ctx
from service.narratives.queries import get_narrative, list_narratives, narrative_campaign, timeline

router = APIRouter(prefix="/narratives", tags=["narratives"])


def check_narrative(principal: Principal, ctx: AppContext, narrative_id: str) -> None:
    """404 for a missing narrative and for one of another workspace alike (ids are not disclosed)."""
    campaign = narrative_campaign(ctx.alerts.alerts.ledger, narrative_id)
    if campaign is None or not can_see_campaign(principal, ctx.store, campaign):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"narrative {narrative_id!r} not found")


@router.get("", summary="Narrative clusters, largest first")
def narratives(campaign: str | None = None, min_size: int = Query(2, ge=1, le=1_000_000), limit: int = Query(50, ge=1, le=500),
               order: Literal["size", "recent", "new"] = "size", ctx: AppContext = Depends(get_ctx),
               principal: Principal = Depends(authenticate)) -> list[dict]:
    if campaign:
        check_campaign(principal, ctx.store, campaign)
        scope = None
    else:
        scope = visible_campaign_ids(principal, ctx.store)
    return list_narratives(ctx.alerts.alerts.ledger, campaign, min_size, limit, order, campaigns=scope)


@router.get("/{narrative_id}", summary="One narrative with its top posts by engagement",
            responses={404: {"description": "No such narrative"}})
def narrative(narrative_id: str, top: int = Query(5, ge=1, le=100), ctx: AppContext = Depends(get_ctx),
              principal: Principal = Depends(authenticate)) -> dict:
    check_narrative(principal, ctx, narrative_id)
    found = get_narrative(ctx.alerts.alerts.ledger, narrative_id, top)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"narrative {narrative_id!r} not found")
    return found


@router.get("/{narrative_id}/timeline", summary="Volume, negative and hoax posts per bucket",
            responses={404: {"description": "No such narrative"}})
def narrative_timeline(narrative_id: str, interval: Literal["hour", "day"] = "hour",
                       ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> list[dict]:
    check_narrative(principal, ctx, narrative_id)
    found = timeline(ctx.alerts.alerts.ledger, narrative_id, interval)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"narrative {narrative_id!r} not found")
    return found
