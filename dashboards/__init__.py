"""Server-rendered dashboards (leadership, analyst, PR) under /ui. No CDN: the chart library is vendored."""
from __future__ import annotations

from pathlib import Path

from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


class Static(StaticFiles):
    """The vendored assets. A path no file can have (a NUL byte, on which os.stat raises ValueError) is a 404."""

    def lookup_path(self, path: str):
        if "\x00" in path:
            return "", None
        return super().lookup_path(path)


def install(app) -> None:
    """Mount the pages and their static files on a narrawatch FastAPI app."""
    from dashboards import admin, leadership, web

    app.include_router(web.router)
    app.include_router(leadership.router)
    app.include_router(admin.router)
    app.mount("/ui/static", Static(directory=STATIC), name="ui-static")
