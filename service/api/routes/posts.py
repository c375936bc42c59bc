from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from service.api.auth import Principal, authenticate, can_see_post, scope_query
from service.api.context import AppContext
from service.api.deps import get_ctx
from service.domain import Post, Sentiment
from service.store.base import MAX_LIMIT, MAX_OFFSET, Instant, Page, PostQuery, SearchResult

router = APIRouter(prefix="/posts", tags=["posts"])


def post_query(
    q: str | None = Query(None, description="Full-text query; words are ANDed, \"quoted phrases\" kept",
                          examples=["vaksin halal"]),
    campaign: str | None = None, platform: str | None = None, lang: str | None = None,
    sentiment: Sentiment | None = None, hoax: bool | None = None, author: str | None = None,
    since: Instant | None = Query(None, description="ISO 8601; created_at >= since"),
    until: Instant | None = Query(None, description="ISO 8601; created_at < until"),
) -> PostQuery:
    return PostQuery(text=q, campaign=campaign, platform=platform, lang=lang, sentiment=sentiment, hoax=hoax,
                     author=author, since=since, until=until)


def page(offset: int = Query(0, ge=0, le=MAX_OFFSET), limit: int = Query(20, ge=1, le=MAX_LIMIT),
         sort: Literal["relevance", "newest", "oldest", "engagement"] = "newest") -> Page:
    return Page(offset=offset, limit=limit, sort=sort)


@router.get("", response_model=SearchResult, summary="Search posts (full text + filters, paginated)")
def search_posts(query: PostQuery = Depends(post_query), paging: Page = Depends(page),
                 ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> SearchResult:
    """Only posts of the campaigns in the caller's workspace (every post for workspace `*`)."""
    return ctx.store.search(scope_query(principal, ctx.store, query), paging)


@router.get("/{post_id}", response_model=Post, responses={404: {"description": "No such post"}})
def get_post(post_id: str, ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> Post:
    post = ctx.store.get(post_id)
    if post is None or not can_see_post(principal, ctx.store, post):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"post {post_id!r} not found")
    return post


class IngestResult(BaseModel):
    received: int
    stored: int
    spooled: int
    quarantined: int = Field(0, description="Posts the store rejected (kept with the reason in "
                                            "$NW_DATA_DIR/quarantine/store.jsonl)")


@router.post("", response_model=IngestResult, status_code=202, summary="Submit posts through the pipeline")
def ingest_posts(posts: list[Post] = Body(..., max_length=5000), ctx: AppContext = Depends(get_ctx)) -> IngestResult:
    """The batch is validated whole: any invalid item (e.g. a `created_at` outside 1970..2099 UTC) is a 422 naming
    each bad item (`1.created_at: ...`) and nothing of the batch is stored; resend it without the items named."""
    stats = ctx.pipeline.process(posts)
    return IngestResult(received=stats.received, stored=stats.stored, spooled=stats.spooled,
                        quarantined=stats.quarantined)
