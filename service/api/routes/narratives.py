"""Narrative clusters: list per campaign, detail (keywords, seed accounts, sentiment mix, top posts), timeline."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from service.api.context import AppContext
from service.api.deps import get_ctx
from service.narratives.queries import get_narrative, list_narratives, timeline

router = APIRouter(prefix="/narratives", tags=["narratives"])


def _engine(ctx: AppContext):
    engine = getattr(ctx, "alerts", None)
    if engine is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the alert engine is not running")
    return engine


@router.get("", summary="Narrative clusters, largest first")
def narratives(campaign: str | None = None, min_size: int = Query(2, ge=1), limit: int = Query(50, ge=1, le=500),
               order: Literal["size", "recent", "new"] = "size", ctx: AppContext = Depends(get_ctx)) -> list[dict]:
    return list_narratives(_engine(ctx).alerts, campaign, min_size, limit, order)


@router.get("/{narrative_id}", summary="One narrative with its top posts by engagement",
            responses={404: {"description": "No such narrative"}})
def narrative(narrative_id: str, top: int = Query(5, ge=1, le=100), ctx: AppContext = Depends(get_ctx)) -> dict:
    found = get_narrative(_engine(ctx).alerts, narrative_id, top)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"narrative {narrative_id!r} not found")
    return found


@router.get("/{narrative_id}/timeline", summary="Volume, negative and hoax posts per bucket",
            responses={404: {"description": "No such narrative"}})
def narrative_timeline(narrative_id: str, interval: Literal["hour", "day"] = "hour",
                       ctx: AppContext = Depends(get_ctx)) -> list[dict]:
    found = timeline(_engine(ctx).alerts, narrative_id, interval)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"narrative {narrative_id!r} not found")
    return found
