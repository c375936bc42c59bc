"""GET /sources: health of every collector, as the workers keep it in the store (service/store/sources.py), with
the worker that last ran each source: every API replica shows the same."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from service.store.sources import SourceState

router = APIRouter(prefix="/sources", tags=["sources"])


class SourceHealth(BaseModel):
    name: str
    type: str
    healthy: bool
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    items_collected: int = 0
    errors: int = 0
    consecutive_errors: int = 0
    last_error: str | None = None
    cursor: dict[str, Any] | None = None
    skipped: dict[str, int] = {}  # items left out on purpose (empty comments, captionless media), by reason
    quota: dict[str, Any] | None = None  # API quota spent in its window: {name: {used, limit, per}}
    worker: str | None = Field(default=None, description="The worker that last ran this source")


@router.get("", response_model=list[SourceHealth], summary="Collector health: last success, counts, errors, cursor")
def list_sources(request: Request) -> list[SourceHealth]:
    return [
        SourceHealth(name=r["name"], type=r.get("type") or "", healthy=r["healthy"], last_success=r.get("last_success"),
                     last_attempt=r.get("last_attempt"), items_collected=r.get("items_collected") or 0,
                     errors=r.get("total_errors") or 0, consecutive_errors=r.get("consecutive_errors") or 0,
                     last_error=r.get("last_error"), cursor=_small(r.get("cursor")), skipped=r.get("skipped") or {},
                     quota=(r.get("quota") or {}).get("usage"), worker=r.get("owner"))
        for r in _state(request).all()
    ]


def _state(request: Request) -> SourceState:
    app = request.app.state
    if getattr(app, "sources", None) is None:  # one handle per app: the collection is set up once
        app.sources = SourceState.open(app.ctx.settings)
    return app.sources


def _small(cursor: dict | None) -> dict | None:
    """Seen-id lists can be long; the API shows their size rather than every id."""
    if not isinstance(cursor, dict):
        return None
    return {k: (f"<{len(v)} ids>" if isinstance(v, list) and len(v) > 20 else v) for k, v in cursor.items()}
