"""Per-agency workspaces on alerts, the SSE stream, narratives, trending and rules, over real HTTP on loopback.

Two workspaces (kemlu: asean; kemkes: vaksin, stunting) produce alerts and narratives; each key sees and acts on
its own only (foreign ids and campaigns are 404), and a '*' key sees everything.
"""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import httpx

from tests.factories import T0, make_post

CHIP = {"any": ["chip"]}


def _posts(campaign_word: str, start: int, n: int = 6) -> list[dict]:
    return [make_post(start + i, text=f"Awas chip di {campaign_word} nomor {i}", author=f"{campaign_word}{i}",
                      campaigns=[], created_at=T0 + timedelta(minutes=start + i)).model_dump(mode="json")
            for i in range(n)]


class Listener:
    """Reads an SSE stream in a thread until `until(events)` holds; records (event, data) pairs."""

    def __init__(self, client: httpx.Client, until, headers: dict | None = None, params: dict | None = None):
        self.events: list[tuple[str, dict]] = []
        self.ready, self.done = threading.Event(), threading.Event()
        self.status: int | None = None
        url = str(client.base_url).rstrip("/") + "/alerts/stream"
        hdrs = dict(client.headers) | (headers or {})

        def run():
            try:
                with httpx.stream("GET", url, headers=hdrs, params=params, timeout=40) as resp:  # > heartbeat (15 s)
                    self.status = resp.status_code
                    if resp.status_code != 200:
                        return
                    event = None
                    for line in resp.iter_lines():
                        if line.startswith("event:"):
                            event = line.split(":", 1)[1].strip()
                            self.ready.set()
                        elif line.startswith("data:") and event.startswith("alert"):
                            self.events.append((event, json.loads(line[5:])))
                            if until(self.events):
                                return
            finally:
                self.ready.set()
                self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def campaigns(self) -> set[str]:
        return {data["campaign"] for _, data in self.events}


def _updates(events, n=1) -> bool:
    return sum(e == "alert.status" for e, _ in events) >= n


def test_each_workspace_sees_only_its_own(api):
    admin = api.admin
    kemlu, kemkes = api.as_("pr", "kemlu"), api.as_("pr", "kemkes")
    kemlu_admin, kemkes_admin = api.as_("admin", "kemlu"), api.as_("admin", "kemkes")

    # rules: one per campaign, one global ('*' only)
    rules = {}
    for name, campaign in (("asean", "asean"), ("vaksin", "vaksin"), ("global", None)):
        r = admin.post("/rules", json={"name": f"chip {name}", "campaign": campaign, "query": CHIP})
        assert r.status_code == 201, r.text
        rules[name] = r.json()["id"]

    # live streams opened before anything fires
    streams = {
        "kemlu": Listener(kemlu, lambda ev: _updates(ev)),
        "kemkes": Listener(kemkes, lambda ev: _updates(ev)),
        "admin": Listener(admin, lambda ev: _updates(ev, 2)),
    }
    foreign_stream = Listener(kemlu, lambda ev: True, params={"campaign": "vaksin"})
    for s in streams.values():
        assert s.ready.wait(5)
    assert foreign_stream.done.wait(5) and foreign_stream.status == 404

    # vaksin alerts first, then asean ones; then one update in each workspace (vaksin first)
    assert admin.post("/posts", json=_posts("vaksin", 0)).status_code == 202
    assert admin.post("/posts", json=_posts("KTT ASEAN", 100)).status_code == 202
    everything = admin.get("/alerts").json()
    by_campaign = {c: [a for a in everything if a["campaign"] == c] for c in ("asean", "vaksin")}
    assert len(by_campaign["asean"]) == 2 and len(by_campaign["vaksin"]) == 2  # own rule + global rule each
    assert {a["rule"] for a in by_campaign["vaksin"]} == {rules["vaksin"], rules["global"]}
    vaksin_alert, asean_alert = by_campaign["vaksin"][0]["id"], by_campaign["asean"][0]["id"]
    assert admin.post(f"/alerts/{vaksin_alert}/ack").status_code == 200
    assert admin.post(f"/alerts/{asean_alert}/ack").status_code == 200
    for s in streams.values():
        assert s.done.wait(10), "stream did not reach its final event"

    # SSE: filtered per connection (foreign events were published before each stream's last event)
    assert streams["kemlu"].campaigns() == {"asean"}
    assert streams["kemkes"].campaigns() == {"vaksin"}
    assert streams["admin"].campaigns() == {"asean", "vaksin"}
    assert sum(e == "alert" for e, _ in streams["kemlu"].events) == 2
    assert sum(e == "alert" for e, _ in streams["admin"].events) == 4
    # reconnect with Last-Event-ID: the replay is filtered too (vaksin alerts have the lowest sequence numbers)
    replay = Listener(kemlu, lambda ev: len(ev) >= 2, headers={"Last-Event-ID": "0"})
    assert replay.done.wait(10) and replay.status == 200
    assert replay.campaigns() == {"asean"}

    # alerts: lists, detail, workflow
    assert {a["campaign"] for a in kemlu.get("/alerts").json()} == {"asean"}
    assert {a["campaign"] for a in kemkes.get("/alerts").json()} == {"vaksin"}
    assert len(admin.get("/alerts").json()) == 4
    assert kemlu.get("/alerts", params={"campaign": "vaksin"}).status_code == 404
    assert kemkes.get("/alerts", params={"campaign": "vaksin"}).json()
    assert kemkes.get("/alerts", params={"campaign": "stunting"}).json() == []
    assert kemlu.get(f"/alerts/{asean_alert}").status_code == 200
    assert kemlu.get(f"/alerts/{vaksin_alert}").status_code == 404  # like a missing one: ids are not disclosed
    assert kemlu.get("/alerts/a_missing").status_code == 404
    open_vaksin = by_campaign["vaksin"][1]["id"]
    assert kemlu.post(f"/alerts/{open_vaksin}/ack").status_code == 404
    assert kemlu.post(f"/alerts/{open_vaksin}/assign", json={"assignee": "x"}).status_code == 404
    assert kemlu.post(f"/alerts/{open_vaksin}/resolve").status_code == 404
    assert admin.get(f"/alerts/{open_vaksin}").json()["status"] == "open"  # untouched
    assert kemkes.post(f"/alerts/{open_vaksin}/assign", json={"assignee": "test-pr-kemlu"}).status_code == 422
    assert kemkes.post(f"/alerts/{open_vaksin}/assign", json={"assignee": "test-pr-kemkes"}).json()["status"] == "assigned"
    assert kemkes.post(f"/alerts/{open_vaksin}/resolve").json()["status"] == "resolved"

    # narratives
    mine = {k: c.get("/narratives").json() for k, c in (("kemlu", kemlu), ("kemkes", kemkes), ("admin", admin))}
    assert {n["campaign"] for n in mine["kemlu"]} == {"asean"}
    assert {n["campaign"] for n in mine["kemkes"]} == {"vaksin"}
    assert {n["campaign"] for n in mine["admin"]} == {"asean", "vaksin"}
    asean_n, vaksin_n = mine["kemlu"][0]["id"], mine["kemkes"][0]["id"]
    assert kemlu.get("/narratives", params={"campaign": "vaksin"}).status_code == 404
    assert kemlu.get(f"/narratives/{asean_n}").status_code == 200
    assert kemlu.get(f"/narratives/{asean_n}/timeline").json()
    for path in (f"/narratives/{vaksin_n}", f"/narratives/{vaksin_n}/timeline"):
        assert kemlu.get(path).status_code == 404
        assert kemkes.get(path).status_code == 200
        assert admin.get(path).status_code == 200
    assert kemkes.get(f"/narratives/{asean_n}").status_code == 404

    # trending
    window = {"window": "1h", "baseline": "7d", "until": (T0 + timedelta(hours=2)).isoformat(), "min_docs": 1}
    assert kemlu.get("/trending", params={"campaign": "asean", **window}).json()["window_posts"] == 6
    assert kemlu.get("/trending", params={"campaign": "vaksin", **window}).status_code == 404
    assert kemkes.get("/trending", params={"campaign": "asean", **window}).status_code == 404
    assert admin.get("/trending", params={"campaign": "vaksin", **window}).status_code == 200

    # rules: scoped by campaign; global rules are '*' only
    assert kemlu.get("/rules").status_code == 403  # the pr role has no rules permission at all
    assert {r["id"] for r in kemlu_admin.get("/rules").json()} == {rules["asean"]}
    assert {r["id"] for r in kemkes_admin.get("/rules").json()} == {rules["vaksin"]}
    assert {r["id"] for r in admin.get("/rules").json()} == set(rules.values())
    assert kemlu_admin.get("/rules", params={"campaign": "vaksin"}).status_code == 404
    assert [r["id"] for r in kemkes_admin.get("/rules", params={"campaign": "vaksin"}).json()] == [rules["vaksin"]]
    for rid in (rules["vaksin"], rules["global"]):
        assert kemlu_admin.get(f"/rules/{rid}").status_code == 404
        assert kemlu_admin.put(f"/rules/{rid}", json={"name": "mine", "campaign": "asean",
                                                       "query": CHIP}).status_code == 404
        assert kemlu_admin.delete(f"/rules/{rid}").status_code == 404
    assert admin.get(f"/rules/{rules['vaksin']}").json()["name"] == "chip vaksin"  # untouched
    assert kemkes_admin.post("/rules", json={"name": "all", "query": CHIP}).status_code == 403
    assert kemkes_admin.post("/rules", json={"name": "x", "campaign": "asean", "query": CHIP}).status_code == 404
    assert kemkes_admin.put(f"/rules/{rules['vaksin']}", json={"name": "move", "campaign": "asean",
                                                               "query": CHIP}).status_code == 404
    created = kemkes_admin.post("/rules", json={"name": "stunting", "campaign": "stunting", "query": CHIP})
    assert created.status_code == 201
    assert kemkes_admin.put(f"/rules/{rules['vaksin']}", json={"name": "renamed", "campaign": "vaksin",
                                                               "query": CHIP}).json()["name"] == "renamed"
    assert kemkes_admin.delete(f"/rules/{created.json()['id']}").status_code == 204
    assert admin.get(f"/rules/{rules['global']}").status_code == 200
