"""Errors as readable 4xx/503 answers: a client always learns what was wrong, the API never answers 500 for bad input."""
from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from service.store.base import StoreUnavailable
from service.store.query import QuerySyntaxError


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(status_code=422, content={
            "error": "invalid request", "message": "; ".join(problems[:20]),
            "detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code != 422 or not isinstance(exc.detail, str):
            return await http_exception_handler(request, exc)
        # A semantic check in a handler (e.g. "invalid duration") answers in the same documented 422 shape as
        # FastAPI's own validation, so clients parse one error format.
        return JSONResponse(status_code=422, content={
            "error": "invalid request", "message": exc.detail,
            "detail": [{"loc": ["request"], "msg": exc.detail, "type": "value_error"}]})

    @app.exception_handler(QuerySyntaxError)
    async def bad_query(_: Request, exc: QuerySyntaxError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": "invalid query", "message": str(exc),
                                                      "position": exc.position})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Reached only by a bug: Starlette re-raises after this answer, so the server log keeps the traceback;
        # the client gets no internals (bad input is refused with a 4xx before it gets this far).
        return JSONResponse(status_code=500, content={"error": "internal error",
                                                      "message": "unexpected server error (logged)"})

    @app.exception_handler(StoreUnavailable)
    async def unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"error": "store unavailable", "message": str(exc)},
                            headers={"Retry-After": "5"})
