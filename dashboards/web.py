"""The /ui pages. A page needs the `ui:<page>` permission (admin has all); the log-in sets the HttpOnly cookie."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from core.periods import ZONES, label as zone_label, local_day, midnight, offset_minutes
from dashboards.digest import TEMPLATES, http_url, isotime, localtime
from dashboards.i18n import LANGS, alert_title, browser_strings, pick_lang, translator
from service.api.auth import (COOKIE, PERMISSIONS, Principal, auth_state, check_anonymous_budget, check_campaign,
                              principal_from_request, scope_query, spend_anonymous, visible_campaign_ids)
from service.alerts.store import SEVERITY_ORDER
from service.api.routes.saved_searches import searches, visible_search
from service.narratives.trending import parse_duration, trending
from service.narratives.volume import volume
from service.store.base import MAX_OFFSET, SORTS, Page, PostQuery
from service.store.query import QuerySyntaxError

router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(http_url=http_url, localtime=localtime, isotime=isotime, alert_title=alert_title)
templates.env.globals["nw_strings"] = browser_strings

LANG_COOKIE = "nw_lang"
TZ_COOKIE = "nw_tz"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HOME = {"leadership": "/ui/leadership", "analyst": "/ui/analyst", "pr": "/ui/pr", "admin": "/ui/leadership"}
PAGES = [("leadership", "/ui/leadership"), ("analyst", "/ui/analyst"), ("narratives", "/ui/analyst/narratives"),
         ("trending", "/ui/analyst/trending"), ("pr", "/ui/pr"), ("admin", "/ui/admin/campaigns")]
PAGE_PERM = {"leadership": "ui:leadership", "analyst": "ui:analyst", "narratives": "ui:analyst",
             "trending": "ui:analyst", "pr": "ui:pr", "admin": "ui:admin"}


class _Redirect(Exception):
    def __init__(self, url: str):
        self.url = url


def _lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                     request.headers.get("accept-language"))


def _principal(request: Request) -> Principal | None:
    try:
        return principal_from_request(request, cookie=request.cookies.get(COOKIE))
    except HTTPException as exc:
        if exc.status_code == 401:
            return None
        raise


def user_zone(request: Request) -> str:
    """The time zone of the user's days: ?tz=, else the cookie the last ?tz= set, else NW_TIMEZONE."""
    for cand in (request.query_params.get("tz"), request.cookies.get(TZ_COOKIE)):
        if cand in ZONES:
            return cand
    return request.app.state.ctx.settings.timezone


def _switch_links(request: Request, name: str, values) -> dict[str, str]:
    """This page with `name` set to each value (the language and time-zone switches)."""
    out = {}
    for value in values:
        params = dict(request.query_params)
        params[name] = value
        out[value] = f"{request.url.path}?{urlencode(params)}"
    return out


def render(request: Request, template: str, principal: Principal | None, status_code: int = 200, **ctx) -> Response:
    lang = _lang(request)
    nav = [(name, url) for name, url in PAGES if principal and principal.can(PAGE_PERM[name])]
    zone = user_zone(request)
    response = templates.TemplateResponse(request, template, {
        "t": translator(lang), "lang": lang, "principal": principal, "nav": nav,
        "lang_links": _switch_links(request, "lang", LANGS), "tz": zone,
        "tz_links": _switch_links(request, "tz", ZONES),
        "zones": ZONES, **ctx}, status_code=status_code)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    if request.query_params.get("tz") in ZONES:
        response.set_cookie(TZ_COOKIE, zone, max_age=365 * 86400, samesite="lax")
    return response


def page(request: Request, name: str) -> Principal | Response:
    """The principal for a page, or the response to send instead (log-in redirect or 403 page)."""
    principal = _principal(request)
    if principal is None:
        return RedirectResponse(f"/ui/login?{urlencode({'next': str(request.url.path)})}", status_code=303)
    if not principal.can(PAGE_PERM[name]):
        return render(request, "error.html", principal, status_code=403, message_key="forbidden")
    return principal


def _campaigns(request: Request, principal: Principal):
    store = request.app.state.ctx.store
    visible = visible_campaign_ids(principal, store)
    return [c for c in store.list_campaigns() if visible is None or c.id in visible]


def _day(value: str | None, name: str, inclusive_end: bool = False, tz: str = "UTC") -> datetime | None:
    """A form's date (YYYY-MM-DD, a local day in the user's zone `tz`: WIB/WITA/WIT) as a query bound: the day's
    first instant, or for an inclusive `until` the next day's. ValueError naming the field otherwise (the page
    answers 422 with it)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None
    if inclusive_end:
        if day >= date(2099, 12, 31):
            raise ValueError(f"{name}: must be before 2099-12-31")
        day += timedelta(days=1)
    if day.year < 1970 or day.year > 2099:
        raise ValueError(f"{name}: must fall in 1970..2099")
    return midnight(day, tz)


# -- log-in ---------------------------------------------------------------------------------------------------------

@router.get("")
@router.get("/")
def home(request: Request) -> Response:
    principal = _principal(request)
    return RedirectResponse(HOME[principal.role] if principal else "/ui/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    return render(request, "login.html", None, next=next)


@router.post("/login")
def login(request: Request, key: str = Form(..., max_length=200), next: str = Form("", max_length=2000)) -> Response:
    """The key is exchanged for an opaque session id: the cookie never holds the key, and log-out revokes it."""
    check_anonymous_budget(request)  # failed log-ins spend the address's budget; 429 once it is empty
    state = auth_state(request)
    principal = state.keys.verify(key.strip())
    if principal is None:
        spend_anonymous(request)
        request.state.audit_detail = "login failed"
        return render(request, "login.html", None, status_code=401, error="invalid_key", next=next)
    request.state.principal = principal
    request.state.audit_detail = "login"
    target = next if next.startswith("/ui/") and not next.startswith("//") else HOME[principal.role]
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, state.keys.open_session(principal.key_id, state.session_hours), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https",
                        max_age=int(state.session_hours * 3600), path="/")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    keys, session = auth_state(request).keys, request.cookies.get(COOKIE)
    request.state.principal = keys.verify_session(session)  # who logged out, for the audit row
    keys.close_session(session)  # the id is dead on the server, even if a copy of the cookie survives
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- analyst ----------------------------------------------------------------------------------------------------------

FILTERS = ("q", "campaign", "platform", "lang_filter", "sentiment", "hoax", "since", "until")
# The search language's help panel: (example, the i18n key saying what it finds); README, Search language.
SYNTAX_EXAMPLES = [("hotel gratis", "syn_and"), ("vaksin OR vaccine", "syn_or"), ("hotel -gratis", "syn_not"),
                   ('"hotel gratis"', "syn_phrase"), ("vaksin*", "syn_prefix"),
                   ("(vaksin OR vaccine) NOT hoaks", "syn_group"), ("author:budi platform:telegram", "syn_fields"),
                   ("hashtag:vaksinaman domain:kompas.com", "syn_fields2"), ("campaign:asean lang:id", "syn_fields3")]


@router.get("/analyst")
def analyst(request: Request, q: str = "", campaign: str = "", platform: str = "", lang_filter: str = "",
            sentiment: str = "", hoax: str = "", since: str = "", until: str = "", sort: str = "newest",
            offset: int = Query(0, ge=0, le=MAX_OFFSET), saved: str = "", author: str = "") -> Response:
    principal = page(request, "analyst")
    if isinstance(principal, Response):
        return principal
    store = request.app.state.ctx.store
    zone_name = user_zone(request)
    sort = sort if sort in SORTS else "newest"
    can_save = principal.can("saved-searches:read")
    opened = visible_search(principal, searches(request), saved) if saved and can_save else None
    if opened is not None:  # a saved search fills the form: query and filters as they were saved
        f = opened.filters
        q, campaign, platform, lang_filter, sentiment = (opened.query, f.campaign or "", f.platform or "",
                                                         f.lang or "", f.sentiment or "")
        hoax, author = {True: "1", False: "0"}.get(f.hoax, ""), f.author or ""
        since = local_day(f.since, zone_name).isoformat() if f.since else ""
        until = local_day(f.until - timedelta(microseconds=1), zone_name).isoformat() if f.until else ""
    failure, error, result, paging, until_at, since_at, mentions = None, None, None, Page(limit=25), None, None, None
    try:
        until_at = _day(until, "until", inclusive_end=True, tz=zone_name)
        since_at = _day(since, "since", tz=zone_name)
        query = PostQuery(text=q or None, campaign=campaign or None, platform=platform or None,
                          lang=lang_filter or None, sentiment=sentiment or None, author=author or None,
                          hoax={"1": True, "0": False}.get(hoax), since=since_at, until=until_at)
        paging = Page(offset=offset, limit=25, sort=sort)
        scoped_query = scope_query(principal, store, query)
        result = store.search(scoped_query, paging)
        mentions = volume(store, scoped_query, tz=zone_name)
    except HTTPException:
        raise
    except ValueError as exc:  # a bad day, or a query the search language cannot read (400, with the position)
        failure, error, result, paging, mentions = exc, str(exc), None, Page(limit=25), None
    params = {k: v for k, v in (("q", q), ("campaign", campaign), ("platform", platform), ("lang", lang_filter),
                                ("sentiment", sentiment), ("author", author)) if v}
    if hoax in ("0", "1"):
        params["hoax"] = "true" if hoax == "1" else "false"
    if since_at is not None:  # the local days as instants: the export finds the rows the page shows
        params["since"] = since_at.isoformat()
    if until_at is not None:
        params["until"] = until_at.isoformat()
    form = {"q": q, "campaign": campaign, "platform": platform, "lang_filter": lang_filter, "sentiment": sentiment,
            "hoax": hoax, "since": since, "until": until, "sort": sort, "author": author}
    if opened is not None:  # the export runs the saved search itself, through the same export route
        params = {"saved_search": opened.id}
    params["sort"] = sort  # the file lists the rows in the page's order

    def page_url(new_offset: int, **change: str) -> str:
        return "/ui/analyst?" + urlencode({**{k: v for k, v in {**form, **change}.items() if v},
                                           **({"offset": new_offset} if new_offset else {})})

    campaigns = _campaigns(request, principal)

    status_code = 400 if isinstance(failure, QuerySyntaxError) else 422 if error else 200
    return render(request, "analyst.html", principal, status_code=status_code,
                  campaigns=campaigns, campaign_names={c.id: c.name for c in campaigns}, form=form, sorts=SORTS,
                  volume=mentions.model_dump(mode="json") if mentions else None, tz_label=zone_label(zone_name),
                  tz_offset="{:+03d}:{:02d}".format(*divmod(offset_minutes(zone_name), 60)),
                  spikes=[b for b in mentions.buckets if b.spike] if mentions else [],
                  sort_urls={s: page_url(0, sort=s) for s in SORTS},
                  author_url=lambda a: page_url(0, author=a),
                  result=result, paging=paging, error=error, can_export=principal.can("export:read"),
                  can_correct=principal.can("corrections:write"), can_save=can_save, opened=opened,
                  saved_searches=searches(request).list(None if principal.sees_all else principal.workspace)
                  if can_save else [], can_rule=principal.can("rules:write"), syntax_examples=SYNTAX_EXAMPLES,
                  export_csv="/export/posts?" + urlencode({**params, "format": "csv"}),
                  export_ndjson="/export/posts?" + urlencode({**params, "format": "ndjson"}),
                  prev_url=page_url(max(0, paging.offset - paging.limit)) if paging.offset else None,
                  next_url=page_url(paging.offset + paging.limit)
                  if result and paging.offset + paging.limit < result.total else None)


# The trending page's windows (default 24 hours against the 7 days before: the demo corpus fills both).
TRENDING_WINDOWS = ("6h", "24h", "3d", "7d")
TRENDING_BASELINES = ("7d", "14d", "30d")


@router.get("/analyst/trending")
def trending_page(request: Request, campaign: str = "", window: str = "24h", baseline: str = "7d") -> Response:
    principal = page(request, "trending")
    if isinstance(principal, Response):
        return principal
    campaigns = _campaigns(request, principal)
    chosen = campaign if campaign in {c.id for c in campaigns} else (campaigns[0].id if campaigns else "")
    window = window if window in TRENDING_WINDOWS else "24h"
    baseline = baseline if baseline in TRENDING_BASELINES else "7d"
    found = trending(request.app.state.ctx.store, chosen, parse_duration(window), parse_duration(baseline)) \
        if chosen else None
    return render(request, "trending.html", principal, campaigns=campaigns, chosen=chosen, window=window,
                  baseline=baseline, windows=TRENDING_WINDOWS, baselines=TRENDING_BASELINES, found=found)


@router.get("/analyst/narratives")
def narratives(request: Request, campaign: str = "") -> Response:
    principal = page(request, "narratives")
    if isinstance(principal, Response):
        return principal
    campaigns = _campaigns(request, principal)
    chosen = campaign or (campaigns[0].id if campaigns else "")
    return render(request, "narratives.html", principal, campaigns=campaigns, chosen=chosen)


@router.get("/analyst/narratives/{narrative_id}")
def narrative(request: Request, narrative_id: str) -> Response:
    principal = page(request, "narratives")
    if isinstance(principal, Response):
        return principal
    return render(request, "narrative.html", principal, narrative_id=narrative_id)


# -- PR -----------------------------------------------------------------------------------------------------------------

@router.get("/pr")
def pr(request: Request) -> Response:
    principal = page(request, "pr")
    if isinstance(principal, Response):
        return principal
    campaigns = _campaigns(request, principal)
    ids = {c.id for c in campaigns}
    rules = [r for r in request.app.state.ctx.alerts.alerts.list_rules()
             if principal.sees_all or r.campaign in ids]  # the queue's rule filter: the workspace's rules
    return render(request, "pr.html", principal, campaigns=campaigns, rules=rules, severities=SEVERITY_ORDER,
                  statuses=("active", "open", "acknowledged", "assigned", "resolved", ""),
                  can_write=principal.can("alerts:write"), can_add_claims=principal.can("claims:write"))


__all__ = ["router", "PERMISSIONS"]
