"""Issue 11 items 5 and 6: a key writes within its own workspace, and a deleted campaign id is never inherited.

The fixture's campaigns: asean (workspace kemlu), vaksin and stunting (kemkes); `other` is a workspace with none.
"""
from __future__ import annotations

import time

from service.context import AppContext
from core.domain import Campaign
from tests.factories import make_post


def _json(*posts):
    return [p.model_dump(mode="json") for p in posts]


def _victim_post(api):
    """An ASEAN post stored by the operator (workspace '*') and tagged asean by the pipeline."""
    post = make_post(1, text="KTT ASEAN di Jakarta berjalan lancar", campaigns=[], author="kemlu_ri",
                     url="https://kemlu.go.id/1")
    assert api.admin.post("/posts", json=_json(post)).status_code == 202
    stored = api.admin.get(f"/posts/{post.id}").json()
    assert stored["campaigns"] == ["asean"]
    return stored


def test_foreign_campaigns_in_a_write_are_refused(api):
    intruder = api.as_("admin", "other")
    r = intruder.post("/posts", json=_json(make_post(5, text="Hoaks KTT ASEAN dibatalkan", campaigns=["asean"])))
    assert r.status_code == 422 and "asean" in r.json()["message"]
    assert api.admin.get("/posts").json()["total"] == 0
    # a campaign that does not exist gets the same answer: existence elsewhere is not disclosed
    r2 = intruder.post("/posts", json=_json(make_post(6, campaigns=["nope"])))
    assert r2.status_code == 422 and r2.json()["message"].replace("nope", "asean") == r.json()["message"]


def test_a_foreign_key_never_overwrites_another_workspaces_post(api):
    victim = _victim_post(api)
    intruder = api.as_("admin", "other")
    forged = dict(victim, text="ASEAN summit cancelled, says ministry", author="hoaxer", url="https://evil.example/",
                  created_at="2020-01-01T00:00:00Z", campaigns=[])
    by_id = dict(forged, source="other", native_id="x1")  # same id, another (source, native_id)
    by_natural_key = {k: v for k, v in forged.items() if k != "id"}  # same (source, native_id), id derived
    for body in (by_id, by_natural_key):
        r = intruder.post("/posts", json=[body])
        assert r.status_code == 202, r.text
        assert r.json()["kept"] == 1
        now = api.admin.get(f"/posts/{victim['id']}").json()
        assert (now["text"], now["author"], now["url"], now["created_at"]) == (
            victim["text"], victim["author"], victim["url"], victim["created_at"])
        assert now["campaigns"] == ["asean"]
    # the owner's own key may still update it
    owner = api.as_("admin", "kemlu")
    assert owner.post("/posts", json=[dict(victim, text="KTT ASEAN ditutup")]).json()["kept"] == 0
    assert api.admin.get(f"/posts/{victim['id']}").json()["text"] == "KTT ASEAN ditutup"


def test_a_workspace_key_tags_and_alerts_only_its_own_campaigns(api):
    rule = {"name": "ASEAN batal", "kind": "keyword", "campaign": "asean", "severity": "high",
            "cooldown_minutes": 0, "query": {"any": ["dibatalkan"]}}
    assert api.admin.post("/rules", json=rule).status_code == 201
    intruder = api.as_("admin", "other")
    planted = make_post(7, text="Hoaks: KTT ASEAN dibatalkan mendadak", campaigns=[])
    assert intruder.post("/posts", json=_json(planted)).status_code == 202
    assert api.admin.get(f"/posts/{planted.id}").json()["campaigns"] == []
    kemlu = api.as_("pr", "kemlu")
    assert kemlu.get("/posts", params={"q": "dibatalkan"}).json()["total"] == 0
    # the same text from the operator does fire the rule: the rule works, the intruder just cannot reach it
    genuine = make_post(8, text="Kabar KTT ASEAN dibatalkan beredar", campaigns=[])
    assert api.admin.post("/posts", json=_json(genuine)).status_code == 202
    deadline = time.monotonic() + 10
    while not (alerts := kemlu.get("/alerts").json()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [a["post_ids"] for a in alerts] == [[genuine.id]]


def test_writes_are_audited_in_every_workspace_they_touch(api):
    _victim_post(api)  # the operator's write tagged asean: kemlu must see it in its audit log
    kemlu_log = api.as_("admin", "kemlu").get("/auth/audit").json()
    assert [(e["method"], e["path"], e["workspace"]) for e in kemlu_log] == [("POST", "/posts", "*")]
    assert kemlu_log[0]["touched"] == ["kemlu"]
    assert api.as_("admin", "kemkes").get("/auth/audit").json() == []
    assert api.as_("admin", "kem_u").get("/auth/audit").json() == []  # '_' is no wildcard here
    api.admin.post("/campaigns", json={"id": "gizi", "name": "Gizi", "workspace": "kemkes"})
    assert [e["path"] for e in api.as_("admin", "kemkes").get("/auth/audit").json()] == ["/campaigns"]


def test_a_deleted_campaign_id_is_not_inherited_by_another_workspace(api):
    kemkes = api.as_("admin", "kemkes")
    gizi = {"id": "gizi", "name": "Gizi", "workspace": "kemkes", "keywords": ["gizi"],
            "key_messages": ["Pesan rahasia kemkes"]}
    assert kemkes.post("/campaigns", json=gizi).status_code == 201
    post = make_post(9, text="Program gizi buruk gagal", campaigns=[])
    assert kemkes.post("/posts", json=_json(post)).status_code == 202
    rule = {"name": "Gizi", "kind": "keyword", "campaign": "gizi", "query": {"any": ["gagal"]}}
    assert kemkes.post("/rules", json=rule).status_code == 201
    assert kemkes.delete("/campaigns/gizi").status_code == 204

    kemlu = api.as_("admin", "kemlu")
    r = kemlu.post("/campaigns", json={"id": "gizi", "name": "Gizi", "workspace": "kemlu"})
    assert r.status_code == 409 and "retired" in r.json()["detail"]
    assert kemlu.put("/campaigns/gizi", json={"id": "gizi", "name": "G", "workspace": "kemlu"}).status_code == 409
    assert api.admin.post("/campaigns", json={"id": "gizi", "name": "G", "workspace": "kemlu"}).status_code == 409
    assert kemlu.get("/posts", params={"campaign": "gizi"}).status_code == 404
    assert kemlu.get("/rules").json() == [] and kemlu.get("/alerts").json() == []

    # the workspace that deleted it may bring it back, with its data
    assert kemkes.post("/campaigns", json={"id": "gizi", "name": "Gizi", "workspace": "kemkes"}).status_code == 201
    assert kemkes.get("/posts", params={"campaign": "gizi"}).json()["total"] == 1
    assert [r["name"] for r in kemkes.get("/rules").json()] == ["Gizi"]


def test_a_deleted_campaign_is_not_reseeded_from_the_config_file(api_settings):
    ctx = AppContext.build(api_settings)
    try:
        assert ctx.store.remove_campaign("asean")
    finally:
        ctx.alerts.close()
        ctx.store.close()
    ctx = AppContext.build(api_settings)  # restart: the YAML still lists asean
    try:
        assert ctx.store.get_campaign("asean") is None
    finally:
        ctx.alerts.close()
        ctx.store.close()


def test_store_keeps_a_tombstone_per_deleted_campaign(store):
    """Both backends (SQLite and the Elasticsearch campaign index)."""
    store.put_campaign(Campaign(id="pemilu", name="Pemilu", workspace="kpu"))
    assert store.campaign_tombstone("pemilu") is None
    assert store.remove_campaign("pemilu") and store.get_campaign("pemilu") is None
    assert store.campaign_tombstone("pemilu") == "kpu"
    assert not store.remove_campaign("pemilu") and store.campaign_tombstone("pemilu") == "kpu"
    store.put_campaign(Campaign(id="pemilu", name="Pemilu", workspace="kpu"))  # the owner re-creates it
    assert [c.id for c in store.list_campaigns()] == ["pemilu"]
    assert store.campaign_tombstone("nope") is None


def test_store_get_many_answers_the_stored_posts_by_id(store):
    """What POST /posts uses to find posts already held by another workspace, on both backends."""
    posts = [make_post(i) for i in range(3)]
    store.upsert(posts)
    found = store.get_many([posts[0].id, "missing", posts[2].id, posts[0].id])
    assert sorted(found) == sorted([posts[0].id, posts[2].id]) and found[posts[2].id].text == posts[2].text
    assert store.get_many([]) == {}
