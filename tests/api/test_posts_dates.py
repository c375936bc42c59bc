"""POST /posts with dates outside the representable range: a 422 naming each bad item, never a 500 that drops the
valid posts of the batch. A batch is taken whole or not at all (the client fixes the items named and resends), so
nothing of a rejected batch is half-stored; the valid items are stored by the resend."""
from __future__ import annotations

import httpx
import pytest

from service.store.base import PostQuery
from tests.factories import make_post

OUT_OF_RANGE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59Z", 1e20]


@pytest.mark.parametrize("bad", OUT_OF_RANGE)
def test_out_of_range_created_at_is_a_422_naming_the_item_and_the_valid_posts_are_not_lost(api, bad):
    client = api.admin
    client.timeout = httpx.Timeout(120)  # the first accepted batch loads the classifiers
    posts = [make_post(i, campaigns=[]).model_dump(mode="json") for i in range(3)]
    posts[1]["created_at"] = bad
    r = client.post("/posts", json=posts)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["message"].startswith("1.created_at: ") and "out of range" in body["message"]
    assert "(1970-01-01 .. 2099-12-31" in body["message"]
    assert [d["loc"] for d in body["detail"]] == [["body", 1, "created_at"]]
    assert api.app.state.ctx.store.count(PostQuery()) == 0  # nothing of the rejected batch was half-stored

    del posts[1]
    r = client.post("/posts", json=posts)
    assert r.status_code == 202 and r.json()["stored"] == 2


def test_every_bad_item_of_a_batch_is_named(api):
    posts = [make_post(i, campaigns=[]).model_dump(mode="json") for i in range(4)]
    posts[0]["first_seen_at"] = "9999-12-31T23:59:59-01:00"
    posts[2]["created_at"] = "0001-01-01T00:00:00+01:00"
    r = api.admin.post("/posts", json=posts)
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["detail"]] == [["body", 0, "first_seen_at"], ["body", 2, "created_at"]]
    assert api.admin.get("/posts").json()["total"] == 0  # nothing of the rejected batch was stored


def test_epoch_milliseconds_read_as_by_the_importer(api):
    client = api.admin
    client.timeout = httpx.Timeout(120)
    post = make_post(1, campaigns=[]).model_dump(mode="json")
    post["created_at"] = 1700000000000
    assert client.post("/posts", json=[post]).status_code == 202
    assert client.get(f"/posts/{post['id']}").json()["created_at"].startswith("2023-11-14T22:13:20")
