"""Analysts rename, merge and split narratives over the real API, on each state backend (SQLite state.db, the real
Elasticsearch node). The edits go through the ledger's lease and batch log, so a clusterer in another process (here:
its own AlertStore) replays them: the name stays, merged posts stay merged, split-off posts stay apart and a later
near-copy joins the split-off narrative. Another workspace's key gets 404; bad edits get 4xx with a message."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from core.domain import Alert
from service.alerts.store import AlertStore
from service.narratives.clusters import NarrativeClusterer
from tests.api.conftest import served
from tests.api.keys import make_settings
from tests.factories import T0, engaged, make_post

CHIP = "Beredar kabar vaksin di KTT ASEAN mengandung chip pelacak, bagikan sekarang juga nomor {}"
DELEGASI = "Delegasi Vietnam tiba di bandara Soekarno-Hatta pagi ini untuk KTT ASEAN nomor {}"


def posts(start: int, n: int, text: str, campaign: str = "asean"):
    return [engaged(make_post(i, text=text.format(i), author=f"akun{i % 2}", campaigns=[campaign],
                              platform="bluesky" if i % 2 else "mastodon", created_at=T0 + timedelta(hours=i)),
                    100 * i if i % 2 else i)
            for i in range(start, start + n)]


@pytest.fixture
def live(state_settings, tmp_path):
    settings = make_settings(tmp_path).model_copy(update={k: getattr(state_settings, k) for k in
                                                          ("store", "es_url", "es_index")})
    store = AlertStore.open(settings)
    with served(settings) as api:
        yield api, NarrativeClusterer(store.ledger), store
    store.ledger.drop()


def test_rename_merge_split_survive_clustering_and_stay_in_the_workspace(live):
    api, clusterer, store = live
    out = clusterer.add(posts(0, 4, CHIP) + posts(100, 3, DELEGASI) + posts(200, 2, CHIP, "vaksin"))
    chip, delegasi, vaksin = out[0].narrative_id, out[4].narrative_id, out[7].narrative_id
    analyst, foreign = api.as_("analyst", "kemlu"), api.as_("analyst", "kemkes")
    ids = {int(p.native_id): p.id for p in posts(0, 5, CHIP) + posts(100, 4, DELEGASI)}

    # a key of another workspace: 404 for every edit, as for a read; nothing changes
    assert foreign.patch(f"/narratives/{chip}", json={"name": "x"}).status_code == 404
    assert foreign.post(f"/narratives/{chip}/merge", json={"narratives": [delegasi]}).status_code == 404
    assert foreign.post(f"/narratives/{chip}/split", json={"post_ids": [ids[0]]}).status_code == 404
    assert api.as_("pr", "kemlu").patch(f"/narratives/{chip}", json={"name": "x"}).status_code == 403

    r = analyst.patch(f"/narratives/{chip}", json={"name": "  Hoaks chip   pelacak "})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == r.json()["label"] == "Hoaks chip pelacak"
    assert clusterer.add(posts(4, 1, CHIP))[0].narrative_id == chip  # the clusterer replays the rename...
    clusterer.ledger.make_searchable()  # the API's post searches see a worker's batch a refresh interval later
    got = analyst.get(f"/narratives/{chip}").json()
    assert got["label"] == "Hoaks chip pelacak" and got["size"] == 5  # ...and keeps it when it touches the narrative

    # detail: growth, sentiment split, platforms, first seen, top spreaders, alerts, a search
    assert [g["total"] for g in got["growth"]][-1] == 5 and got["first_seen"].startswith(T0.isoformat()[:13])
    assert got["platforms"] == {"mastodon": 3, "bluesky": 2} and sum(got["sentiment"].values()) == 5
    assert got["top_spreaders"]["by_posts"][0] == {"account": "mastodon:akun0", "posts": 3, "engagement": 6}
    assert got["top_spreaders"]["by_engagement"][0] == {"account": "bluesky:akun1", "posts": 2, "engagement": 400}
    assert got["alerts"] == [] and got["search"].startswith("/posts?campaign=asean")
    assert analyst.get(got["search"]).status_code == 200

    bad = [(analyst.patch(f"/narratives/{chip}", json={"name": "   "}), 400),
           (analyst.post(f"/narratives/{chip}/merge", json={"narratives": [chip]}), 400),
           (analyst.post(f"/narratives/{chip}/merge", json={"narratives": ["n_nope"]}), 404),
           (analyst.post(f"/narratives/{chip}/merge", json={"narratives": []}), 422),
           (api.admin.post(f"/narratives/{chip}/merge", json={"narratives": [vaksin]}), 400),
           (analyst.post(f"/narratives/{chip}/split", json={"post_ids": []}), 422),
           (analyst.post(f"/narratives/{chip}/split", json={"post_ids": [ids[i] for i in range(5)]}), 400),
           (analyst.post(f"/narratives/{chip}/split", json={"post_ids": [ids[100]]}), 400)]
    for r, code in bad:
        assert r.status_code == code and r.json()["detail"], r.text

    # an open alert about each narrative (fired by a worker: this test's own AlertStore), two incidents on the desk
    def fire(rule: str, nid: str, post: int) -> tuple[Alert, bool]:
        return store.fire(Alert(id=f"a_{rule}_{post}", campaign="asean", rule=rule, title=rule, post_ids=[ids[post]],
                                incident=f"asean|narrative:{nid}", dedup_key=f"{rule}|asean|narrative:{nid}|{post}",
                                created_at=T0 + timedelta(hours=post)), timedelta(hours=1), T0, [])
    desk = api.as_("pr", "kemlu")
    (keyword, _), (hoax, _) = fire("keyword", chip, 0), fire("hoax", delegasi, 100)
    assert {a["incident"] for a in desk.get("/alerts").json()} == {keyword.incident, hoax.incident}

    r = analyst.post(f"/narratives/{chip}/merge", json={"narratives": [delegasi]})
    assert r.status_code == 200, r.text
    assert r.json()["size"] == 8 and r.json()["merged"] == [delegasi] and r.json()["name"] == "Hoaks chip pelacak"
    # one incident, one card: the absorbed narrative's open alert reads as the survivor's incident (list, detail)...
    queue = desk.get("/alerts", params={"sort": "severity", "status": "active"}).json()
    assert sorted(a["id"] for a in queue) == sorted([keyword.id, hoax.id])
    assert {a["incident"] for a in queue} == {keyword.incident}
    assert desk.get(f"/alerts/{hoax.id}").json()["incident"] == keyword.incident
    # ...and a later hoax post of the merged narrative (a new subject) joins that open alert of its rule
    joined, created = fire("hoax", chip, 101)
    assert (joined.id, created, joined.incident) == (hoax.id, False, keyword.incident)
    assert sorted(joined.post_ids) == sorted([ids[100], ids[101]])
    assert len(desk.get("/alerts").json()) == 2
    # a resolved alert fires again after its cooldown, its key naming the merged-away narrative: a new alert,
    # answered and announced live in the survivor's incident
    early, _ = fire("coord", delegasi, 102)
    assert store.transition(early.id, "pr", "resolve", status="resolved").status == "resolved"
    stale = early.model_copy(update={"id": "a_coord_again", "incident": f"asean|narrative:{delegasi}"})
    again, created = store.fire(stale, timedelta(hours=1), T0 + timedelta(hours=2), [])
    assert created and again.id == "a_coord_again" and again.incident == keyword.incident
    [event] = [e for e in store.events.tail(0, 500) if e.kind == "alert" and e.data["id"] == again.id]
    assert event.data["incident"] == keyword.incident
    assert len(desk.get("/alerts").json()) == 4
    # an action answers, and is announced live (the desk's cards regroup from these), in the survivor's incident
    acked = desk.post(f"/alerts/{hoax.id}/ack", json={"expected_status": ["open"]})
    assert acked.status_code == 200 and acked.json()["incident"] == keyword.incident
    [event] = [e for e in store.events.tail(0, 500) if e.kind == "alert.status" and e.data["id"] == hoax.id]
    assert event.data["id"] == hoax.id and event.data["incident"] == keyword.incident
    assert analyst.get(f"/narratives/{delegasi}").json()["id"] == chip  # the merged id resolves to the survivor
    assert delegasi not in {n["id"] for n in analyst.get("/narratives", params={"min_size": 1}).json()}
    assert clusterer.add(posts(103, 1, DELEGASI))[0].narrative_id == chip  # later near-copies join the survivor

    moved = [ids[i] for i in range(100, 104)]
    r = analyst.post(f"/narratives/{chip}/split", json={"post_ids": moved, "name": "Delegasi tiba"})
    assert r.status_code == 201, r.text
    split = r.json()["id"]
    assert r.json()["size"] == 4 and r.json()["label"] == "Delegasi tiba"
    assert analyst.get(f"/narratives/{chip}").json()["size"] == 5
    again = clusterer.add(posts(103, 1, DELEGASI) + posts(104, 1, DELEGASI))  # a re-collected post, a new one
    assert [a.narrative_id for a in again] == [split, split] and [a.new_post for a in again] == [False, True]
    assert analyst.get(f"/narratives/{split}").json()["size"] == 5

    for _ in range(100):  # the audit row is written after the answer is sent (and searchable a refresh later)
        audit = api.admin.get("/auth/audit", params={"path": "/narratives/", "status_class": 2}).json()
        if len(audit) >= 3:
            break
        time.sleep(0.1)
    details = [json.loads(a["detail"])["narrative"] for a in audit]
    assert details == ["split", "merge", "rename"] and all(a["touched"] == ["kemlu"] for a in audit)
    assert len(api.admin.get("/auth/audit", params={"path": "/narratives/", "status_class": 4}).json()) >= 10
