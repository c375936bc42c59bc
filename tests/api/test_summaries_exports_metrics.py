"""Summaries, streamed exports, Prometheus metrics and the OpenAPI document."""
from __future__ import annotations

import csv
import io
import json

from prometheus_client.parser import text_string_to_metric_families

from tests.factories import make_post


def ingest(api, n_asean: int = 6, n_vaksin: int = 3) -> None:
    posts = [make_post(i) for i in range(n_asean)]
    posts += [make_post(100 + i, text=f"Vaksin booster hari ke-{i} =HYPERLINK(\"http://x\") #VaksinAman",
                        campaigns=[], hashtags=["VaksinAman"]) for i in range(n_vaksin)]
    r = api.admin.post("/posts", json=[p.model_dump(mode="json") for p in posts])
    assert r.status_code == 202, r.text


def test_sentiment_share_of_voice_hoax_and_narratives(api):
    ingest(api)
    lead = api.as_("leadership", "*")
    sent = lead.get("/summary/sentiment", params={"campaign": ["asean", "vaksin"], "interval": "day"}).json()
    assert [c["campaign"] for c in sent["campaigns"]] == ["asean", "vaksin"]
    for c in sent["campaigns"]:
        for b in c["series"]:
            assert b["positive"] + b["neutral"] + b["negative"] <= b["total"]
    assert sum(b["total"] for b in sent["campaigns"][0]["series"]) == 6
    sov = lead.get("/summary/share-of-voice").json()
    assert sov["total"] == 9 and sov["campaigns"][0] == {"campaign": "asean", "name": "KTT ASEAN", "posts": 6,
                                                         "share": round(6 / 9, 4)}
    assert sum(c["share"] for c in sov["campaigns"]) == 1.0 or abs(sum(c["share"] for c in sov["campaigns"]) - 1) < 1e-3
    since = lead.get("/summary/share-of-voice", params={"since": "2030-01-01T00:00:00Z"}).json()
    assert since["total"] == 0 and all(c["share"] == 0 for c in since["campaigns"])
    hoax = lead.get("/summary/hoax-trend", params={"campaign": "asean", "interval": "hour"}).json()
    assert len(hoax["campaigns"][0]["series"]) == 6
    assert all(b["hoax"] <= b["total"] for b in hoax["campaigns"][0]["series"])
    narr = {n["campaign"]: n for n in lead.get("/summary/narratives").json()}
    assert set(narr) == {"asean", "vaksin", "stunting"}
    vaksin = narr["vaksin"]
    assert vaksin["narratives"], vaksin
    if not vaksin["available"]:
        assert vaksin["narratives"][0] == {"id": None, "label": "#vaksinaman", "posts": 3, "kind": "hashtag",
                                           "detail": {}}
    assert lead.get("/summary/sentiment", params={"interval": "week"}).status_code == 422


def test_export_csv_and_ndjson_stream_everything_with_filters(api):
    ingest(api, n_asean=30, n_vaksin=3)
    analyst = api.as_("analyst", "*")
    r = analyst.get("/export/posts", params={"format": "csv", "campaign": "asean"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment; filename=\"narrawatch-posts-")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 30 and [row["created_at"] for row in rows] == sorted(row["created_at"] for row in rows)
    r = analyst.get("/export/posts", params={"format": "csv", "q": "booster"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3 and all(row["text"].startswith("Vaksin") for row in rows)
    injected = api.admin.post("/posts", json=[make_post(999, text="=cmd|' /C calc'!A0 vaksin",
                                                        campaigns=[]).model_dump(mode="json")])
    assert injected.status_code == 202
    rows = list(csv.DictReader(io.StringIO(analyst.get("/export/posts", params={"q": "calc"}).text)))
    assert rows[0]["text"].startswith("'=cmd")  # formula neutralised for spreadsheets
    nd = analyst.get("/export/posts", params={"format": "ndjson"})
    assert nd.headers["content-type"].startswith("application/x-ndjson")
    docs = [json.loads(line) for line in nd.text.splitlines()]
    assert len(docs) == 34 and len({d["id"] for d in docs}) == 34 and "raw" not in docs[0]
    assert analyst.get("/export/posts", params={"format": "xml"}).status_code == 422


def test_export_for_a_multi_campaign_workspace_lists_each_post_once(api):
    posts = [make_post(i, text=f"Vaksin cegah stunting nomor {i}", campaigns=[]) for i in range(4)]
    posts.append(make_post(10, text="Vaksin saja", campaigns=[]))
    api.admin.post("/posts", json=[p.model_dump(mode="json") for p in posts])
    kemkes = api.as_("analyst", "kemkes")
    docs = [json.loads(x) for x in kemkes.get("/export/posts", params={"format": "ndjson"}).text.splitlines()]
    assert len(docs) == 5 and len({d["id"] for d in docs}) == 5
    found = kemkes.get("/posts", params={"limit": 10}).json()
    assert len(found["posts"]) == 5 and len({p["id"] for p in found["posts"]}) == 5


def test_metrics_count_requests_and_posts(api):
    ingest(api)
    api.admin.get("/posts")
    api.admin.get("/posts/nope")
    api.anon().get("/posts")
    r = api.admin.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert families["narrawatch_posts_stored"].samples[0].value == 9
    reqs = {(s.labels["method"], s.labels["route"], s.labels["status"]): s.value
            for s in families["narrawatch_http_requests"].samples if s.name.endswith("_total")}
    assert reqs[("GET", "/posts", "200")] >= 1 and reqs[("GET", "/posts", "401")] == 1
    assert reqs[("GET", "/posts/{post_id}", "404")] == 1  # labelled by route template, not by raw path
    lat = families["narrawatch_http_request_duration_seconds"]
    assert any(s.name.endswith("_count") and s.labels["route"] == "/posts" for s in lat.samples)
    assert api.as_("analyst", "*").get("/metrics").status_code == 403


def test_openapi_documents_auth_and_examples(api):
    spec = api.anon().get("/openapi.json").json()
    assert {"/summary/sentiment", "/summary/share-of-voice", "/summary/hoax-trend", "/summary/narratives",
            "/export/posts", "/metrics", "/auth/keys", "/auth/audit"} <= set(spec["paths"])
    assert spec["paths"]["/posts"]["get"]["security"]
    assert "security" not in spec["paths"]["/health"]["get"]
    assert "examples" in json.dumps(spec["components"]["schemas"]["ShareOfVoice"])
    assert not any(p.startswith("/ui") for p in spec["paths"])
