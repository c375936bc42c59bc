"""Errors as readable 4xx/503 answers: a client always learns what was wrong, the API never answers 500 for bad input."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from service.store.base import StoreUnavailable


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(status_code=422, content={
            "error": "invalid request", "message": "; ".join(problems[:20]),
            "detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]})

    @app.exception_handler(StoreUnavailable)
    async def unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"error": "store unavailable", "message": str(exc)},
                            headers={"Retry-After": "5"})
