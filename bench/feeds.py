"""News feeds on 127.0.0.1 that grow while workers read them (RSS 2.0, ETag / If-None-Match), for the tests that
kill workers: every request to a feed publishes `step` more items (up to `total`), so each fetch brings a new batch.
Paths not in `feeds` are answered from `static` (recorded responses from tests/collectors/fixtures)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from bench.loopback import serving_http


def text(feed: str, i: int) -> str:
    return f"Warga membahas pengamanan KTT ASEAN di Jakarta, laporan {feed} nomor {i}."


class Feed:
    """Items 0..published-1, newest first; each request publishes `step` more (up to `total`), unless paused."""

    def __init__(self, name: str = "berita", step: int = 300, total: int = 1500, paused: bool = False):
        self.name, self.step, self.total = name, step, total
        self.published = self.requests = self.not_modified = 0
        self.lock = threading.Lock()
        self.growing = threading.Event()
        if not paused:
            self.growing.set()

    @property
    def done(self) -> bool:
        """Complete, and a reader already holds the final ETag (it got a 304): its cursor is committed."""
        return self.published == self.total and self.not_modified > 0

    def guid(self, i: int) -> str:
        return f"{self.name}-{i}"

    def get(self, if_none_match: str | None) -> tuple[int, bytes, str]:
        with self.lock:
            self.requests += 1
            if self.growing.is_set():
                self.published = min(self.total, self.published + self.step)
            etag = f'"{self.published}"'
            if if_none_match == etag:
                self.not_modified += 1
                return 304, b"", etag
            n = self.published
        t0 = datetime(2026, 11, 20, tzinfo=timezone.utc)
        items = "".join(
            f"<item><title>KTT ASEAN {i}</title><link>https://{self.name}.example/ktt/{i}</link>"
            f"<guid isPermaLink=\"false\">{self.guid(i)}</guid><description>{escape(text(self.name, i))}"
            f"</description><pubDate>{format_datetime(t0 + timedelta(minutes=i))}</pubDate></item>"
            for i in reversed(range(n)))
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>{self.name}</title>"
                f"<link>https://{self.name}.example/</link><description>x</description>{items}</channel></rss>")
        return 200, body.encode(), etag


@contextmanager
def serving_feeds(feeds: dict[str, Feed], static: dict[str, bytes] | None = None) -> Iterator[str]:
    """Serve `/<name>.xml` for each feed (and each static path); yields the base URL."""
    static = static or {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            name = self.path.strip("/").removesuffix(".xml")
            if name in feeds:
                status, body, etag = feeds[name].get(self.headers.get("If-None-Match"))
                headers = {"ETag": etag}
            elif self.path in static:
                status, body, headers = 200, static[self.path], {}
            else:
                status, body, headers = 404, b"", {}
            self.send_response(status)
            for key, value in {**headers, "Content-Type": "application/rss+xml; charset=utf-8",
                               "Content-Length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with serving_http(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"
