"""The FastAPI application factory."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api import errors
from service.api.context import AppContext
from service.api.routes import campaigns, health, posts
from service.config import Settings

DESCRIPTION = """Narrative and hoax monitoring for public-relations teams.

Search what the public says about a campaign, see counts over time, manage campaigns."""


def create_app(settings: Settings | None = None, ctx: AppContext | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ctx = ctx or AppContext.build(settings)
        yield
        app.state.ctx.store.close()

    app = FastAPI(title="narrawatch", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    for module in (health, posts, campaigns):
        app.include_router(module.router)
    return app
