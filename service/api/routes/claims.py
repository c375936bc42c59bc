"""Debunked claims (/claims): what the claim matcher knows, and officers' own debunks beside the fact-check feeds.

`POST /claims` {title, claim, verdict, url} keeps a claim in the claim store and hands it to this process's live
claim matcher at once (service.classify.keep_claims, as the collectors do for feeds), so the next post repeating
it is matched and its alert's brief links the debunk. The id comes from the URL like a feed's (collectors.rss
claim_id), so adding the same debunk twice updates it; a claim without a URL gets an id from its text.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Query
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from collectors.rss import claim_id
from service.api.auth import Principal, authenticate
from service.api.deps import get_ctx
from service.classify import claim_store, keep_claims
from service.context import AppContext

router = APIRouter(prefix="/claims", tags=["claims"])


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=3, max_length=300, description="Headline of the debunk")
    claim: str = Field(min_length=10, max_length=4000, description="The false claim as people word it")
    verdict: str = Field(default="hoaks", min_length=2, max_length=40, description="As the debunk says: hoaks, salah…")
    url: AnyHttpUrl | None = Field(default=None, description="The published debunk (http/https)")


@router.get("", summary="Known debunked claims (newest first), optionally containing `q`")
def list_claims(ctx: AppContext = Depends(get_ctx), q: str = Query("", max_length=200),
                limit: int = Query(50, ge=1, le=500)) -> list[dict]:
    found = [c for c in claim_store(ctx.settings).all()
             if not q or q.casefold() in f"{c.get('title') or ''} {c.get('claim') or ''}".casefold()]
    return sorted(found, key=lambda c: str(c.get("date") or ""), reverse=True)[:limit]


@router.post("", status_code=201, summary="Add a debunk by hand; the claim matcher uses it at once")
def add_claim(body: ClaimIn, ctx: AppContext = Depends(get_ctx),
              principal: Principal = Depends(authenticate)) -> dict:
    url = str(body.url) if body.url else None
    cid = claim_id(url) if url else "manual-" + hashlib.sha1(body.claim.casefold().encode()).hexdigest()[:20]
    claim = {"id": cid, "title": body.title, "claim": body.claim, "verdict": body.verdict, "url": url,
             "date": datetime.now(timezone.utc).isoformat(), "source": f"manual:{principal.workspace}",
             "added_by": principal.name}
    keep_claims(claim_store(ctx.settings), getattr(ctx.pipeline.classifier, "claims", None), [claim])
    return claim
