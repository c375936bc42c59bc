"""Server-rendered dashboards (leadership, analyst, PR) under /ui. No CDN: the chart library is vendored."""
from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"


def install(app) -> None:
    """Mount the pages and their static files on a narrawatch FastAPI app."""
    from fastapi.staticfiles import StaticFiles

    from dashboards.web import router

    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
