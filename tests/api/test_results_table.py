"""The analyst's results over the API (issue 15 item 4): sorts, export in the same order, CSV for Excel."""
from __future__ import annotations

import codecs
import csv
import io
import json

from core.domain import Classification, Engagement
from tests.factories import make_post

# (likes, hoax score): newest first is e, d, c, b, a; by engagement c, a, e, b, d; by hoax score b, d, a, e, c
ROWS = {"a": (30, 0.4), "b": (5, 0.95), "c": (80, None), "d": (0, 0.6), "e": (10, 0.2)}


def seed(api) -> None:
    posts = []
    for n, (native, (likes, score)) in enumerate(ROWS.items()):
        post = make_post(n, f"=SUM(A1) vaksin nomor {native} di Jakarta", native_id=native, campaigns=["vaksin"],
                         author=f"@penulis_{native}")
        post.engagement = Engagement(likes=likes)
        post.classification = Classification(hoax_score=score, hoax=bool(score and score > 0.5))
        posts.append(post)
    api.app.state.ctx.store.upsert(posts)


def test_posts_sort_by_engagement_and_hoax_score_and_refuse_unknown_sorts(api):
    seed(api)
    kemkes = api.as_("analyst", "kemkes")

    def order(sort: str) -> list[str]:
        r = kemkes.get("/posts", params={"sort": sort})
        assert r.status_code == 200, r.text
        return [p["native_id"] for p in r.json()["posts"]]

    assert order("newest") == ["e", "d", "c", "b", "a"]
    assert order("engagement") == ["c", "a", "e", "b", "d"]
    assert order("hoax") == ["b", "d", "a", "e", "c"]  # the unscored post last
    bad = kemkes.get("/posts", params={"sort": "likes"})
    assert bad.status_code == 422 and "hoax" in bad.text  # the message lists the orders there are


def test_export_follows_the_sort_and_csv_starts_with_a_bom(api):
    seed(api)
    kemkes = api.as_("analyst", "kemkes")
    for sort in ("hoax", "engagement", "newest"):
        shown = [p["native_id"] for p in kemkes.get("/posts", params={"sort": sort}).json()["posts"]]
        r = kemkes.get("/export/posts", params={"format": "csv", "sort": sort})
        assert r.status_code == 200 and r.content.startswith(codecs.BOM_UTF8)
        assert r.content[len(codecs.BOM_UTF8):].startswith(b"id,created_at,")  # one mark, then the header
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert [row["id"] for row in rows] == [p["id"] for p in kemkes.get(
            "/posts", params={"sort": sort}).json()["posts"]]
        assert [next(n for n in ROWS if row["text"].endswith(f"nomor {n} di Jakarta")) for row in rows] == shown
        assert all(row["text"].startswith("'=SUM") for row in rows)  # still neutralised for spreadsheets
        nd = kemkes.get("/export/posts", params={"format": "ndjson", "sort": sort})
        assert not nd.content.startswith(codecs.BOM_UTF8)
        assert [json.loads(line)["native_id"] for line in nd.text.splitlines()] == shown
    default = kemkes.get("/export/posts", params={"format": "ndjson"}).text.splitlines()
    assert [json.loads(line)["native_id"] for line in default] == ["a", "b", "c", "d", "e"]  # oldest first, as before
    assert kemkes.get("/export/posts", params={"sort": "bogus"}).status_code == 422


def test_volume_of_a_search_lists_every_hour_in_the_callers_workspace(api):
    seed(api)
    kemkes = api.as_("analyst", "kemkes")
    r = kemkes.get("/posts/volume", params={"q": "vaksin -nomor", "interval": "hour"})
    assert r.status_code == 200 and r.json()["total"] == 0
    body = kemkes.get("/posts/volume", params={"q": "vaksin", "since": "2024-11-01T06:00:00Z",
                                               "until": "2024-11-01T14:00:00Z"}).json()
    assert body["interval"] == "hour" and [b["posts"] for b in body["buckets"]] == [0, 0, 1, 1, 1, 1, 1, 0]
    assert body["tz"] == "Asia/Jakarta" and body["buckets"][0]["start"] == "2024-11-01T13:00:00+07:00"  # NW_TIMEZONE
    utc = kemkes.get("/posts/volume", params={"q": "vaksin", "tz": "UTC", "interval": "day"}).json()
    assert [(b["start"], b["posts"]) for b in utc["buckets"]] == [("2024-11-01T00:00:00Z", 5)]
    assert kemkes.get("/posts/volume", params={"tz": "Europe/Paris"}).status_code == 422
    assert api.as_("analyst", "kemlu").get("/posts/volume", params={"q": "vaksin"}).json()["total"] == 0
    far = kemkes.get("/posts/volume", params={"since": "1990-01-01T00:00:00Z", "interval": "day"})
    assert far.status_code == 422 and "narrow since/until" in far.text
    assert kemkes.get("/posts/volume", params={"q": "vaksin AND ("}).status_code == 400
