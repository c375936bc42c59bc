"""Admin pages: campaigns, rules, keys, saved searches, sources and their health, the audit log.

Admin role only (`ui:admin`). Each page lists what the API's own route functions return for this key (so the
workspace scoping is the API's, not a second copy), and its forms call that API from admin.js: every change
goes through the same validation and the audit log as any other client.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.api.auth import ROLES, get_audit, list_keys
from service.api.routes import campaigns as campaign_routes
from service.api.routes import sources as source_routes
from service.api.routes.alerts import list_rules
from service.api.routes.saved_searches import list_searches
from dashboards.web import page, render

router = APIRouter(prefix="/ui/admin", include_in_schema=False)
SECTIONS = ("campaigns", "rules", "keys", "searches", "sources", "audit")
SEVERITIES = ("info", "low", "medium", "high", "critical")
METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _admin(request: Request, section: str, template: str, **ctx) -> Response:
    principal = page(request, "admin")
    if isinstance(principal, Response):
        return principal
    data = ctx.pop("load")(request, principal)
    return render(request, template, principal, section=section, sections=SECTIONS, **data, **ctx)


@router.get("")
@router.get("/")
def admin_home() -> Response:
    return RedirectResponse("/ui/admin/campaigns", status_code=303)


@router.get("/campaigns")
def campaigns_page(request: Request, edit: str = "") -> Response:
    def load(request, principal):
        found = campaign_routes.list_campaigns(None, request.app.state.ctx, principal)
        return {"campaigns": found, "editing": next((c for c in found if c.id == edit), None)}

    return _admin(request, "campaigns", "admin_campaigns.html", load=load)


@router.get("/rules")
def rules_page(request: Request, edit: str = "") -> Response:
    def load(request, principal):
        ctx = request.app.state.ctx
        rules = list_rules(None, ctx, principal)
        return {"rules": rules, "editing": next((r for r in rules if r.id == edit), None),
                "campaigns": campaign_routes.list_campaigns(None, ctx, principal), "severities": SEVERITIES}

    return _admin(request, "rules", "admin_rules.html", load=load)


@router.get("/keys")
def keys_page(request: Request) -> Response:
    def load(request, principal):
        return {"keys": list_keys(request, principal), "roles": ROLES}

    return _admin(request, "keys", "admin_keys.html", load=load)


@router.get("/searches")
def searches_page(request: Request) -> Response:
    def load(request, principal):
        return {"searches": list_searches(request, principal)}

    return _admin(request, "searches", "admin_searches.html", load=load)


@router.get("/sources")
def sources_page(request: Request) -> Response:
    def load(request, principal):
        # an operator view (every workspace's collectors): keys of workspace '*' only, as GET /sources
        return {"sources": source_routes.list_sources(request) if principal.sees_all else None}

    return _admin(request, "sources", "admin_sources.html", load=load)


@router.get("/audit")
def audit_page(request: Request, key_id: str = "", method: str = "", path: str = "", status: str = "") -> Response:
    form = {"key_id": key_id, "method": method if method in METHODS else "", "path": path[:200],
            "status": status if status in ("2", "3", "4", "5") else ""}

    def load(request, principal):
        rows = get_audit(request, 200, form["key_id"] or None, form["method"] or None, form["path"] or None,
                         int(form["status"]) if form["status"] else None, principal)
        return {"rows": rows, "form": form, "methods": METHODS}

    return _admin(request, "audit", "admin_audit.html", load=load)

