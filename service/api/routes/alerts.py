"""Alerts (list, detail, live SSE stream, acknowledge/assign/resolve with audit) and alert rules (CRUD).

Per-agency workspaces: a key sees and acts on the alerts of its workspace's campaigns only (workspace ``*``: all).
Lists are filtered, a single alert of another workspace answers 404 (ids are not disclosed), the SSE stream
filters events per connection, and ``?campaign=`` naming a foreign campaign is 404. Rules are scoped by their
campaign; see :func:`can_see_rule` for rules without one.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from service.alerts.delivery.sse import format_event, last_event_id as parse_last_event_id
from service.alerts.rules import Rule, RuleIn
from service.alerts.impact import response_impact
from service.alerts.store import Stale
from service.api.auth import (ALL_WORKSPACES, Principal, allowed, auth_state, authenticate, can_see_campaign,
                              check_campaign, visible_campaign_ids)
from service.context import AppContext
from service.api.deps import get_ctx
from core.dates import parse_datetime
from core.domain import Alert, utcnow
from core.periods import ZONES, check_zone

alerts_router = APIRouter(prefix="/alerts", tags=["alerts"])
rules_router = APIRouter(prefix="/rules", tags=["alerts"])

Status = Literal["open", "acknowledged", "assigned", "resolved"]
StatusFilter = Literal["open", "acknowledged", "assigned", "resolved", "active"]
Severity = Literal["info", "low", "medium", "high", "critical"]
HEARTBEAT_SECONDS = 15.0
SCOPE_REFRESH_SECONDS = 30.0  # an open SSE connection re-reads its workspace's campaigns this often


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
    expected_status: list[Status] | None = Field(
        default=None, max_length=4, description="The statuses the caller saw; another one now answers 409 (stale)")


class AssignAction(AlertAction):
    assignee: str = Field(min_length=1, max_length=200, description="A user (key name) of the alert's workspace")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class ResponseIn(BaseModel):
    """A counter-message actually sent (by the office's own channel, outside narrawatch)."""
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)
    channel: str = Field(min_length=1, max_length=100, examples=["x", "instagram", "press release", "whatsapp"])
    url: str | None = Field(default=None, max_length=4096, pattern=r"^https?://\S+$")
    sent_at: str | None = Field(default=None, max_length=64, description="ISO 8601; default: now")


class Assignee(BaseModel):
    name: str
    workspace: str
    roles: list[str]


class AlertDetail(Alert):
    audit: list[dict] = Field(default_factory=list)
    deliveries: list[dict] = Field(default_factory=list)


@alerts_router.get("", response_model=list[Alert], summary="Alerts, newest first (or most severe first)")
def list_alerts(status_: StatusFilter | None = Query(None, alias="status", description="active: not resolved"),
                campaign: str | None = None, severity: Severity | None = None,
                rule: str | None = Query(None, max_length=200),
                sort: Literal["newest", "severity"] = Query("newest", description="severity: most severe first, "
                                                                                  "newest first within one"),
                limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0, le=100_000), ctx: AppContext = Depends(get_ctx),
                principal: Principal = Depends(authenticate)) -> list[Alert]:
    """Only alerts of the campaigns in the caller's workspace; a foreign `campaign` is 404."""
    engine = ctx.alerts
    return engine.alerts.list_alerts(status_, campaign, severity, limit, offset,
                                     campaigns=_scope(principal, ctx, campaign), rule=rule, sort=sort)


def workspace_users(request: Request, workspace: str | None) -> list[Assignee]:
    """The named users who may be assigned alerts: the active keys and sessions' names of `workspace` (all
    workspaces for None) whose role may act on alerts. A name used by several keys is one user."""
    users: dict[tuple[str, str], set[str]] = {}
    for key in auth_state(request).keys.list():
        if key.revoked_at is None and allowed(key.role, "alerts:write") and key.workspace != ALL_WORKSPACES \
                and workspace in (None, key.workspace):
            users.setdefault((key.workspace, key.name), set()).add(key.role)
    return [Assignee(name=n, workspace=w, roles=sorted(r)) for (w, n), r in sorted(users.items())]


def _workspace_of(ctx: AppContext, campaign_id: str) -> str | None:
    campaign = ctx.store.get_campaign(campaign_id)
    return campaign.workspace if campaign else None


@alerts_router.get("/assignees", response_model=list[Assignee], summary="Users alerts may be assigned to")
def assignees(request: Request, campaign: str | None = Query(None, max_length=200),
              ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> list[Assignee]:
    """The caller's workspace's users (a `campaign`'s workspace; for a key of workspace `*` without one, every
    workspace's). A foreign `campaign` is 404."""
    if campaign is not None:
        check_campaign(principal, ctx.store, campaign)
        return workspace_users(request, _workspace_of(ctx, campaign))
    return workspace_users(request, None if principal.sees_all else principal.workspace)


def _scope(principal: Principal, ctx: AppContext, campaign: str | None) -> list[str] | None:
    """The `campaigns` filter for a list: None = no restriction. A foreign `campaign` raises 404."""
    if campaign is not None:
        check_campaign(principal, ctx.store, campaign)
        return None
    return visible_campaign_ids(principal, ctx.store)


def visible_alert(principal: Principal, ctx: AppContext, alert_id: str) -> Alert:
    """The alert, or 404 when it does not exist or belongs to another workspace (the same answer for both)."""
    alert = ctx.alerts.alerts.get_alert(alert_id)
    if alert is None or not can_see_campaign(principal, ctx.store, alert.campaign):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id!r} not found")
    return alert


class CampaignFilter:
    """Which SSE events one connection may receive: its `campaign`, or its workspace's campaigns (re-read every
    SCOPE_REFRESH_SECONDS, so a campaign added to or moved out of the workspace takes effect on open streams)."""

    def __init__(self, principal: Principal, store, campaign: str | None = None):
        self.principal, self.store, self.campaign = principal, store, campaign
        self.visible: set[str] | None = None
        self.loaded = float("-inf")

    async def allows(self, campaign: str | None) -> bool:
        if self.campaign is not None:
            return campaign == self.campaign
        if self.principal.sees_all:
            return True
        if time.monotonic() - self.loaded > SCOPE_REFRESH_SECONDS:
            self.visible = set(await asyncio.to_thread(visible_campaign_ids, self.principal, self.store) or ())
            self.loaded = time.monotonic()
        return campaign in (self.visible or ())

    async def ids(self) -> list[str] | None:
        if self.campaign is not None:
            return [self.campaign]
        if self.principal.sees_all:
            return None
        await self.allows(None)
        return sorted(self.visible or ())


@alerts_router.get("/stream", summary="Live alerts as Server-Sent Events (text/event-stream)",
                   response_class=StreamingResponse,
                   responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}})
async def stream(request: Request, campaign: str | None = None,
                 last_event_id: str | None = Header(None, alias="Last-Event-ID"),
                 ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> StreamingResponse:
    """Events of the caller's workspace only (`campaign` narrows further; foreign: 404), from every API and worker
    process: `alert` (fired), `alert.updated` (new evidence), `alert.status` (ack/resolve), `alert.assigned`, `alert.note`,
    `alert.response`. The
    data is the alert; the id is the event log's sequence number, for Last-Event-ID on any replica."""
    engine = ctx.alerts
    try:
        after = parse_last_event_id(last_event_id)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if campaign is not None:
        await asyncio.to_thread(check_campaign, principal, ctx.store, campaign)
    scope = CampaignFilter(principal, ctx.store, campaign)
    queue, position = engine.feed.subscribe()

    async def events():
        try:
            yield format_event(None, "hello", {"at": utcnow().isoformat()})
            last = position
            if after is not None:  # replay what the client missed, from the shared log (any replica)
                last = after
                while batch := await asyncio.to_thread(engine.events.tail, last, 500):
                    for event in batch:
                        if await scope.allows(event.data.get("campaign")):
                            yield format_event(event.seq, event.kind, event.data)
                    last = batch[-1].seq
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if event.seq > last and await scope.allows(event.data.get("campaign")):
                    last = event.seq
                    yield format_event(event.seq, event.kind, event.data)
        finally:
            engine.feed.unsubscribe(queue)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@alerts_router.get("/{alert_id}", response_model=AlertDetail, responses={404: {"description": "No such alert"}})
def get_alert(alert_id: str, ctx: AppContext = Depends(get_ctx),
              principal: Principal = Depends(authenticate)) -> AlertDetail:
    store = ctx.alerts.alerts
    alert = visible_alert(principal, ctx, alert_id)
    deliveries = [row | {"attempt_log": store.attempts(row["id"])} for row in store.outbox(alert_id)]
    return AlertDetail(**alert.model_dump(), audit=store.audit_trail(alert_id), deliveries=deliveries)


def stale_message(exc: Stale) -> str:
    """What changed, in words an officer reads: who did what, when, and the alert's status now."""
    alert, last = exc.alert, exc.last
    text = f"This alert changed meanwhile: it is now {alert.status}"
    if alert.assignee:
        text += f", assigned to {alert.assignee}"
    if last:
        done = {"ack": "acknowledged", "assign": "assigned", "resolve": "resolved"}.get(last["action"], last["action"])
        text += f" ({done} by {last['actor']} at {str(last['at'])[:16].replace('T', ' ')} UTC)"
    return text + ". Reload the card before acting again."


def _act(principal: Principal, ctx: AppContext, alert_id: str, act: Callable[[], Alert | None]) -> Alert:
    """`act()` on an alert the caller may see: 404 when it is not visible (or gone meanwhile: `act` returns None),
    409 when it changed meanwhile (Stale), 422 when it holds too many entries (ValueError)."""
    visible_alert(principal, ctx, alert_id)
    try:
        alert = act()
    except Stale as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, {"error": "stale", "message": stale_message(exc),
                                                       "alert": exc.alert.model_dump(mode="json"),
                                                       "last": exc.last}) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id!r} not found")
    return alert


def _transition(ctx, request, principal: Principal, alert_id: str, action: str, body: AlertAction, **kw) -> Alert:
    expected = tuple(body.expected_status) if body.expected_status else None
    return _act(principal, ctx, alert_id, lambda: ctx.alerts.transition(
        alert_id, actor_of(request, body.actor), action, note=body.note, expected=expected, **kw))


@alerts_router.post("/{alert_id}/ack", response_model=Alert, responses={404: {}, 409: {}})
def acknowledge(alert_id: str, request: Request, body: AlertAction | None = None,
                ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> Alert:
    body = body or AlertAction()
    current = visible_alert(principal, ctx, alert_id)
    new_status = "assigned" if current.status == "assigned" else "acknowledged"
    return _transition(ctx, request, principal, alert_id, "ack", body, status=new_status)


@alerts_router.post("/{alert_id}/assign", response_model=Alert, responses={404: {}, 409: {}})
def assign(alert_id: str, body: AssignAction, request: Request, ctx: AppContext = Depends(get_ctx),
           principal: Principal = Depends(authenticate)) -> Alert:
    """`assignee` must be a user of the alert's workspace (GET /alerts/assignees); anyone else is 422."""
    current = visible_alert(principal, ctx, alert_id)
    workspace = _workspace_of(ctx, current.campaign)
    if body.assignee not in {u.name for u in workspace_users(request, workspace)}:
        raise HTTPException(422,
                            f"assignee: no user named {body.assignee!r} in workspace {workspace!r} may act on "
                            "alerts (see GET /alerts/assignees)")
    return _transition(ctx, request, principal, alert_id, "assign", body, status="assigned", assignee=body.assignee)


@alerts_router.post("/{alert_id}/resolve", response_model=Alert, responses={404: {}})
def resolve(alert_id: str, request: Request, body: AlertAction | None = None,
            ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> Alert:
    return _transition(ctx, request, principal, alert_id, "resolve", body or AlertAction(), status="resolved")


@alerts_router.get("/{alert_id}/notes", response_model=list[dict], responses={404: {}})
def notes(alert_id: str, ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> list:
    return visible_alert(principal, ctx, alert_id).notes


@alerts_router.post("/{alert_id}/notes", response_model=Alert, status_code=201, responses={404: {}, 422: {}},
                    summary="Add a note to an alert (audited; pushed live)")
def add_note(alert_id: str, body: NoteIn, request: Request, ctx: AppContext = Depends(get_ctx),
             principal: Principal = Depends(authenticate)) -> Alert:
    def note() -> Alert | None:
        if not body.text.strip():
            raise HTTPException(422, "text: a note needs words")
        return ctx.alerts.note(alert_id, actor_of(request), body.text.strip())

    return _act(principal, ctx, alert_id, note)


@alerts_router.post("/{alert_id}/responses", response_model=Alert, status_code=201, responses={404: {}, 422: {}},
                    summary="Record the counter-message actually sent (text, channel, URL, time; audited)")
def add_response(alert_id: str, body: ResponseIn, request: Request, ctx: AppContext = Depends(get_ctx),
                 principal: Principal = Depends(authenticate)) -> Alert:
    def respond() -> Alert | None:
        try:
            sent_at = parse_datetime(body.sent_at) if body.sent_at else utcnow()
        except ValueError as exc:
            raise HTTPException(422, f"sent_at: {exc}") from None
        if sent_at > utcnow() + timedelta(minutes=5):
            raise HTTPException(422, "sent_at: a message already sent is not in the future")
        if not body.text.strip():
            raise HTTPException(422, "text: the message sent is empty")
        return ctx.alerts.respond(alert_id, actor_of(request), text=body.text.strip(), channel=body.channel.strip(),
                                  url=body.url, sent_at=sent_at)

    return _act(principal, ctx, alert_id, respond)


@alerts_router.get("/{alert_id}/impact", responses={404: {}, 422: {}},
                   summary="Volume and sentiment of the alert's narrative before vs after each counter-message")
def impact(alert_id: str, hours: int = Query(24, ge=1, le=24 * 14), tz: str | None = Query(None, max_length=40),
           ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> dict:
    """One entry per recorded response: the `hours` before it against the `hours` after it, windows in `tz`
    (default NW_TIMEZONE: WIB/WITA/WIT)."""
    alert = visible_alert(principal, ctx, alert_id)
    zone_name = tz or ctx.settings.timezone
    try:
        check_zone(zone_name)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"alert_id": alert.id, "zones": list(ZONES),
            "responses": [response_impact(ctx.alerts.alerts, alert, r, hours, zone_name) for r in alert.responses]}


# -- rules --
def can_see_rule(principal: Principal, store, rule: Rule) -> bool:
    """A rule belongs to the workspace of its campaign.

    A rule without a campaign (``campaign: null``) applies to every campaign of every agency, so only a key of
    workspace ``*`` may see, create, change or delete one; for a workspace key such a rule does not exist (404 on
    read/update/delete, absent from lists) and creating one is refused with 403. The engine still applies global
    rules to every campaign: their alerts carry the campaign's id and are visible in its workspace.
    """
    if principal.sees_all:
        return True
    return rule.campaign is not None and can_see_campaign(principal, store, rule.campaign)


def check_rule_campaign(principal: Principal, ctx: AppContext, campaign: str | None) -> None:
    if campaign is None:
        if not principal.sees_all:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "a rule without a campaign applies to every workspace; "
                                "only a key of workspace '*' may manage one: set `campaign`")
        return
    check_campaign(principal, ctx.store, campaign)


def visible_rule(principal: Principal, ctx: AppContext, rule_id: str) -> Rule:
    rule = ctx.alerts.alerts.get_rule(rule_id)
    if rule is None or not can_see_rule(principal, ctx.store, rule):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"rule {rule_id!r} not found")
    return rule


@rules_router.get("", response_model=list[Rule], summary="Alert rules")
def list_rules(campaign: str | None = None, ctx: AppContext = Depends(get_ctx),
               principal: Principal = Depends(authenticate)) -> list[Rule]:
    """Rules of the caller's workspace (global rules only for workspace `*`); a foreign `campaign` is 404."""
    if campaign is not None:
        check_campaign(principal, ctx.store, campaign)
    rules = ctx.alerts.alerts.list_rules(campaign)
    if principal.sees_all:
        return rules
    visible = set(visible_campaign_ids(principal, ctx.store) or ())
    return [r for r in rules if r.campaign in visible]


@rules_router.get("/{rule_id}", response_model=Rule, responses={404: {"description": "No such rule"}})
def get_rule(rule_id: str, ctx: AppContext = Depends(get_ctx), principal: Principal = Depends(authenticate)) -> Rule:
    return visible_rule(principal, ctx, rule_id)


@rules_router.post("", response_model=Rule, status_code=201, summary="Create a rule",
                   responses={403: {"description": "Global rule (no campaign) from a workspace key"},
                              404: {"description": "Campaign not found"}})
def create_rule(body: RuleIn, request: Request, ctx: AppContext = Depends(get_ctx),
                principal: Principal = Depends(authenticate)) -> Rule:
    check_rule_campaign(principal, ctx, body.campaign)
    rule = Rule(**body.model_dump())
    return ctx.alerts.put_rule(rule, actor_of(request), "rule.create")


@rules_router.put("/{rule_id}", response_model=Rule, responses={404: {"description": "No such rule"}})
def update_rule(rule_id: str, body: RuleIn, request: Request, ctx: AppContext = Depends(get_ctx),
                principal: Principal = Depends(authenticate)) -> Rule:
    engine = ctx.alerts
    old = visible_rule(principal, ctx, rule_id)
    check_rule_campaign(principal, ctx, body.campaign)
    rule = Rule(**body.model_dump(), id=rule_id, created_at=old.created_at)
    return engine.put_rule(rule, actor_of(request), "rule.update")


@rules_router.delete("/{rule_id}", status_code=204, responses={404: {"description": "No such rule"}})
def delete_rule(rule_id: str, request: Request, ctx: AppContext = Depends(get_ctx),
                principal: Principal = Depends(authenticate)) -> None:
    visible_rule(principal, ctx, rule_id)
    if not ctx.alerts.delete_rule(rule_id, actor_of(request)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"rule {rule_id!r} not found")


router = APIRouter()
router.include_router(alerts_router)
router.include_router(rules_router)
