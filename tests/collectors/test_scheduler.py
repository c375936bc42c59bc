import json
import threading

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collectors.base import Batch, Reject, build_post
from core.quarantine import read_quarantine
from collectors.scheduler import run
from tests.factories import source_state


class Broken:
    type = "rss"
    interval_seconds = 10

    def __init__(self, name="rss:broken"):
        self.name = name
        self.calls = 0

    def collect(self, cursor):
        self.calls += 1
        raise ConnectionError("host unreachable")
        yield  # pragma: no cover


class Counter:
    type = "telegram"
    interval_seconds = 10

    def __init__(self, campaigns, name="telegram:ok"):
        self.name, self.campaigns = name, campaigns

    def collect(self, cursor):
        n = (cursor or {}).get("n", 0) + 1
        post = build_post(self.campaigns, source=self.name, native_id=n, platform="telegram",
                          text=f"pesan {n} vaksin halal", created_at=None or __import__("datetime").datetime(2024, 5, 2))
        yield Batch(posts=[post], rejects=[Reject("bad item", {"x": "y" * 10000})], claims=[{"id": f"c{n}"}], cursor={"n": n})


def test_unhealthy_after_repeated_failures_while_others_continue(tmp_path, campaigns):
    qpath = tmp_path / "quarantine" / "collectors.jsonl"
    broken, ok = Broken(), Counter(campaigns)
    sunk, claims = [], []
    for _ in range(3):
        results = run([broken, ok], campaigns, sunk.extend, claims.extend, state=source_state(tmp_path), quarantine_path=qpath, once=True)
    assert [r["ok"] for r in results] == [False, True]
    st = source_state(tmp_path)
    b, o = st.get("rss:broken"), st.get("telegram:ok")
    assert b["healthy"] is False and b["consecutive_errors"] == 3 and "host unreachable" in b["last_error"]
    assert o["healthy"] is True and o["items_collected"] == 3 and o["cursor"] == {"n": 3}
    assert [p.native_id for p in sunk] == ["1", "2", "3"] and [c["id"] for c in claims] == ["c1", "c2", "c3"]
    # exponential backoff: next run for the broken source is interval * 2^(3-1) away
    assert b["next_run_at"] - o["next_run_at"] > 25  # 40 s vs 10 s
    q = read_quarantine(qpath)
    # the same bad item, rejected in each of the 3 rounds, is kept once (re-collection does not repeat lines)
    assert len(q) == 1 and q[0]["source"] == "telegram:ok" and q[0]["reason"] == "bad item"
    assert len(q[0]["payload"]["x"]) < 4100  # truncated


def test_sink_failure_does_not_advance_cursor(tmp_path, campaigns):
    ok = Counter(campaigns)

    def failing(posts):
        raise RuntimeError("store unavailable")

    run([ok], campaigns, failing, None, state=source_state(tmp_path), once=True)
    st = source_state(tmp_path)
    assert st.cursor("telegram:ok") is None and st.get("telegram:ok")["consecutive_errors"] == 1
    sunk = []
    run([ok], campaigns, sunk.extend, None, state=source_state(tmp_path), once=True)
    assert [p.native_id for p in sunk] == ["1"]  # the same batch is re-delivered, then the cursor moves
    assert source_state(tmp_path).cursor("telegram:ok") == {"n": 1}


def test_continuous_run_stops_on_event(tmp_path, campaigns):
    stop = threading.Event()
    sunk = []
    ok = Counter(campaigns)
    ok.interval_seconds = 0.01

    def sink(posts):
        sunk.extend(posts)
        if len(sunk) >= 3:
            stop.set()

    run([ok], campaigns, sink, None, state=source_state(tmp_path), stop_event=stop, max_idle=0.05)
    assert len(sunk) == 3


def test_run_from_config_dicts(tmp_path, campaigns, make_http):
    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        from tests.collectors.conftest import fixture_text
        return httpx.Response(200, text=fixture_text("rss_antaranews.xml"))

    sunk = []
    res = run([{"type": "rss", "url": "https://www.antaranews.com/rss/terkini.xml", "interval_seconds": 60}],
              campaigns, sunk.extend, None, state=source_state(tmp_path), quarantine_path=tmp_path / "q.jsonl",
              once=True, http=make_http(handler))
    assert res[0]["name"] == "rss:antaranews.com" and res[0]["items"] == 2 and len(sunk) == 2
    assert read_quarantine(tmp_path / "q.jsonl")[0]["reason"] == "missing or unparseable date"


def _app(data_dir):
    from types import SimpleNamespace
    from service.api.routes.sources import router
    from service.config import Settings
    app = FastAPI()
    app.state.ctx = SimpleNamespace(settings=Settings(data_dir=data_dir, store="sqlite", config_file=None))
    app.include_router(router)
    return TestClient(app)


def test_sources_api_without_db(tmp_path):
    assert _app(tmp_path / "nope").get("/sources").json() == []


def test_sources_api_reports_health(tmp_path, campaigns):
    run([Broken(), Counter(campaigns)], campaigns, lambda p: None, None, state=source_state(tmp_path), once=True)
    body = _app(tmp_path).get("/sources").json()
    by = {s["name"]: s for s in body}
    assert by["telegram:ok"]["healthy"] is True and by["telegram:ok"]["items_collected"] == 1
    assert by["telegram:ok"]["cursor"] == {"n": 1} and by["telegram:ok"]["last_success"]
    assert by["rss:broken"]["errors"] == 1 and "ConnectionError" in by["rss:broken"]["last_error"]
    assert set(by["rss:broken"]) >= {"name", "type", "healthy", "last_success", "items_collected", "errors", "last_error", "cursor",
                                     "worker"}
