"""The FastAPI application factory."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html

from service.api import auth, errors
from service.context import AppContext
from service.api.limits import BodyLimitMiddleware
from service.api.proxies import ClientAddressMiddleware
from service.api.routes import (alerts, campaigns, corrections, export, health, metrics, narratives, posts,
                                saved_searches, sources, summary, tipline, trending)
from service.config import Settings

DESCRIPTION = """Narrative and hoax monitoring for public-relations teams.

Search what the public says about a campaign, see counts over time, manage campaigns."""


PUBLIC = (health,)  # every other router needs an API key (see service/api/auth.py)
OPERATOR = (metrics, sources)  # whole-deployment views: a key of workspace '*' only
SWAGGER = "/ui/static/vendor/swagger-ui"  # vendored swagger-ui-dist (dashboards/fetch_vendor.sh): no CDN at run time


def create_app(settings: Settings | None = None, ctx: AppContext | None = None,
               auth_config: auth.AuthConfig | None = None) -> FastAPI:
    settings = settings or (ctx.settings if ctx else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ctx = ctx or AppContext.build(settings)
        yield
        app.state.ctx.close()

    app = FastAPI(title="narrawatch", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)

    @app.get("/docs", include_in_schema=False)  # public, like FastAPI's own /docs; assets from dashboards' static
    def swagger_ui():
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI",
                                   swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                                   swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png")

    errors.install(app)
    app.state.auth = auth.AuthState.build(settings, auth_config)
    app.include_router(tipline.webhooks)  # public: Telegram and Meta prove themselves by secret and signature
    for module in (health, posts, campaigns, sources, summary, export, metrics, alerts, trending, narratives,
                   saved_searches, tipline):
        needs = [] if module in PUBLIC else [Depends(auth.require())]
        if module in OPERATOR:
            needs.append(Depends(auth.require_all_workspaces))
        app.include_router(module.router, dependencies=needs)
    app.include_router(corrections.router, dependencies=[Depends(auth.require("corrections"))])
    app.include_router(auth.router, dependencies=[Depends(auth.require())])
    from dashboards import install as install_dashboards

    install_dashboards(app)
    metrics.install(app)
    app.add_middleware(auth.AuditMiddleware)
    # Outermost (added last): the body limit answers before anything reads the body or checks the key; the client
    # address is settled before the audit log and the per-address rate limit read it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClientAddressMiddleware, proxies=settings.proxy_networks)
    return app
