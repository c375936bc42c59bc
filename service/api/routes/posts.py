from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from service.api.auth import (Principal, authenticate, can_see_post, scope_query, shown_post, touch,
                              visible_campaign_ids)
from service.context import AppContext
from service.api.deps import get_ctx
from core.domain import TEXT_MAX, Post, Sentiment
from core.periods import Zone
from service.narratives.volume import Volume, volume
from service.store.query import parse
from service.store.base import MAX_LIMIT, MAX_OFFSET, Instant, Page, PostQuery, SearchResult, Sort

router = APIRouter(prefix="/posts", tags=["posts"])


def post_query(
    q: str | None = Query(None, description="Search language (README, Search): words ANDed, OR, NOT/-word, "
                          "\"phrases\", prefix*, (groups), author: platform: lang: hashtag: domain: campaign:; "
                          "400 naming the position when it cannot be read", examples=["(vaksin OR vaccine) -hoaks"]),
    campaign: str | None = None, platform: str | None = None, lang: str | None = None,
    sentiment: Sentiment | None = None, hoax: bool | None = None, author: str | None = None,
    since: Instant | None = Query(None, description="ISO 8601; created_at >= since"),
    until: Instant | None = Query(None, description="ISO 8601; created_at < until"),
) -> PostQuery:
    if q and q.strip():
        parse(q)  # QuerySyntaxError -> 400 before any store work (an export would have started streaming)
    return PostQuery(text=q, campaign=campaign, platform=platform, lang=lang, sentiment=sentiment, hoax=hoax,
                     author=author, since=since, until=until)


def page(offset: int = Query(0, ge=0, le=MAX_OFFSET), limit: int = Query(20, ge=1, le=MAX_LIMIT),
         sort: Sort = Query("newest", description="relevance (text queries), newest, oldest, engagement (most "
                            "first) or hoax (hoax score, highest first); ties newest first")) -> Page:
    return Page(offset=offset, limit=limit, sort=sort)


@router.get("", response_model=SearchResult, summary="Search posts (full text + filters, paginated)")
def search_posts(query: PostQuery = Depends(post_query), paging: Page = Depends(page),
                 ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> SearchResult:
    """Only posts of the campaigns in the caller's workspace (every post for workspace `*`)."""
    result = ctx.store.search(scope_query(principal, ctx.store, query), paging)
    visible = visible_campaign_ids(principal, ctx.store)
    return result.model_copy(update={"posts": [shown_post(principal, visible, p) for p in result.posts]})


@router.get("/volume", response_model=Volume, summary="Mentions over time for a search, spikes marked",
            responses={422: {"description": "Bad filter, or dates spanning more than 5000 days"}})
def search_volume(query: PostQuery = Depends(post_query), ctx: AppContext = Depends(get_ctx),
                  principal: Principal = Depends(authenticate),
                  interval: Literal["auto", "hour", "day"] = Query("auto", description="auto: hours for a span up to "
                                                                   "3 days, else days"),
                  tz: Zone | None = Query(None, description="Zone of the buckets: Asia/Jakarta (WIB), Asia/Makassar "
                                          "(WITA), Asia/Jayapura (WIT) or UTC; default NW_TIMEZONE")) -> Volume:
    """Same search and filters as `GET /posts`. Every bucket from `since` (else the first match) to `until` (else the
    last match) is listed, empty ones as 0; `spike` marks a bucket whose count stands out against the 14 before it
    (robust z >= 3 and at least 3 posts, the volume alert's test)."""
    try:
        return volume(ctx.store, scope_query(principal, ctx.store, query), interval, tz or ctx.settings.timezone)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None


@router.get("/{post_id}", response_model=Post, responses={404: {"description": "No such post"}})
def get_post(post_id: str, ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> Post:
    post = ctx.store.get(post_id)
    if post is None or not can_see_post(principal, ctx.store, post):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"post {post_id!r} not found")
    return shown_post(principal, visible_campaign_ids(principal, ctx.store), post)


class IngestResult(BaseModel):
    received: int
    stored: int
    spooled: int
    quarantined: int = Field(0, description="Posts the store rejected (kept with the reason in "
                                            "$NW_DATA_DIR/quarantine/store.jsonl)")
    kept: int = Field(0, description="Posts already held by another workspace's campaigns: their content was kept "
                                     "and only this workspace's campaigns were added")
    truncated: int = Field(0, description=f"Posts whose text exceeded {TEXT_MAX} characters, stored truncated "
                                          "(`truncated: true`)")


@router.post("", response_model=IngestResult, status_code=202, summary="Submit posts through the pipeline",
             responses={413: {"description": "Body larger than NW_MAX_BODY_BYTES"},
                        422: {"description": "Invalid post, or a campaign outside the key's workspace"}})
def ingest_posts(request: Request, posts: list[Post] = Body(..., max_length=5000), ctx: AppContext = Depends(get_ctx),
                 principal: Principal = Depends(authenticate)) -> IngestResult:
    """A workspace key writes within its workspace: the `campaigns` it sends must be its own (else 422), posts are
    tagged with its own campaigns only, and a post that already belongs to another workspace's campaign keeps its
    stored content (`kept`): it only gains this workspace's campaigns. The audit row is listed in every workspace
    whose campaigns the stored posts carry.

    The batch is validated whole: any invalid item (e.g. a `created_at` outside 1970..2099 UTC) is a 422 naming
    each bad item (`1.created_at: ...`) and nothing of the batch is stored; resend it without the items named."""
    store, kept, touched = ctx.store, 0, set()
    workspace = None if principal.sees_all else principal.workspace
    if workspace is not None:
        own = set(visible_campaign_ids(principal, store) or [])
        if foreign := sorted({c for p in posts for c in p.campaigns} - own):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                                f"campaigns unknown in workspace {workspace!r}: {', '.join(foreign[:20])}")
        stored = store.get_many(p.id for p in posts)  # store down: 503, nothing accepted (ownership is unknown)
        for i, post in enumerate(posts):
            old = stored.get(post.id)
            if old is not None and set(old.campaigns) - own:
                # the store unions the stored campaign ids back: the pipeline (and the alerts) only see ours
                mine = sorted((set(old.campaigns) & own) | set(post.campaigns))
                posts[i] = old.model_copy(update={"campaigns": mine})
                touched.update(old.campaigns)
                kept += 1
    stats = ctx.pipeline.process(posts, workspace=workspace)
    owners = {c.id: c.workspace for c in store.list_campaigns()}
    touch(request, [owners.get(c) for c in touched.union(*(p.campaigns for p in posts))] + [workspace])
    return IngestResult(received=stats.received, stored=stats.stored, spooled=stats.spooled,
                        quarantined=stats.quarantined, kept=kept,
                        truncated=sum(p.truncated for p in posts))
