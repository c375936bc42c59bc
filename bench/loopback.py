"""Loopback harness shared by tests and benchmarks: the API served by uvicorn on 127.0.0.1 in a background thread
(real HTTP), stdlib HTTP servers, and local stand-ins for alert channels (a webhook / Telegram Bot API receiver and
an SMTP server)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import uvicorn

from service.api.proxies import SERVER_OPTIONS  # served as `narrawatch serve` serves


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app, port: int | None = None):
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           **SERVER_OPTIONS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def serve_process(env: dict, port: int, log: Path) -> subprocess.Popen:
    """`narrawatch serve` in its own process on 127.0.0.1:`port`, run in `log`'s directory, stderr to `log`."""
    return subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                            cwd=log.parent, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def wait_healthy(proc: subprocess.Popen, url: str, log: Path, deadline: float) -> None:
    """Until GET /health answers 200 (a process loading the models on a busy machine takes a while)."""
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the API at {url} did not start: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)


@contextmanager
def serving_http(server):
    """Run a stdlib (Threading)HTTPServer on a daemon thread; on exit shut it down and close its socket."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

class Receiver:
    """Records every POST; answers `fail_first` requests with 503, then 200 (Telegram-style {"ok": true} body)."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.requests: list[dict] = []
        self.received_at: list[float] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._cond:
                    failing = receiver.fail_first > 0
                    if failing:
                        receiver.fail_first -= 1
                    else:
                        receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                        receiver.received_at.append(time.perf_counter())
                    receiver._cond.notify_all()
                self.send_response(503 if failing else 200)
                payload = json.dumps({"ok": not failing, "result": {}}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, n: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} requests, got {len(self.requests)}")
                self._cond.wait(left)
            return list(self.requests)


@contextmanager
def receiver(fail_first: int = 0):
    r = Receiver(fail_first)
    with serving_http(r.server):
        yield r


@contextmanager
def smtp_server():
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append(envelope)
            return "250 OK"

    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()
