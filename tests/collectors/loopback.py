"""A real HTTP server on 127.0.0.1 that replays recorded API answers, so collectors run the real HttpClient path.

`respond(request) -> (status, headers, body)`; `body` is bytes/str, or an iterable of str chunks that are written and
flushed one by one and then the connection is closed (a stream that the server ends = a disconnect).
Every request is kept in `server.requests` as a `Seen` (method, path, query dict, headers, JSON body).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from bench.loopback import serving_http


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: object = None
    n: int = 0


@dataclass
class Loopback:
    url: str
    requests: list[Seen] = field(default_factory=list)


def _body(raw: bytes, content_type: str):
    """JSON bodies decoded; form bodies (OAuth token requests) as a dict."""
    if not raw:
        return None
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode()))
    return json.loads(raw)


@contextmanager
def loopback(respond: Callable[[Seen], tuple]) -> Iterator[Loopback]:
    state = Loopback(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def _handle(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen = Seen(self.command, parts.path, dict(parse_qsl(parts.query)), {k.lower(): v for k, v in self.headers.items()},
                        _body(raw, self.headers.get("Content-Type") or ""), n=len(state.requests))
            state.requests.append(seen)
            status, headers, body = respond(seen)
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if isinstance(body, (bytes, str)):
                data = body.encode() if isinstance(body, str) else body
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_header("Connection", "close")  # streamed: no length, the end of the connection ends the body
            self.end_headers()
            self.close_connection = True
            for chunk in body:
                self.wfile.write(chunk.encode() if isinstance(chunk, str) else chunk)
                self.wfile.flush()

        do_GET = do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving_http(server):
        yield state
