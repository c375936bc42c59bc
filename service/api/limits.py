"""Request-body limit: a pure ASGI middleware, outside FastAPI, so an oversized body is refused (413) before the app
reads or parses it and before the API key is checked.

A declared Content-Length above the limit is answered at once, without reading a byte of the body; a body without a
length (chunked) is counted as it streams and refused as soon as it crosses the limit. The 413 carries
`Connection: close`, so the server stops reading the rest instead of draining it.
"""
from __future__ import annotations

import json

from fastapi import HTTPException, status


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body crosses the limit. An HTTPException, so FastAPI's body parsing
    re-raises it as is (it turns other exceptions into a 400)."""

    def __init__(self, limit: int):
        super().__init__(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                         f"request body larger than {limit} bytes (NW_MAX_BODY_BYTES); send smaller batches",
                         headers={"Connection": "close"})


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send, BodyTooLarge(self.max_bytes) if declared.strip().isdigit() else None)
            return
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await self._refuse(send, exc)

    @staticmethod
    async def _refuse(send, exc: BodyTooLarge | None) -> None:
        code, detail = (exc.status_code, exc.detail) if exc else (400, "invalid Content-Length header")
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": code, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
