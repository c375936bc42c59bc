"""Narrative clusters: list per campaign, detail (keywords, seed accounts, sentiment mix, top posts, growth, platforms,
top spreaders, its alerts and a search), timeline; analysts rename, merge and split them (audited).

Scoped to the caller's workspace: lists hold only its campaigns' narratives, a narrative of another workspace is
404 (like a missing one), and `?campaign=` naming a foreign campaign is 404.
"""
from __future__ import annotations

import json
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from service.api.auth import (Principal, authenticate, can_see_campaign, check_campaign, touch,
                              visible_campaign_ids)
from service.context import AppContext
from service.api.deps import get_ctx
from service.narratives import edits
from service.narratives.queries import get_narrative, list_narratives, narrative_campaign, profile, timeline

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
    ledger = ctx.alerts.alerts.ledger
    found = get_narrative(ledger, narrative_id, top)  # a merged narrative's id gives the survivor
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"narrative {narrative_id!r} not found")
    ids = {found["id"], *(found.get("merged") or [])}
    alerts = [a for a in ctx.alerts.alerts.list_alerts(campaign=found["campaign"], limit=500)
              if ((a.why or {}).get("narrative") or {}).get("id") in ids]
    words = found.get("keywords") or []
    search = {"campaign": found["campaign"]} | ({"q": " OR ".join(words[:3])} if words else {})
    return found | profile(ledger, found["id"]) | {
        "alerts": [{"id": a.id, "title": a.title, "severity": a.severity, "status": a.status,
                    "created_at": a.created_at, "url": f"/alerts/{a.id}"} for a in alerts],
        "search": "/posts?" + urlencode(search)}


@router.get("/{narrative_id}/timeline", summary="Volume, negative and hoax posts per bucket",
            responses={404: {"description": "No such narrative"}})
def narrative_timeline(narrative_id: str, interval: Literal["hour", "day"] = "hour",
                       ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> list[dict]:
    check_narrative(principal, ctx, narrative_id)
    found = timeline(ctx.alerts.alerts.ledger, narrative_id, interval)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"narrative {narrative_id!r} not found")
    return found


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=edits.NAME_MAX, examples=["Hoaks chip pelacak di vaksin"])


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    narratives: list[str] = Field(min_length=1, max_length=50, description="Narratives merged into this one")


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    post_ids: list[str] = Field(min_length=1, max_length=10_000, description="Posts moved to a new narrative")
    name: str | None = Field(None, max_length=edits.NAME_MAX)


def _edited(request: Request, ctx: AppContext, action: str, doc: dict, **detail) -> dict:
    """Audit the edit (the row is listed in the narrative's workspace) and answer with the narrative."""
    campaign = ctx.store.get_campaign(doc["campaign"])
    touch(request, [campaign.workspace] if campaign else [])
    request.state.audit_detail = json.dumps({"narrative": action, "id": doc["id"], "campaign": doc["campaign"],
                                             **detail})
    return get_narrative(ctx.alerts.alerts.ledger, doc["id"]) or doc


def _run(edit, *args):
    try:
        return edit(*args)
    except edits.EditError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.patch("/{narrative_id}", summary="Rename a narrative (audited; the clusterer keeps the name)",
              responses={404: {"description": "No such narrative"}, 400: {"description": "Empty name"}})
def rename_narrative(narrative_id: str, body: RenameIn, request: Request, ctx: AppContext = Depends(get_ctx),
                     principal: Principal = Depends(authenticate)) -> dict:
    check_narrative(principal, ctx, narrative_id)
    doc = _run(edits.rename, ctx.alerts.alerts.ledger, narrative_id, body.name)
    return _edited(request, ctx, "rename", doc, name=doc["name"])


@router.post("/{narrative_id}/merge", summary="Merge narratives into this one (audited; their ids resolve to it)",
             responses={404: {"description": "No such narrative"}, 400: {"description": "Cannot merge these"}})
def merge_narratives(narrative_id: str, body: MergeIn, request: Request, ctx: AppContext = Depends(get_ctx),
                     principal: Principal = Depends(authenticate)) -> dict:
    for nid in [narrative_id, *body.narratives]:
        check_narrative(principal, ctx, nid)
    doc = _run(edits.merge, ctx.alerts.alerts.ledger, narrative_id, body.narratives)
    return _edited(request, ctx, "merge", doc, merged=body.narratives)


@router.post("/{narrative_id}/split", status_code=201,
             summary="Move some posts of a narrative to a new one (audited); answers the new narrative",
             responses={404: {"description": "No such narrative"}, 400: {"description": "Cannot split so"}})
def split_narrative(narrative_id: str, body: SplitIn, request: Request, ctx: AppContext = Depends(get_ctx),
                    principal: Principal = Depends(authenticate)) -> dict:
    check_narrative(principal, ctx, narrative_id)
    doc = _run(edits.split, ctx.alerts.alerts.ledger, narrative_id, body.post_ids, body.name)
    return _edited(request, ctx, "split", doc, split_from=narrative_id, posts=len(body.post_ids))
