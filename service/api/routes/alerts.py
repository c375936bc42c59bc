"""Alerts (list, detail, live SSE stream, acknowledge/assign/resolve with audit) and alert rules (CRUD)."""
from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from service.alerts.delivery.sse import format_event
from service.alerts.rules import Rule, RuleIn
from service.api.context import AppContext
from service.api.deps import get_ctx
from service.domain import Alert, utcnow

alerts_router = APIRouter(prefix="/alerts", tags=["alerts"])
rules_router = APIRouter(prefix="/rules", tags=["alerts"])

Status = Literal["open", "acknowledged", "assigned", "resolved"]
Severity = Literal["info", "low", "medium", "high", "critical"]
HEARTBEAT_SECONDS = 15.0


def engine_of(ctx: AppContext):
    engine = getattr(ctx, "alerts", None)
    if engine is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the alert engine is not running")
    return engine


def actor_of(request: Request, fallback: str | None = None) -> str:
    user = getattr(request.state, "user", None) or getattr(request.state, "principal", None)
    if user is not None:
        for attr in ("name", "id", "username"):
            value = getattr(user, attr, None) or (user.get(attr) if isinstance(user, dict) else None)
            if value:
                return str(value)
        return str(user)
    return fallback or "anonymous"


class AlertAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: str | None = Field(default=None, max_length=200, description="Ignored when the request is authenticated")
    note: str | None = Field(default=None, max_length=4000)


class AssignAction(AlertAction):
    assignee: str = Field(min_length=1, max_length=200)


class AlertDetail(Alert):
    audit: list[dict] = Field(default_factory=list)
    deliveries: list[dict] = Field(default_factory=list)


@alerts_router.get("", response_model=list[Alert], summary="Alerts, newest first")
def list_alerts(status_: Status | None = Query(None, alias="status"), campaign: str | None = None,
                severity: Severity | None = None, limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0, le=100_000), ctx: AppContext = Depends(get_ctx)) -> list[Alert]:
    return engine_of(ctx).alerts.list_alerts(status_, campaign, severity, limit, offset)


@alerts_router.get("/stream", summary="Live alerts as Server-Sent Events (text/event-stream)",
                   response_class=StreamingResponse,
                   responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}})
async def stream(request: Request, campaign: str | None = None,
                 last_event_id: str | None = Header(None, alias="Last-Event-ID"),
                 ctx: AppContext = Depends(get_ctx)) -> StreamingResponse:
    engine = engine_of(ctx)
    try:
        after = int(last_event_id) if last_event_id else None
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Last-Event-ID must be an alert sequence number") from None
    queue = engine.broker.subscribe()

    async def events():
        try:
            yield format_event(None, "hello", {"at": utcnow().isoformat()})
            if after is not None:  # replay what the client missed
                missed = await asyncio.to_thread(engine.alerts.list_alerts, None, campaign, None, 500, 0, after)
                for alert in missed:
                    yield format_event(engine.alerts.seq_of(alert.id), "alert", alert.model_dump(mode="json"))
            while True:
                try:
                    seq, event, data = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if campaign is None or data.get("campaign") == campaign:
                    yield format_event(seq, event, data)
        finally:
            engine.broker.unsubscribe(queue)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@alerts_router.get("/{alert_id}", response_model=AlertDetail, responses={404: {"description": "No such alert"}})
def get_alert(alert_id: str, ctx: AppContext = Depends(get_ctx)) -> AlertDetail:
    store = engine_of(ctx).alerts
    alert = store.get_alert(alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id!r} not found")
    deliveries = [row | {"attempt_log": store.attempts(row["id"])} for row in store.outbox(alert_id)]
    return AlertDetail(**alert.model_dump(), audit=store.audit_trail(alert_id), deliveries=deliveries)


def _transition(ctx, request, alert_id: str, action: str, body: AlertAction, **kw) -> Alert:
    engine = engine_of(ctx)
    current = engine.alerts.get_alert(alert_id)
    if current is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id!r} not found")
    if current.status == "resolved" and action != "resolve":
        raise HTTPException(status.HTTP_409_CONFLICT, f"alert {alert_id!r} is resolved")
    alert = engine.transition(alert_id, actor_of(request, body.actor), action, note=body.note, **kw)
    return alert


@alerts_router.post("/{alert_id}/ack", response_model=Alert, responses={404: {}, 409: {}})
def acknowledge(alert_id: str, request: Request, body: AlertAction | None = None,
                ctx: AppContext = Depends(get_ctx)) -> Alert:
    body = body or AlertAction()
    current = engine_of(ctx).alerts.get_alert(alert_id)
    new_status = "assigned" if current is not None and current.status == "assigned" else "acknowledged"
    return _transition(ctx, request, alert_id, "ack", body, status=new_status)


@alerts_router.post("/{alert_id}/assign", response_model=Alert, responses={404: {}, 409: {}})
def assign(alert_id: str, body: AssignAction, request: Request, ctx: AppContext = Depends(get_ctx)) -> Alert:
    return _transition(ctx, request, alert_id, "assign", body, status="assigned", assignee=body.assignee)


@alerts_router.post("/{alert_id}/resolve", response_model=Alert, responses={404: {}})
def resolve(alert_id: str, request: Request, body: AlertAction | None = None,
            ctx: AppContext = Depends(get_ctx)) -> Alert:
    return _transition(ctx, request, alert_id, "resolve", body or AlertAction(), status="resolved")


# -- rules --
@rules_router.get("", response_model=list[Rule], summary="Alert rules")
def list_rules(campaign: str | None = None, ctx: AppContext = Depends(get_ctx)) -> list[Rule]:
    return engine_of(ctx).alerts.list_rules(campaign)


@rules_router.get("/{rule_id}", response_model=Rule, responses={404: {"description": "No such rule"}})
def get_rule(rule_id: str, ctx: AppContext = Depends(get_ctx)) -> Rule:
    rule = engine_of(ctx).alerts.get_rule(rule_id)
    if rule is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"rule {rule_id!r} not found")
    return rule


@rules_router.post("", response_model=Rule, status_code=201, summary="Create a rule")
def create_rule(body: RuleIn, request: Request, ctx: AppContext = Depends(get_ctx)) -> Rule:
    rule = Rule(**body.model_dump())
    return engine_of(ctx).put_rule(rule, actor_of(request), "rule.create")


@rules_router.put("/{rule_id}", response_model=Rule, responses={404: {"description": "No such rule"}})
def update_rule(rule_id: str, body: RuleIn, request: Request, ctx: AppContext = Depends(get_ctx)) -> Rule:
    engine = engine_of(ctx)
    old = engine.alerts.get_rule(rule_id)
    if old is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"rule {rule_id!r} not found")
    rule = Rule(**body.model_dump(), id=rule_id, created_at=old.created_at)
    return engine.put_rule(rule, actor_of(request), "rule.update")


@rules_router.delete("/{rule_id}", status_code=204, responses={404: {"description": "No such rule"}})
def delete_rule(rule_id: str, request: Request, ctx: AppContext = Depends(get_ctx)) -> None:
    if not engine_of(ctx).delete_rule(rule_id, actor_of(request)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"rule {rule_id!r} not found")


router = APIRouter()
router.include_router(alerts_router)
router.include_router(rules_router)
