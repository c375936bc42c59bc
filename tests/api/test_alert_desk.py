"""The PR alert desk over real HTTP on loopback: the queue's filters and order, one incident per narrative (a
coordinated burst and a keyword alert about it; a reworded post joins the open alert, its count kept current),
assignment to a user of the alert's workspace, notes, stale actions, and the counter-message sent with its impact.
Two workspaces (kemlu: asean; kemkes: vaksin): a key of one never reads or changes the other's alerts."""
from __future__ import annotations

from datetime import timedelta

from tests.factories import T0, make_post

TEXT = "Awas chip pelacak disuntikkan lewat vaksin booster di puskesmas, sebarkan sebelum dihapus"


def _post(n: int, text: str, author: str, minutes: float, campaign: str = "vaksin") -> dict:
    return make_post(n, text=text, author=author, campaigns=[], platform="twitter",
                     created_at=T0 + timedelta(minutes=minutes)).model_dump(mode="json") | {"campaigns": [campaign]}


def test_alert_desk_queue_incidents_assignment_notes_and_responses(api):
    admin = api.admin
    kemkes, kemlu = api.as_("pr", "kemkes"), api.as_("pr", "kemlu")
    api.as_("admin", "kemkes")  # a second user of kemkes: test-admin-kemkes
    for body in ({"name": "chip vaksin", "campaign": "vaksin", "severity": "medium", "query": {"any": ["chip"]}},
                 {"name": "koordinasi vaksin", "campaign": "vaksin", "kind": "coordinated", "severity": "high",
                  "thresholds": {"window_minutes": 10, "min_accounts": 3}},
                 {"name": "hoaks vaksin", "campaign": "vaksin", "kind": "hoax_match", "severity": "high"},
                 {"name": "chip asean", "campaign": "asean", "severity": "low", "query": {"any": ["chip"]}}):
        assert admin.post("/rules", json=body).status_code == 201
    rules = {r["name"]: r["id"] for r in admin.get("/rules").json()}

    # four accounts post one hoax text in four minutes: a keyword, a hoax and a coordinated-posting alert, one incident
    assert admin.post("/posts", json=[_post(i, TEXT, f"akun{i}", i) for i in range(4)]).status_code == 202
    assert admin.post("/posts", json=[_post(50, "Katanya ada chip di KTT ASEAN", "diplomat", 1, "asean")]
                      ).status_code == 202
    vaksin = kemkes.get("/alerts").json()
    assert {a["rule"] for a in vaksin} == {rules["chip vaksin"], rules["koordinasi vaksin"], rules["hoaks vaksin"]}
    assert len({a["incident"] for a in vaksin}) == 1 and vaksin[0]["incident"].startswith("vaksin|narrative:")
    keyword = next(a for a in vaksin if a["rule"] == rules["chip vaksin"])
    assert keyword["title"] == "\u201cchip vaksin\u201d matched 4 post(s)"
    # a reworded post of the same narrative joins the open alert: no new card, its count and title current
    reworded = "Awas, chip pelacak disuntikkan lewat vaksin booster di puskesmas! Sebarkan sebelum dihapus ya"
    assert admin.post("/posts", json=[_post(9, reworded, "akun9", 30)]).status_code == 202
    now = kemkes.get("/alerts", params={"rule": rules["chip vaksin"]}).json()
    assert [a["id"] for a in now] == [keyword["id"]]
    assert now[0]["title"] == "\u201cchip vaksin\u201d matched 5 post(s)" and len(now[0]["post_ids"]) == 5
    after = kemkes.get("/alerts").json()
    assert len(after) == 3 and {a["incident"] for a in after} == {keyword["incident"]}
    hoax = next(a for a in after if a["rule"] == rules["hoaks vaksin"])
    assert hoax["title"] == "Hoax spreading: 5 post(s) flagged as suspected hoaxes"

    # the queue: most severe first, filters, foreign or bad filters refused
    queue = admin.get("/alerts", params={"sort": "severity"}).json()
    ranks = [["critical", "high", "medium", "low", "info"].index(a["severity"]) for a in queue]
    assert ranks == sorted(ranks) and len(queue) == 4
    assert [a["campaign"] for a in kemlu.get("/alerts", params={"sort": "severity", "status": "active"}).json()] \
        == ["asean"]
    assert kemkes.get("/alerts", params={"rule": rules["chip asean"]}).json() == []  # another workspace's rule
    high = kemkes.get("/alerts", params={"severity": "high", "status": "active"}).json()
    assert rules["koordinasi vaksin"] in {a["rule"] for a in high} and {a["severity"] for a in high} == {"high"}
    for bad in ({"sort": "loudest"}, {"status": "done"}, {"severity": "urgent"}, {"rule": "r" * 201}):
        assert kemkes.get("/alerts", params=bad).status_code == 422, bad
    assert kemlu.get("/alerts", params={"campaign": "vaksin"}).status_code == 404

    # assignable users: the caller's workspace's named keys that may act on alerts
    names = {u["name"] for u in kemkes.get("/alerts/assignees").json()}
    assert names == {"test-pr-kemkes", "test-admin-kemkes"}
    assert {u["workspace"] for u in admin.get("/alerts/assignees").json()} == {"kemkes", "kemlu"}
    assert {u["name"] for u in admin.get("/alerts/assignees", params={"campaign": "vaksin"}).json()} == names
    assert kemlu.get("/alerts/assignees", params={"campaign": "vaksin"}).status_code == 404
    aid = keyword["id"]
    refused = kemkes.post(f"/alerts/{aid}/assign", json={"assignee": "test-pr-kemlu"})  # a user of another workspace
    assert refused.status_code == 422 and "kemkes" in refused.json()["message"]
    assert admin.post(f"/alerts/{aid}/assign", json={"assignee": "test-pr-kemlu"}).status_code == 422
    assert kemkes.post(f"/alerts/{aid}/assign", json={"assignee": ""}).status_code == 422
    assigned = kemkes.post(f"/alerts/{aid}/assign", json={"assignee": "test-admin-kemkes",
                                                          "expected_status": ["open"]})
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "test-admin-kemkes"

    # a stale action: this officer saw the alert open; it was assigned meanwhile -> 409 saying who and what
    stale = api.ui("pr", "kemkes").post(f"/alerts/{aid}/ack", json={"expected_status": ["open"]},
                                        headers={"X-Requested-With": "t"})
    detail = stale.json()["detail"]
    assert stale.status_code == 409 and detail["alert"]["status"] == "assigned"
    assert "assigned by test-pr-kemkes" in detail["message"] and "409" not in detail["message"]
    assert kemkes.post(f"/alerts/{aid}/ack", json={"expected_status": ["closed"]}).status_code == 422

    # notes
    assert kemkes.post(f"/alerts/{aid}/notes", json={"text": "Akun-akun ini baru dibuat minggu ini"}).status_code == 201
    for bad in ({"text": ""}, {"text": "   "}, {"text": "x" * 4001}, {}, {"text": "ok", "author": "someone"}):
        assert kemkes.post(f"/alerts/{aid}/notes", json=bad).status_code == 422, bad
    [note] = kemkes.get(f"/alerts/{aid}/notes").json()
    assert note["author"] == "test-pr-kemkes" and note["text"].startswith("Akun-akun")

    # the counter-message sent, and the narrative before vs after it (5 posts before: 4 + the reworded one at +30)
    sent = {"text": "Vaksin tidak berisi chip; cek kemkes.go.id", "channel": "x", "url": "https://x.com/kemkes/1",
            "sent_at": (T0 + timedelta(minutes=20)).isoformat()}
    assert kemkes.post(f"/alerts/{aid}/responses", json=sent).status_code == 201
    for bad in ({**sent, "url": "javascript:alert(1)"}, {**sent, "sent_at": "yesterday"},
                {**sent, "sent_at": "2099-12-30T00:00:00Z"}, {**sent, "channel": ""}, {"text": "x", "channel": "x",
                                                                                       "extra": 1}):
        assert kemkes.post(f"/alerts/{aid}/responses", json=bad).status_code == 422, bad
    impact = kemkes.get(f"/alerts/{aid}/impact", params={"tz": "Asia/Makassar", "hours": 1}).json()
    [entry] = impact["responses"]
    assert entry["scope"] == "narrative" and entry["tz_label"] == "WITA"
    assert (entry["before"]["posts"], entry["after"]["posts"]) == (4, 1) and entry["volume_change"] == -0.75
    assert sum(entry["before"]["sentiment"].values()) == 4 and entry["before"]["since"].endswith("+08:00")
    series = entry["series"]  # the chart's buckets: 12 of 5 minutes on each side, empty ones at zero
    assert len(series) == 24 and [b["after"] for b in series] == [False] * 12 + [True] * 12
    assert series[12]["start"] == "2024-11-01T16:20:00+08:00"  # the response time, on a bucket edge, in WITA
    assert [i for i, b in enumerate(series) if b["posts"]] == [8, 14] and series[8]["posts"] == 4
    assert sum(b["posts"] for b in series[12:]) == 1 and series[0]["net_sentiment"] is None
    assert kemkes.get(f"/alerts/{aid}/impact", params={"tz": "Europe/Paris"}).status_code == 422
    assert kemkes.get(f"/alerts/{aid}/impact", params={"hours": 0}).status_code == 422

    # workspace isolation: kemlu neither reads nor changes kemkes's alert (404, as for a missing one)
    for method, path, body in (("GET", "/notes", None), ("POST", "/notes", {"text": "x"}),
                               ("POST", "/assign", {"assignee": "test-pr-kemlu"}), ("GET", "/impact", None),
                               ("POST", "/responses", {"text": "x", "channel": "x"}), ("POST", "/ack", {})):
        assert kemlu.request(method, f"/alerts/{aid}{path}", json=body).status_code == 404, path
    final = admin.get(f"/alerts/{aid}").json()
    assert len(final["notes"]) == 1 and len(final["responses"]) == 1 and final["assignee"] == "test-admin-kemkes"
    trail = [(e["action"], e["actor"]) for e in final["audit"]]
    assert ("assign", "test-pr-kemkes") in trail and ("note", "test-pr-kemkes") in trail
    assert ("response", "test-pr-kemkes") in trail
    kinds = [e.kind for e in api.app.state.ctx.alerts.events.tail(0, 500)]
    assert "alert.note" in kinds and "alert.response" in kinds and "alert.assigned" in kinds
    # the HTTP audit log names the workspace's writes too
    assert any(e["path"] == f"/alerts/{aid}/notes" and e["status"] == 201 for e in admin.get("/auth/audit").json())
