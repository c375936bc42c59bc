"""Analyst corrections over real HTTP: POST /posts/{id}/corrections, GET /corrections.

The corrected label shows at once (get, search filter), survives re-collection of the same post, is audited in the
post's workspace, and a key can only correct posts of its own workspace (404 otherwise, nothing recorded).
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.api.app import create_app
from service.classify import claim_store
from tests.factories import make_post
from bench.loopback import serve

VAKSIN = "Vaksin program nasional sudah sampai di puskesmas kami pagi ini"
CLAIM = {"id": "tbh-chip", "title": "[HOAKS] Vaksin mengandung microchip",
         "text": "Vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga",
         "url": "https://example.org/hoaks-microchip", "verdict": "hoax"}


def _ingest(api, *posts) -> list[str]:
    r = api.admin.post("/posts", json=[p.model_dump(mode="json") for p in posts], timeout=180)  # first: lazy loads
    assert r.status_code == 202 and r.json()["stored"] == len(posts), r.text
    return [p.id for p in posts]


def _other(label: str) -> str:
    return "positive" if label != "positive" else "negative"


def test_correction_shows_at_once_survives_recollection_and_is_audited(api):
    post = make_post(1, text=VAKSIN, campaigns=[])
    [pid] = _ingest(api, post)
    model_label = api.admin.get(f"/posts/{pid}").json()["classification"]["sentiment"]
    label = _other(model_label)
    analyst = api.as_("analyst", "kemkes")
    r = analyst.post(f"/posts/{pid}/corrections", json={"sentiment": label, "note": "sarkasme"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["post"]["classification"]["sentiment"] == label
    assert body["correction"]["before"]["sentiment"] == model_label
    assert body["correction"]["workspace"] == "kemkes" and body["correction"]["campaigns"] == ["vaksin"]
    # at once: read and filter
    assert analyst.get(f"/posts/{pid}").json()["classification"]["sentiment"] == label
    found = analyst.get("/posts", params={"campaign": "vaksin", "sentiment": label}).json()
    assert [p["id"] for p in found["posts"]] == [pid]
    # re-collection re-classifies the post: the analyst's label stays
    _ingest(api, make_post(1, text=VAKSIN, campaigns=[]))
    assert analyst.get(f"/posts/{pid}").json()["classification"]["sentiment"] == label
    # listed for the workspace, audited with the post's workspace
    listed = analyst.get("/corrections", params={"campaign": "vaksin"}).json()
    assert [(c["post_id"], c["sentiment"], c["note"]) for c in listed] == [(pid, label, "sarkasme")]
    audit = [e for e in api.admin.get("/auth/audit").json() if e["path"] == f"/posts/{pid}/corrections"]
    assert len(audit) == 1 and audit[0]["status"] == 201 and audit[0]["workspace"] == "kemkes"
    assert '"workspace": "kemkes"' in audit[0]["detail"] and f'"sentiment": "{label}"' in audit[0]["detail"]


def test_a_key_corrects_only_posts_of_its_workspace(api):
    vaksin, asean = make_post(1, text=VAKSIN, campaigns=[]), make_post(2, text="KTT ASEAN dibuka hari ini")
    _ingest(api, vaksin, asean)
    before = api.admin.get(f"/posts/{vaksin.id}").json()["classification"]
    kemlu = api.as_("analyst", "kemlu")
    r = kemlu.post(f"/posts/{vaksin.id}/corrections", json={"sentiment": _other(before["sentiment"]), "hoax": True})
    assert r.status_code == 404, r.text
    assert api.admin.get(f"/posts/{vaksin.id}").json()["classification"] == before
    assert api.admin.get("/corrections").json() == []
    assert kemlu.get("/corrections", params={"campaign": "vaksin"}).status_code == 404
    # kemlu's own correction is invisible to kemkes
    assert kemlu.post(f"/posts/{asean.id}/corrections", json={"hoax": False}).status_code == 201
    assert api.as_("analyst", "kemkes").get("/corrections").json() == []
    assert [c["post_id"] for c in api.admin.get("/corrections").json()] == [asean.id]
    # roles without corrections:write
    for role in ("pr", "leadership"):
        assert api.as_(role, "kemkes").post(f"/posts/{vaksin.id}/corrections", json={"hoax": True}).status_code == 403


def test_bad_corrections_get_clear_4xx(api):
    [pid] = _ingest(api, make_post(1, text=VAKSIN, campaigns=[]))
    analyst = api.as_("analyst", "kemkes")
    for body in ({}, {"sentiment": "furious"}, {"hoax": "maybe"}, {"claim_match": "perhaps"}, {"extra": 1}):
        r = analyst.post(f"/posts/{pid}/corrections", json=body)
        assert r.status_code == 422 and r.json()["message"], (body, r.text)
    r = analyst.post(f"/posts/{pid}/corrections", json={"claim_match": "confirm"})  # no matched claim
    assert r.status_code == 422 and "no matched claim" in r.json()["message"]
    assert analyst.post("/posts/nope/corrections", json={"hoax": True}).status_code == 404
    assert api.admin.get("/corrections").json() == []


@pytest.fixture()
def api_with_claim(api_settings, auth_config) -> Iterator:
    from tests.api.conftest import Api

    claim_store(api_settings).put([CLAIM])
    app = create_app(api_settings, auth_config=auth_config)
    with serve(app) as url:
        live = Api(url=url, settings=api_settings, app=app)
        yield live
        for client in live.clients.values():
            client.close()


def test_hoax_and_claim_match_corrections(api_with_claim):
    api = api_with_claim
    post = make_post(3, text="Hati-hati, vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga!",
                     campaigns=[])
    [pid] = _ingest(api, post)
    c = api.admin.get(f"/posts/{pid}").json()["classification"]
    assert c["matched_claim_id"] == "tbh-chip", c
    analyst = api.as_("analyst", "kemkes")
    r = analyst.post(f"/posts/{pid}/corrections", json={"claim_match": "reject", "hoax": False})
    assert r.status_code == 201, r.text
    c = r.json()["post"]["classification"]
    assert c["matched_claim_id"] is None and c["hoax"] is False and c["hoax_score"] == 0.0
    assert "analyst: claim match tbh-chip rejected" in c["hoax_reasons"]
    assert r.json()["correction"]["claim_id"] == "tbh-chip"
    _ingest(api, post)  # re-collected: the claim index matches again, the rejection holds
    c = analyst.get(f"/posts/{pid}").json()["classification"]
    assert c["matched_claim_id"] is None and c["hoax"] is False
    assert analyst.get("/posts", params={"campaign": "vaksin", "hoax": True}).json()["total"] == 0


def test_claim_decisions_teach_the_matcher_in_the_workspace(api_with_claim):
    """A rejected match stops that claim matching the post's near-identical reposts in the same workspace (not
    elsewhere, not a different post about it); a confirmed post makes its reworded reposts match the claim, in the
    same workspace only."""
    api = api_with_claim
    hoax = "Hati-hati, vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga!"
    first, repost = make_post(10, text=hoax, campaigns=[]), make_post(11, text=hoax.upper() + "!!", campaigns=[])
    kemlu = make_post(12, text=hoax, campaigns=["asean"])
    other = make_post(13, text="Kata tetangga, vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga "
                               "yang menolak ikut program, katanya sudah dipasang di semua puskesmas", campaigns=[])
    _ingest(api, first, repost, kemlu, other)
    matched = lambda p: api.admin.get(f"/posts/{p.id}").json()["classification"]["matched_claim_id"]  # noqa: E731
    assert [matched(p) for p in (first, repost, kemlu, other)] == ["tbh-chip"] * 4
    analyst = api.as_("analyst", "kemkes")
    r = analyst.post(f"/posts/{first.id}/corrections", json={"claim_match": "reject"})
    assert r.status_code == 201 and r.json()["post"]["classification"]["matched_claim_id"] is None, r.text
    assert r.json()["post"]["classification"]["hoax"] is False  # no style flag: the match was the only evidence
    _ingest(api, repost, kemlu, other)  # re-collected
    assert [matched(p) for p in (repost, kemlu, other)] == [None, "tbh-chip", "tbh-chip"]

    told = ("Chipnya aktif lewat sinyal menara 5G tiap tengah malam, data lokasi warga dikirim ke server luar negeri. "
            "Hati-hati, vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga")
    reworded = ("Chip di tubuh penerima suntikan vaksin aktif lewat sinyal menara 5G tiap tengah malam, lokasi kita "
                "dikirim ke server luar negeri. Jangan mau!")
    confirmed = make_post(20, text=told, campaigns=[])
    again, elsewhere = make_post(21, text=reworded, campaigns=[]), make_post(22, text=reworded, campaigns=["asean"])
    _ingest(api, confirmed, again, elsewhere)
    assert [matched(p) for p in (confirmed, again, elsewhere)] == ["tbh-chip", None, None]
    r = analyst.post(f"/posts/{confirmed.id}/corrections", json={"claim_match": "confirm"})
    assert r.status_code == 201 and r.json()["post"]["classification"]["matched_claim_id"] == "tbh-chip", r.text
    _ingest(api, again, elsewhere)
    assert [matched(p) for p in (again, elsewhere)] == ["tbh-chip", None]
    c = api.admin.get(f"/posts/{again.id}").json()["classification"]
    assert c["hoax"] and c["hoax_reasons"][0].startswith("matches debunk 'Vaksin mengandung microchip'"), c


@pytest.fixture()
def api_adapt_every(api_settings, auth_config, tmp_path) -> Iterator:
    from tests.api.conftest import Api

    settings = api_settings.model_copy(update={"adapt_every": 30})
    app = create_app(settings, auth_config=auth_config)
    with serve(app) as url:
        live = Api(url=url, settings=settings, app=app)
        yield live
        for client in live.clients.values():
            client.close()


def test_adaptation_runs_by_itself_every_n_corrected_posts(api_adapt_every):
    import time

    from classifiers.adapt import HeadRegistry
    from service.classify import adapted_dir

    api = api_adapt_every
    words = {"positive": "bagus sekali, terima kasih", "negative": "lambat dan mengecewakan",
             "neutral": "dijadwalkan hari kamis"}
    posts = [(make_post(100 + i, text=f"Vaksin di puskesmas {i} {words[s]}", campaigns=[]), s)
             for i, s in enumerate(list(words) * 10)]
    _ingest(api, *(p for p, _ in posts))
    analyst = api.as_("analyst", "kemkes")
    registry = HeadRegistry(adapted_dir(api.settings))
    hoax_registry = HeadRegistry(adapted_dir(api.settings), kind="hoax")  # the hoax-style head counts its own
    for n, (p, s) in enumerate(posts, 1):
        body = {"sentiment": s, **({"hoax": s == "negative"} if n <= 30 - 3 else {})}
        assert analyst.post(f"/posts/{p.id}/corrections", json=body).status_code == 201
        if n < 30:
            assert registry.versions("kemkes") == []  # not before the 30th corrected post
    deadline = time.monotonic() + 240
    while not registry.versions("kemkes") and time.monotonic() < deadline:
        time.sleep(0.5)
    [version] = registry.versions("kemkes")
    meta = registry.meta("kemkes", version)
    assert meta["n_train"] + meta["n_heldout"] == 30 and meta["heldout_macro_f1"]["after"] is not None
    from service.corrections import CorrectionStore

    counted = CorrectionStore.for_settings(api.settings)
    assert (counted.corrected_posts("kemkes"), counted.corrected_posts("kemkes", "hoax")) == (30, 27)
    assert hoax_registry.versions("kemkes") == []  # 27 hoax-corrected posts: not yet
    for p, _ in posts[27:]:
        assert analyst.post(f"/posts/{p.id}/corrections", json={"hoax": False}).status_code == 201
    while not hoax_registry.versions("kemkes") and time.monotonic() < deadline:
        time.sleep(0.5)
    [version] = hoax_registry.versions("kemkes")
    assert hoax_registry.meta("kemkes", version)["n_train"] + hoax_registry.meta("kemkes", version)["n_heldout"] == 30
    assert registry.versions("kemkes") == [meta["version"]]  # the sentiment head did not run again
