"""Saved searches (/saved-searches): named queries with filters, per workspace. Their results page like
`GET /posts`, export through `/export/posts?saved_search=ID`, and `POST /saved-searches/{id}/rules` turns one into a
keyword alert rule (the `rules` segment: it needs the rules permission, as `POST /rules` does)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from service.alerts.rules import Rule, Severity
from service.api.auth import (Principal, authenticate, check_campaign, scope_query, shown_post,
                              visible_campaign_ids)
from service.api.deps import get_ctx
from service.api.routes.alerts import actor_of, check_rule_campaign
from service.api.routes.posts import page
from service.context import AppContext
from service.saved_searches import ID, NotARule, SavedSearch, SavedSearches, SavedSearchIn, rule_query
from service.store.base import Page, SearchResult
from service.store.query import parse

router = APIRouter(prefix="/saved-searches", tags=["saved searches"])


def searches(request: Request) -> SavedSearches:
    """One collection per app (opened on first use: the document store of the configured backend)."""
    state = request.app.state
    if getattr(state, "saved_searches", None) is None:
        state.saved_searches = SavedSearches.open(state.ctx.settings)
    return state.saved_searches


def visible_search(principal: Principal, found: SavedSearches, search_id: str) -> SavedSearch:
    saved = found.get(search_id) if ID.fullmatch(search_id) else None  # no store sees an empty or 1 kB id
    if saved is None or not (principal.sees_all or saved.workspace == principal.workspace):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"saved search {search_id!r} not found")
    return saved


def _check(principal: Principal, ctx: AppContext, body: SavedSearchIn) -> None:
    """The query must parse (400 with the position) and a campaign filter be the caller's (404 otherwise)."""
    if body.query.strip():
        parse(body.query)
    if body.filters.campaign:
        check_campaign(principal, ctx.store, body.filters.campaign)


@router.get("", response_model=list[SavedSearch], summary="Saved searches of the caller's workspace")
def list_searches(request: Request, principal: Principal = Depends(authenticate)) -> list[SavedSearch]:
    return searches(request).list(None if principal.sees_all else principal.workspace)


@router.post("", response_model=SavedSearch, status_code=201, summary="Save a search",
             responses={400: {"description": "The query cannot be read"},
                        404: {"description": "Campaign filter not in the workspace"}})
def create_search(body: SavedSearchIn, request: Request, ctx: AppContext = Depends(get_ctx),
                  principal: Principal = Depends(authenticate)) -> SavedSearch:
    _check(principal, ctx, body)
    return searches(request).create(body, owner=principal.name, workspace=principal.workspace)


@router.get("/{search_id}", response_model=SavedSearch, responses={404: {"description": "No such saved search"}})
def get_search(search_id: str, request: Request, principal: Principal = Depends(authenticate)) -> SavedSearch:
    return visible_search(principal, searches(request), search_id)


@router.put("/{search_id}", response_model=SavedSearch, responses={404: {"description": "No such saved search"}})
def update_search(search_id: str, body: SavedSearchIn, request: Request, ctx: AppContext = Depends(get_ctx),
                  principal: Principal = Depends(authenticate)) -> SavedSearch:
    found = searches(request)
    old = visible_search(principal, found, search_id)
    _check(principal, ctx, body)
    return found.replace(old, body)


@router.delete("/{search_id}", status_code=204, responses={404: {"description": "No such saved search"}})
def delete_search(search_id: str, request: Request, principal: Principal = Depends(authenticate)) -> None:
    found = searches(request)
    visible_search(principal, found, search_id)
    found.delete(search_id)


@router.get("/{search_id}/posts", response_model=SearchResult, summary="Run a saved search (paged like /posts)")
def run_search(search_id: str, request: Request, paging: Page = Depends(page), ctx: AppContext = Depends(get_ctx),
               principal: Principal = Depends(authenticate)) -> SearchResult:
    saved = visible_search(principal, searches(request), search_id)
    result = ctx.store.search(scope_query(principal, ctx.store, saved.post_query()), paging)
    visible = visible_campaign_ids(principal, ctx.store)
    return result.model_copy(update={"posts": [shown_post(principal, visible, p) for p in result.posts]})


class RuleFromSearch(BaseModel):
    severity: Severity = "medium"
    campaign: str | None = Field(default=None, description="When the search names none (filter or campaign:)")


@router.post("/{search_id}/rules", response_model=Rule, status_code=201,
             summary="Create a keyword alert rule from a saved search",
             responses={404: {"description": "No such saved search"},
                        422: {"description": "The search has parts a keyword rule cannot express"}})
def rule_from_search(search_id: str, request: Request, body: RuleFromSearch | None = None,
                     ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> Rule:
    """Words and phrases become `all`, one OR group `any`, NOTs `none`, platform:/lang: the rule's filters; the rule
    matches new posts' words as written (no stems or prefixes). Named after the search."""
    body = body or RuleFromSearch()
    saved = visible_search(principal, searches(request), search_id)
    try:
        query, campaign = rule_query(saved)
    except NotARule as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    if campaign and body.campaign and campaign != body.campaign:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            f"the search is about campaign {campaign!r}, not {body.campaign!r}")
    campaign = campaign or body.campaign
    check_rule_campaign(principal, ctx, campaign)
    rule = Rule(name=saved.name, kind="keyword", campaign=campaign, severity=body.severity, query=query)
    return ctx.alerts.put_rule(rule, actor_of(request), "rule.create")

