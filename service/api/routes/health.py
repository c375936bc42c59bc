from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from service.api.context import AppContext
from service.api.deps import get_ctx

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and store reachability")
def health(ctx: AppContext = Depends(get_ctx)) -> JSONResponse:
    ok = ctx.store.ping()
    body = {"status": "ok" if ok else "degraded", "store": ctx.settings.store, "store_reachable": ok,
            "spooled_posts": ctx.pipeline.spool.pending()}
    return JSONResponse(status_code=200 if ok else 503, content=body)
