from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, status

from service.api.auth import Principal, authenticate, can_see_campaign, touch
from service.context import AppContext
from service.api.deps import get_ctx
from core.domain import Campaign

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get("", response_model=list[Campaign], summary="List campaigns")
def list_campaigns(workspace: str | None = None, ctx: AppContext = Depends(get_ctx),
                   principal: Principal = Depends(authenticate)) -> list[Campaign]:
    if not principal.sees_all:
        if workspace not in (None, principal.workspace):
            return []
        workspace = principal.workspace
    return ctx.store.list_campaigns(workspace)


def _writable(principal: Principal, campaign: Campaign) -> None:
    if not principal.sees_all and campaign.workspace != principal.workspace:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"this key manages workspace {principal.workspace!r} only, not {campaign.workspace!r}")


def _not_retired(store, campaign: Campaign) -> None:
    """A deleted id keeps its posts, alerts, narratives and rules: only the workspace that deleted it may reuse it."""
    owner = store.campaign_tombstone(campaign.id)
    if owner is not None and owner != campaign.workspace:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"campaign id {campaign.id!r} was used before and is retired; choose another id")


@router.get("/{campaign_id}", response_model=Campaign, responses={404: {"description": "No such campaign"}})
def get_campaign(campaign_id: str, ctx: AppContext = Depends(get_ctx),
                 principal: Principal = Depends(authenticate)) -> Campaign:
    campaign = ctx.store.get_campaign(campaign_id)
    if campaign is None or not can_see_campaign(principal, ctx.store, campaign_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id!r} not found")
    return campaign


@router.post("", response_model=Campaign, status_code=201, responses={409: {"description": "Id already used"}})
def create_campaign(campaign: Campaign, request: Request, ctx: AppContext = Depends(get_ctx),
                    principal: Principal = Depends(authenticate)) -> Campaign:
    _writable(principal, campaign)
    if ctx.store.get_campaign(campaign.id) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"campaign {campaign.id!r} already exists; use PUT to change it")
    _not_retired(ctx.store, campaign)
    touch(request, [campaign.workspace])
    ctx.store.put_campaign(campaign)
    return campaign


@router.put("/{campaign_id}", response_model=Campaign, responses={400: {"description": "Id mismatch"}})
def put_campaign(campaign_id: str, campaign: Campaign, request: Request, ctx: AppContext = Depends(get_ctx),
                 principal: Principal = Depends(authenticate)) -> Campaign:
    if campaign.id != campaign_id:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the id in the body must match the id in the path")
    _writable(principal, campaign)
    existing = ctx.store.get_campaign(campaign_id)
    if existing is not None and not principal.sees_all and existing.workspace != principal.workspace:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id!r} not found")
    if existing is None:
        _not_retired(ctx.store, campaign)
    touch(request, [campaign.workspace] + ([existing.workspace] if existing else []))
    ctx.store.put_campaign(campaign)
    return campaign


@router.delete("/{campaign_id}", status_code=204, responses={404: {"description": "No such campaign"}})
def delete_campaign(campaign_id: str, request: Request, purge_posts: bool = False, ctx: AppContext = Depends(get_ctx),
                    principal: Principal = Depends(authenticate)) -> None:
    """The id is retired for every other workspace (409 on re-creation), with or without `purge_posts`: alerts,
    narratives and rules stay keyed by it. The same workspace may create it again and finds its old data."""
    campaign = ctx.store.get_campaign(campaign_id)
    if campaign is None or not can_see_campaign(principal, ctx.store, campaign_id) \
            or not ctx.store.remove_campaign(campaign_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id!r} not found")
    touch(request, [campaign.workspace])
    if purge_posts:
        ctx.store.delete_by_campaign(campaign_id)
