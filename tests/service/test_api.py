import pytest

from service.api.app import create_app
from service.config import Settings
from tests.api.keys import keyed_client, make_key
from tests.factories import make_post
from bench.loopback import serve


@pytest.fixture()
def api(tmp_path):
    cfg = tmp_path / "nw.yaml"
    cfg.write_text("campaigns:\n  - id: asean\n    name: KTT ASEAN\n    keywords: [asean]\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "var", config_file=cfg)
    with serve(create_app(settings)) as url:
        with keyed_client(url, make_key(settings, "admin", "*")) as client:
            yield client


def test_health_and_openapi(api):
    assert api.get("/health").json()["status"] == "ok"
    spec = api.get("/openapi.json").json()
    assert {"/posts", "/posts/{post_id}", "/campaigns", "/campaigns/{campaign_id}", "/health"} <= set(spec["paths"])
    assert api.get("/docs").status_code == 200


def test_ingest_then_search_over_http(api):
    posts = [make_post(i, campaigns=[]).model_dump(mode="json") for i in range(5)]
    posts[0]["text"] = "Hoaks vaksin chip beredar di grup keluarga"
    r = api.post("/posts", json=posts)
    assert r.status_code == 202 and r.json() == {"received": 5, "stored": 5, "spooled": 0, "quarantined": 0, "kept": 0, "truncated": 0}
    assert api.post("/posts", json=posts).json()["stored"] == 5
    found = api.get("/posts", params={"q": "vaksin"}).json()
    assert found["total"] == 1 and found["posts"][0]["lang"] == "id"
    assert api.get("/posts", params={"campaign": "asean", "limit": 2}).json()["total"] == 4  # post 0 no longer names ASEAN
    post_id = found["posts"][0]["id"]
    assert api.get(f"/posts/{post_id}").json()["text"].startswith("Hoaks")
    assert api.get("/posts/nope").status_code == 404


@pytest.mark.parametrize("body,where", [
    ([{"source": "x", "native_id": "1", "text": "t"}], "created_at"),
    ([{"source": "x", "native_id": "1", "text": "t", "created_at": "not a date"}], "created_at"),
    ({"not": "a list"}, "body"),
    ([{"source": "x", "native_id": "1", "text": "t", "created_at": "2024-01-01", "evil": 1}], "evil"),
])
def test_invalid_bodies_get_readable_422(api, body, where):
    r = api.post("/posts", json=body)
    assert r.status_code == 422
    assert where in r.json()["message"]


def test_bad_query_params_are_4xx_not_500(api):
    assert api.get("/posts", params={"since": "yesterday"}).status_code == 422
    assert api.get("/posts", params={"limit": 100000}).status_code == 422
    assert api.get("/posts", params={"sentiment": "happy"}).status_code == 422
    bad = api.get("/posts", params={"q": '"((( OR'})  # the search language cannot read it: 400 with the position
    assert bad.status_code == 400 and bad.json()["position"] == 0


def test_campaign_crud(api):
    assert [c["id"] for c in api.get("/campaigns").json()] == ["asean"]
    body = {"id": "g20", "name": "Presidensi G20", "hashtags": ["#G20Indonesia"], "workspace": "kominfo"}
    assert api.post("/campaigns", json=body).status_code == 201
    assert api.post("/campaigns", json=body).status_code == 409
    assert api.get("/campaigns/g20").json()["hashtags"] == ["g20indonesia"]
    assert api.put("/campaigns/g20", json={**body, "name": "G20"}).json()["name"] == "G20"
    assert api.put("/campaigns/other", json=body).status_code == 400
    assert api.post("/campaigns", json={"id": "Bad Id!", "name": "x"}).status_code == 422
    assert api.delete("/campaigns/g20").status_code == 204
    assert api.get("/campaigns/g20").status_code == 404


def test_absurd_engagement_counts_are_rejected_not_stored(api):
    post = make_post(1).model_dump(mode="json")
    post["engagement"]["likes"] = 10**30
    r = api.post("/posts", json=[post])
    assert r.status_code == 422 and "likes" in r.json()["message"]
    assert api.get("/posts").json()["total"] == 0
