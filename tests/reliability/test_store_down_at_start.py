"""Issue 11.3 with real processes: the store is unreachable when `narrawatch ingest` / the API start.

ingest spools and exits 75 with a readable message, `narrawatch drain` later stores everything; the API starts,
answers /health 503 "unreachable", initialises the store in the background once it is reachable, then answers 200.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from service.store.base import PostQuery
from service.store.elastic import ElasticStore
from tests.factories import make_post
from bench.loopback import free_port

pytestmark = [pytest.mark.es, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def narrawatch(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def env_for(tmp_path: Path, es_url: str, index: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NW_")}
    env.update(NW_STORE="elasticsearch", NW_ES_URL=es_url, NW_ES_INDEX=index, NW_DATA_DIR=str(tmp_path / "var"),
               NW_BATCH_SIZE="20")
    return env


def test_ingest_with_the_store_down_spools_exits_75_and_drain_stores_everything(es_url, tmp_path):
    index = f"nwtest-down-{uuid.uuid4().hex[:8]}"
    posts = [make_post(i, text=f"posting {i} soal harga beras di pasar") for i in range(50)]
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(p.model_dump_json() + "\n" for p in posts), encoding="utf-8")

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    down = narrawatch("ingest", str(data), env=env_for(tmp_path, dead, index))
    assert down.returncode == 75, down.stderr
    assert "Traceback" not in down.stderr and "store unavailable" in down.stderr
    assert "received=50 stored=0 spooled=50" in down.stdout
    spooled = sorted((tmp_path / "var" / "spool").glob("*.ndjson"))
    assert spooled and sum(len(f.read_text().splitlines()) for f in spooled) == 50

    drained = narrawatch("drain", env=env_for(tmp_path, es_url, index))
    assert drained.returncode == 0, drained.stderr
    assert "replayed 50 posts; 0 still spooled" in drained.stdout
    store = ElasticStore(es_url, index=index)
    try:
        store.es.indices.refresh(index=index)
        got = {p.native_id: p.text for p in store.scan(PostQuery())}
        assert got == {p.native_id: p.text for p in posts}
    finally:
        store.drop()
        store.close()


class Proxy:
    """A loopback TCP forwarder we open and close: the store 'comes back' when it opens."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.port, self.target = port, target
        self.server: socket.socket | None = None
        self.conns: list[socket.socket] = []

    def open(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        if self.server:
            self.server.close()
        for c in self.conns:
            c.close()


def test_api_started_with_the_store_down_reports_it_then_initialises_in_the_background(es_url, tmp_path):
    index = f"nwtest-apidown-{uuid.uuid4().hex[:8]}"
    es_port = int(es_url.rsplit(":", 1)[1])
    proxy = Proxy(free_port(), ("127.0.0.1", es_port))
    api_port = free_port()
    env = env_for(tmp_path, f"http://127.0.0.1:{proxy.port}", index)
    api = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(api_port)], cwd=ROOT,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    store = ElasticStore(es_url, index=index)
    try:
        deadline = time.monotonic() + 180
        health = None
        while health is None:
            assert api.poll() is None, f"the API died with the store down: {api.stderr.read()}"
            assert time.monotonic() < deadline, "the API did not start"
            try:
                health = httpx.get(f"http://127.0.0.1:{api_port}/health", timeout=10)
            except httpx.TransportError:
                time.sleep(0.5)
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "degraded" and body["store_reachable"] is False
        assert body["store_initialised"] is False and "ConnectionError" in body["store_error"]

        proxy.open()  # the store comes back; nobody calls /health: the background retry must initialise it
        deadline = time.monotonic() + 90
        while not store.es.indices.exists(index=index):
            assert time.monotonic() < deadline, "init was not retried in the background"
            time.sleep(1)
        health = httpx.get(f"http://127.0.0.1:{api_port}/health", timeout=10)
        assert health.status_code == 200 and health.json()["store_initialised"] is True, health.text
    finally:
        api.terminate()
        api.wait(30)
        proxy.close()
        store.drop()
        store.close()


def test_worker_started_with_the_store_down_keeps_running_until_sigterm(tmp_path):
    env = env_for(tmp_path, f"http://127.0.0.1:{free_port()}", f"nwtest-wdown-{uuid.uuid4().hex[:8]}")
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(worker.stderr), daemon=True).start()
    try:
        deadline = time.monotonic() + 180
        # "campaigns unreadable": run_worker is running (SIGTERM handler installed) and fell back on known campaigns
        while not any("campaigns unreadable" in ln for ln in lines):
            assert worker.poll() is None, "the worker died with the store down:\n" + "".join(lines)
            assert time.monotonic() < deadline, "the worker did not start:\n" + "".join(lines)
            time.sleep(0.5)
        time.sleep(3)  # collectors and the spool-drain loop are running; the init retry keeps failing
        assert worker.poll() is None, "the worker died with the store down:\n" + "".join(lines)
        assert any("store unreachable at start" in ln for ln in lines)
        assert any("next init attempt" in ln for ln in lines), "init is retried with back-off"
    finally:
        worker.terminate()
        rc = worker.wait(60)
    assert rc == 0 and not any("Traceback" in ln for ln in lines), "".join(lines)
