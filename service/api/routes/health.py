from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from service.context import AppContext
from service.api.deps import get_ctx

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and store reachability",
            description="200 when the store is reachable and initialised. 503 otherwise, with "
                        "`status: degraded`, `store_reachable: false` (or `store_initialised: false`) and "
                        "`store_error`: the process keeps running, retries the store with back-off and spools "
                        "writes meanwhile (`spooled_posts`).")
def health(ctx: AppContext = Depends(get_ctx)) -> JSONResponse:
    reachable = ctx.store.ping()
    ready = reachable and ctx.startup.try_now()  # reachable again: initialise now rather than at the next back-off
    body = {"status": "ok" if ready else "degraded", "store": ctx.settings.store, "store_reachable": reachable,
            "store_initialised": ctx.startup.ready.is_set(), "spooled_posts": ctx.pipeline.spool.pending()}
    if not ready:
        body["store_error"] = ctx.startup.error or "store did not answer a ping"
    return JSONResponse(status_code=200 if ready else 503, content=body)
