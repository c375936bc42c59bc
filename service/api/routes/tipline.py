"""The public tipline's webhooks (no API key: each platform proves itself) and the PR desk's view of tips.

- `POST /tipline/telegram/{secret-path}`: 404 unless the path matches the configured secret, 401 unless
  `X-Telegram-Bot-Api-Secret-Token` matches (compared in constant time, before the body is parsed);
- `GET /tipline/whatsapp`: Meta's verification handshake (`hub.mode=subscribe`, `hub.verify_token`) echoes
  `hub.challenge`, else 403; `POST /tipline/whatsapp`: 401 without `X-Hub-Signature-256`, 403 when it is not the
  HMAC-SHA256 of the raw body with the app secret, checked before parsing;
- a tip that cannot be kept now answers 503, so the platform retries it (each message is handled once);
- `GET /tipline/tips?alert=|narrative=|campaign=`: the tips behind an alert or a narrative, in the caller's
  workspace; `POST /alerts/{id}/tip-answers`: the alert desk's counter-message to those tips' senders.
Nothing here ever returns or logs a sender's id, number or hash.
"""
from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from collectors.tipline import Tip, telegram_tip, valid_signature, whatsapp_tips
from service.alerts.brief import post_card
from service.api.auth import Principal, authenticate, check_campaign, scope_query, touch
from service.api.deps import get_ctx
from service.api.routes.alerts import actor_of, visible_alert
from service.api.routes.narratives import check_narrative
from service.context import AppContext
from service.store.base import Page, PostQuery

log = logging.getLogger(__name__)
WEBHOOK_MAX_BYTES = 1 << 20  # a Telegram update or a WhatsApp notification is a few KiB
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SIGNATURE_HEADER = "X-Hub-Signature-256"

webhooks = APIRouter(prefix="/tipline", tags=["tipline"])
router = APIRouter(tags=["tipline"])


def _same(given: str | None, secret) -> bool:
    return bool(given) and secret is not None and hmac.compare_digest(given.encode(), secret.get_secret_value().encode())


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > WEBHOOK_MAX_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "webhook body too large")
    return body


def _json(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "body is not JSON") from None


async def _receive(ctx: AppContext, tips: list[Tip]) -> None:
    for tip in tips:
        try:
            await run_in_threadpool(ctx.tipline.receive, tip)
        except Exception as exc:  # noqa: BLE001 - not kept: 503 makes the platform send it again
            log.warning("tip on %s not kept, the platform will retry: %s", tip.channel, type(exc).__name__)
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "tip not kept; retry later") from None


@webhooks.post("/telegram/{secret_path}", summary="Telegram Bot API webhook (setWebhook with secret_token)",
               responses={401: {}, 404: {}, 503: {}})
async def telegram_webhook(secret_path: str, request: Request, ctx: AppContext = Depends(get_ctx)) -> dict:
    tg = ctx.tipline.settings.telegram
    if tg.token is None or tg.webhook_secret is None or not _same(secret_path, tg.webhook_path):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")
    if not _same(request.headers.get(TELEGRAM_SECRET_HEADER), tg.webhook_secret):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing or wrong {TELEGRAM_SECRET_HEADER}")
    tip = telegram_tip(_json(await _body(request)))
    await _receive(ctx, [tip] if tip else [])
    return {"ok": True}


@webhooks.get("/whatsapp", response_class=PlainTextResponse, summary="WhatsApp webhook verification",
              responses={403: {}})
def whatsapp_verify(request: Request, ctx: AppContext = Depends(get_ctx)) -> str:
    q = request.query_params
    challenge = q.get("hub.challenge")
    if (q.get("hub.mode") == "subscribe" and challenge is not None and len(challenge) <= 200
            and _same(q.get("hub.verify_token"), ctx.tipline.settings.whatsapp.verify_token)):
        return challenge
    raise HTTPException(status.HTTP_403_FORBIDDEN, "verification failed")


@webhooks.post("/whatsapp", summary="WhatsApp Business Cloud API webhook (X-Hub-Signature-256)",
               responses={401: {}, 403: {}, 404: {}, 503: {}})
async def whatsapp_webhook(request: Request, ctx: AppContext = Depends(get_ctx)) -> dict:
    wa = ctx.tipline.settings.whatsapp
    if not ctx.tipline.settings.whatsapp_on:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"missing {SIGNATURE_HEADER}")
    body = await _body(request)
    if not valid_signature(wa.app_secret.get_secret_value(), body, header):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"wrong {SIGNATURE_HEADER}")
    await _receive(ctx, whatsapp_tips(_json(body)))
    return {"ok": True}


# -- the PR desk --
def _cards(ctx: AppContext, ids: list[str], limit: int) -> list[dict]:
    posts = ctx.store.get_many(ids[:limit])
    tips = ctx.tipline.store.tips(list(posts))
    return [post_card(posts[i], chars=1000) | {"channel": tips[i]["channel"], "answer": tips[i]["answer"],
                                                "claim_url": tips[i]["claim_url"],
                                                "forwarded": bool((posts[i].raw or {}).get("forwarded"))}
            for i in ids[:limit] if i in posts and i in tips]


@router.get("/tipline/tips", summary="Tips (platform=tipline posts) behind an alert, a narrative or a campaign")
def list_tips(alert: str | None = None, narrative: str | None = None, campaign: str | None = None,
              limit: int = Query(50, ge=1, le=500), ctx: AppContext = Depends(get_ctx),
              principal: Principal = Depends(authenticate)) -> dict:
    """`count` is every tip found, `tips` the newest `limit` of them (text, answer given, debunk link)."""
    if alert is not None:
        ids = ctx.tipline.tips_of_alert(visible_alert(principal, ctx, alert))
    elif narrative is not None:
        check_narrative(principal, ctx, narrative)
        ids = [p["post_id"] for p in ctx.alerts.alerts.ledger.narrative_posts(narrative, "tipline", newest=10_000)]
    else:
        if campaign is not None:
            check_campaign(principal, ctx.store, campaign)
        query = scope_query(principal, ctx.store, PostQuery(campaign=campaign, platform="tipline"))
        found = ctx.store.search(query, Page(limit=limit))
        return {"count": found.total, "tips": _cards(ctx, [p.id for p in found.posts], limit)}
    return {"count": len(ids), "tips": _cards(ctx, ids, limit)}


class TipAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, min_length=1, max_length=4000,
                             description="The counter-message; default: the alert brief's suggested reply")


@router.post("/alerts/{alert_id}/tip-answers", summary="Send a counter-message to the senders of the alert's tips",
             responses={404: {}, 409: {}, 422: {}})
def answer_tip_senders(alert_id: str, request: Request, body: TipAnswer | None = None,
                       ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> dict:
    """Each sender gets it at most once per alert, through the platform the tip came from; the answer counts are
    audited in the alert's trail. Senders are never named, in the answer or anywhere else."""
    alert = visible_alert(principal, ctx, alert_id)
    text = (body.text if body and body.text else None) or (alert.brief or {}).get("suggested_reply")
    if not text:
        raise HTTPException(status.HTTP_409_CONFLICT, "the alert has no suggested reply: send `text`")
    counts = ctx.tipline.answer_alert(alert, text, actor_of(request))
    touch(request, [w for w in {getattr(ctx.store.get_campaign(alert.campaign), "workspace", None)} if w])
    request.state.audit_detail = json.dumps({"tip_answers": alert.id, **counts})
    return counts
