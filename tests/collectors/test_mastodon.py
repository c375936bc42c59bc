import json

import httpx

from collectors.mastodon import MastodonCollector, parse_link_header, parse_statuses
from tests.collectors.conftest import fixture_text

BASE = "https://mastodon.social/api/v1/timelines/tag/vaksinhalal"


def masto_handler(requests, *, ratelimit_remaining="250", fail_first_429=False):
    state = {"429": fail_first_429}

    def handler(request):
        requests.append(request)
        if state["429"]:
            state["429"] = False
            return httpx.Response(429, headers={"Retry-After": "3"})
        p = request.url.params
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": ratelimit_remaining,
                   "X-RateLimit-Reset": "2099-12-01T21:00:00.609574Z", "Content-Type": "application/json; charset=utf-8"}
        if p.get("min_id") == "1009":
            name = "mastodon_tag_min1009.json"
        elif p.get("min_id") == "1014":
            name = "mastodon_tag_min1014.json"
        elif p.get("min_id"):
            return httpx.Response(200, text="[]", headers=headers)
        elif p.get("max_id") == "1005":
            name = "mastodon_tag_older.json"
        else:
            name = "mastodon_tag_newest.json"
        data = json.loads(fixture_text(name))
        ids = [s["id"] for s in data]
        headers["Link"] = (f'<{BASE}?max_id={min(ids)}>; rel="next", <{BASE}?min_id={max(ids)}>; rel="prev"')
        return httpx.Response(200, text=json.dumps(data), headers=headers)

    return handler


def test_parse_statuses_fields(campaigns):
    data = json.loads(fixture_text("mastodon_tag_newest.json"))
    parsed = parse_statuses(data, source="mastodon:mastodon.social", campaigns=campaigns)
    p = parsed.posts[0]
    assert p.native_id == "1009" and p.author == "warga@mastodon.social" and p.lang == "id"
    assert p.text.startswith("Status 1009 soal #VaksinHalal & harga beras\nlihat")
    assert p.hashtags == ["vaksinhalal"] and p.links == ["https://www.antaranews.com/berita/4084009"]
    assert (p.engagement.likes, p.engagement.reposts, p.engagement.replies) == (2, 1, 0)
    assert p.url == "https://mastodon.social/@warga/1009"
    assert set(p.campaigns) == {"vaksin", "beras"}


def test_link_header():
    links = parse_link_header('<https://m.s/api?max_id=1>; rel="next", <https://m.s/api?min_id=9>; rel="prev"')
    assert links == {"next": "https://m.s/api?max_id=1", "prev": "https://m.s/api?min_id=9"}


def test_first_run_backfills_via_link_next(make_http, campaigns):
    reqs = []
    c = MastodonCollector(instance="mastodon.social", tags=["#VaksinHalal"], campaigns=campaigns,
                          http=make_http(masto_handler(reqs)), backfill_pages=2, limit=5)
    batches = list(c.collect(None))
    assert [[p.native_id for p in b.posts] for b in batches] == [
        ["1000", "1001", "1002", "1003", "1004"], ["1005", "1006", "1007", "1008", "1009"]]
    assert [b.cursor["tags"]["vaksinhalal"] for b in batches] == ["1004", "1009"]
    assert reqs[1].url.params["max_id"] == "1005"


def test_catch_up_with_min_id_pages_and_quarantine(make_http, campaigns):
    reqs = []
    c = MastodonCollector(instance="https://mastodon.social", tags=["vaksinhalal"], campaigns=campaigns,
                          http=make_http(masto_handler(reqs)), limit=5)
    batches = list(c.collect({"tags": {"vaksinhalal": "1009"}}))
    ids = [p.native_id for b in batches for p in b.posts]
    assert ids == ["1010", "1011", "1012", "1013", "1014", "1017"]
    rejects = [r for b in batches for r in b.rejects]
    assert len(rejects) == 2 and {"empty text", "missing or unparseable date"} == {r.reason for r in rejects}
    assert batches[-1].cursor == {"tags": {"vaksinhalal": "1017"}}
    assert [r.url.params.get("min_id") for r in reqs] == ["1009", "1014"]  # 2nd page short → stop


def test_rate_limit_headers_and_429(make_http, campaigns, fake_time):
    reqs = []
    c = MastodonCollector(instance="mastodon.social", tags=["vaksinhalal"], campaigns=campaigns,
                          http=make_http(masto_handler(reqs, ratelimit_remaining="0", fail_first_429=True)), limit=5)
    list(c.collect(None))
    assert 3.0 in fake_time.sleeps  # Retry-After on the 429
    assert 900.0 in fake_time.sleeps  # waited for X-RateLimit-Reset (far future → capped at 15 min)


def test_tags_derived_from_campaigns(campaigns):
    from collectors.config import build_collectors
    (c,) = build_collectors([{"type": "mastodon", "instance": "mastodon.social"}], campaigns, http=None)
    assert c.tags == ["vaksinhalal", "berasaman"] and c.name == "mastodon:mastodon.social"
