"""HTTP: rules CRUD, alerts workflow with audit, SSE stream, trending and narratives endpoints."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import create_key
from service.config import Settings
from tests.factories import T0, make_post
from bench.loopback import serve


@pytest.fixture()
def api(tmp_path):
    cfg = tmp_path / "nw.yaml"
    cfg.write_text("campaigns:\n  - id: asean\n    name: KTT ASEAN\n    keywords: [asean]\n"
                   "    key_messages: [KTT aman]\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "var", config_file=cfg)
    key = create_key(settings, "tester", "admin", "*")
    app = create_app(settings)
    with serve(app) as url:
        with httpx.Client(base_url=url, timeout=60, headers={"X-API-Key": key}) as client:
            client.app = app
            yield client
    app.state.ctx.alerts.close()


def _posts(start=0, n=6, text="Awas vaksin chip di KTT ASEAN #hoaks"):
    return [make_post(start + i, text=text, author=f"a{i}", created_at=T0 + timedelta(minutes=start + i),
                      hashtags=["hoaks"]).model_dump(mode="json") for i in range(n)]


def test_rules_alerts_workflow_and_stream(api):
    assert api.post("/rules", json={"name": "x"}).status_code == 422  # no phrases: readable 4xx
    r = api.post("/rules", json={"name": "chip", "campaign": "asean", "query": {"any": ["vaksin chip"]}})
    assert r.status_code == 201, r.text
    rule = r.json()
    assert api.get(f"/rules/{rule['id']}").json()["name"] == "chip"
    updated = api.put(f"/rules/{rule['id']}", json={**{k: rule[k] for k in ("name", "kind", "campaign", "query")},
                                                     "severity": "high"})
    assert updated.status_code == 200 and updated.json()["severity"] == "high"
    assert api.put("/rules/nope", json={"name": "a", "query": {"any": ["a"]}}).status_code == 404

    events: list[dict] = []
    ready = threading.Event()

    def listen():
        with httpx.stream("GET", str(api.base_url).rstrip("/") + "/alerts/stream", headers=dict(api.headers), timeout=40) as resp:  # > heartbeat
            assert resp.headers["content-type"].startswith("text/event-stream")
            event = None
            for line in resp.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                    ready.set()
                elif line.startswith("data:") and event == "alert":
                    events.append(json.loads(line[5:]))
                    return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(5)
    assert api.post("/posts", json=_posts()).status_code == 202
    t.join(10)
    assert events and events[0]["rule"] == rule["id"] and events[0]["severity"] == "high"

    alerts = api.get("/alerts", params={"status": "open", "campaign": "asean"}).json()
    assert len(alerts) == 1
    aid = alerts[0]["id"]
    assert api.get("/alerts", params={"status": "bogus"}).status_code == 422
    assert api.post(f"/alerts/{aid}/ack", json={"note": "seen"}).json()["status"] == "acknowledged"
    assert api.post(f"/alerts/{aid}/assign", json={}).status_code == 422
    assert api.post(f"/alerts/{aid}/assign", json={"assignee": "humas-1"}).status_code == 422  # no such user yet
    create_key(api.app.state.ctx.settings, "humas-1", "pr", "default")
    assigned = api.post(f"/alerts/{aid}/assign", json={"assignee": "humas-1"}).json()
    assert assigned["status"] == "assigned" and assigned["assignee"] == "humas-1"
    assert api.post(f"/alerts/{aid}/resolve", json={"note": "klarifikasi terbit"}).json()["status"] == "resolved"
    assert api.post(f"/alerts/{aid}/ack").status_code == 409
    assert api.post("/alerts/missing/ack").status_code == 404
    detail = api.get(f"/alerts/{aid}").json()
    assert [a["action"] for a in detail["audit"]] == ["alert.fired", "ack", "assign", "resolve"]
    assert {a["actor"] for a in detail["audit"][1:]} == {"tester"}  # the authenticated key, not the body
    assert detail["brief"]["key_messages"] == ["KTT aman"]

    # narratives + trending over HTTP
    narratives = api.get("/narratives", params={"campaign": "asean"}).json()
    assert narratives and narratives[0]["size"] == 6 and "chip" in narratives[0]["keywords"]
    nid = narratives[0]["id"]
    one = api.get(f"/narratives/{nid}").json()
    assert len(one["top_posts"]) == 5 and one["seed_accounts"]
    assert sum(b["posts"] for b in api.get(f"/narratives/{nid}/timeline").json()) == 6
    assert api.get("/narratives/nope").status_code == 404
    tr = api.get("/trending", params={"campaign": "asean", "window": "1h", "baseline": "7d",
                                      "until": (T0 + timedelta(hours=1)).isoformat()})
    assert tr.status_code == 200 and tr.json()["window_posts"] == 6
    assert api.get("/trending", params={"campaign": "asean", "window": "soon"}).status_code == 422
    assert api.delete(f"/rules/{rule['id']}").status_code == 204
    assert api.delete(f"/rules/{rule['id']}").status_code == 404


def test_stream_resumes_from_the_oldest_kept_event_when_last_event_id_was_pruned(api):
    """A Last-Event-ID older than the retention (Settings.event_retention_days): the replay starts at the oldest event
    kept, in order, then goes live."""
    from tests.contract.test_event_log_contract import RETENTION, backdate

    log = api.app.state.ctx.alerts.events
    for i in range(5):
        log.append("alert.status", {"id": f"a{i}", "campaign": "asean"})
    backdate(log, range(1, 4), days=8)
    assert log.prune(RETENTION) == 3
    ids, deadline = [], time.monotonic() + 10
    with httpx.stream("GET", str(api.base_url).rstrip("/") + "/alerts/stream",
                      headers={**api.headers, "Last-Event-ID": "2"}, timeout=40) as resp:
        for line in resp.iter_lines():
            assert time.monotonic() < deadline, f"replayed only {ids}"  # a keep-alive line comes every 15 s
            if line.startswith("id:"):
                ids.append(int(line[3:]))
            if len(ids) == 2:
                break
    assert ids == [4, 5]
