"""Analyst corrections: relabel a post (sentiment, hoax / not hoax, claim match confirmed / rejected).

Permission ``corrections:write`` / ``corrections:read`` (analyst, admin). A key corrects only posts it can see; the
correction is recorded (service/corrections.py), the post is written back with the new label at once, and the
request is audited with the post's workspace in its detail.
"""
from __future__ import annotations

import json
import logging
import threading

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from classifiers.normalise import post_text
from service.api.auth import Principal, authenticate, can_see_post, check_campaign
from service.context import AppContext
from service.api.deps import get_ctx
from service.corrections import ClaimDecision, Correction, CorrectionStore, adaptation_rows, before_labels
from core.domain import Post, Sentiment

router = APIRouter(tags=["corrections"])
log = logging.getLogger(__name__)
_adapting: set[tuple[str, str]] = set()
_adapting_lock = threading.Lock()


class CorrectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sentiment: Sentiment | None = None
    hoax: bool | None = None
    claim_match: ClaimDecision | None = Field(default=None, description="About the post's matched claim")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _something(self) -> "CorrectionRequest":
        if self.sentiment is None and self.hoax is None and self.claim_match is None:
            raise ValueError("give at least one of sentiment, hoax, claim_match")
        return self


class CorrectionResult(BaseModel):
    correction: Correction
    post: Post


def corrections_of(ctx: AppContext) -> CorrectionStore:
    store = getattr(ctx, "corrections", None)
    if store is None:  # one store per app context, on the first correction
        store = ctx.corrections = CorrectionStore.for_settings(ctx.settings)  # type: ignore[attr-defined]
    return store


def _workspace(principal: Principal, ctx: AppContext, post: Post, asked: str | None) -> tuple[str, list[str]]:
    """The workspace the correction belongs to, and the post's campaigns in it."""
    by_ws: dict[str, list[str]] = {}
    for cid in post.campaigns:
        c = ctx.store.get_campaign(cid)
        if c is not None:
            by_ws.setdefault(c.workspace, []).append(cid)
    if not principal.sees_all:
        return principal.workspace, sorted(by_ws.get(principal.workspace, []))
    if asked:
        if asked not in by_ws:
            raise HTTPException(422, f"post {post.id!r} has no campaign in workspace {asked!r}")
        return asked, sorted(by_ws[asked])
    if len(by_ws) != 1:
        raise HTTPException(422, f"post {post.id!r} belongs to {len(by_ws)} workspaces "
                                 f"({', '.join(sorted(by_ws)) or 'none'}); pass ?workspace=")
    ws = next(iter(by_ws))
    return ws, sorted(by_ws[ws])


@router.post("/posts/{post_id}/corrections", response_model=CorrectionResult, status_code=201,
             summary="Correct a post's labels (analyst)", responses={404: {"description": "No such post"}})
def correct_post(post_id: str, body: CorrectionRequest, request: Request,
                 workspace: str | None = Query(None, description="For '*' keys when the post is in several"),
                 ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> CorrectionResult:
    post = ctx.store.get(post_id)
    if post is None or not can_see_post(principal, ctx.store, post):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"post {post_id!r} not found")
    claim_id = post.classification.matched_claim_id
    if body.claim_match is not None and not claim_id:
        raise HTTPException(422, f"post {post_id!r} has no matched claim to {body.claim_match}")
    ws, campaigns = _workspace(principal, ctx, post, workspace)
    store = corrections_of(ctx)
    rec = store.add(Correction(post_id=post.id, workspace=ws, campaigns=campaigns, sentiment=body.sentiment,
                               hoax=body.hoax, claim_match=body.claim_match,
                               claim_id=claim_id if body.claim_match else None, note=body.note,
                               text=post_text(post), lang=post.lang,
                               before=before_labels(post), actor=principal.key_id, actor_name=principal.name))
    request.state.audit_detail = json.dumps({"correction": rec.id, "post": post.id, "workspace": ws,
                                             **{k: v for k, v in body.model_dump().items() if v is not None
                                                and k != "note"}})
    if body.claim_match is not None:  # classified again, as a re-collection would: the next claim may match
        post = ctx.pipeline.classifier.classify([post])[0]
    else:
        store.apply([post])
    ctx.store.upsert([post])  # the label shows at once; the chain's overlay keeps it after re-collection
    for head, given in (("sentiment", body.sentiment), ("hoax", body.hoax)):
        if given is not None:
            maybe_adapt(ctx, store, ws, head)
    return CorrectionResult(correction=rec, post=post)


def _adapted_step(ctx: AppContext, head: str):
    """(model, registry) the pipeline adapts for ``head``, or None."""
    from classifiers.adapt import WorkspaceSentiment
    from classifiers.hoax import HoaxClassifier

    for s in getattr(ctx.pipeline.classifier, "steps", ()):
        if head == "sentiment" and isinstance(s, WorkspaceSentiment):
            return s.model, s.registry
        if head == "hoax" and isinstance(s, HoaxClassifier) and s.feedback is not None:
            return s.style, s.feedback.registry
    return None


def maybe_adapt(ctx: AppContext, store: CorrectionStore, workspace: str, head: str = "sentiment") -> bool:
    """NW_ADAPT_EVERY=N: each time the workspace's posts corrected for ``head`` (sentiment, hoax) reach a multiple of
    N, `narrawatch adapt --head` runs in a background thread (one per workspace and head at a time) with the
    pipeline's own model and head registry."""
    from classifiers.adapt import adapt

    every = ctx.settings.adapt_every
    if not every or store.corrected_posts(workspace, head) % every:
        return False
    found = _adapted_step(ctx, head)
    with _adapting_lock:
        if found is None or (workspace, head) in _adapting:
            return False
        _adapting.add((workspace, head))

    def run() -> None:
        try:
            rep = adapt(found[0], found[1], workspace, adaptation_rows(store, workspace, head),
                        min_corrections=every)
            log.info("automatic adaptation of %s (%s): %s", workspace, head, rep.as_dict())
        except Exception:  # a failed background fit must not take the API down; the next multiple retries
            log.exception("automatic adaptation of %s (%s) failed", workspace, head)
        finally:
            with _adapting_lock:
                _adapting.discard((workspace, head))

    threading.Thread(target=run, name=f"adapt-{workspace}-{head}", daemon=True).start()
    return True


@router.get("/corrections", response_model=list[Correction], summary="Corrections, newest first")
def list_corrections(campaign: str | None = None, post_id: str | None = None,
                     limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=100_000),
                     ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)
                     ) -> list[Correction]:
    """Only the caller's workspace (every workspace for `*`)."""
    if campaign:
        check_campaign(principal, ctx.store, campaign)
    return corrections_of(ctx).list(None if principal.sees_all else principal.workspace, campaign, post_id,
                                    limit, offset)
