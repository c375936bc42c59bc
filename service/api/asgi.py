"""Small ASGI helpers shared by the middlewares."""
from __future__ import annotations


def capture_status(send):
    """Wrap `send` to remember the response status (500 until a response starts: the request failed)."""
    seen = {"status": 500}

    async def wrapper(message):
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        await send(message)

    return wrapper, seen
