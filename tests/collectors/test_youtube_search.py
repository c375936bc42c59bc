"""YouTube search.list → videos by campaign keyword → their comment threads, replayed over loopback from
python-youtube's recorded searchListResponse pages (see PROVENANCE.md) through the real HttpClient."""
import json
from datetime import datetime, timezone

import pytest

from collectors.config import build_collectors
from collectors.http import HttpClient
from collectors.quota import QuotaExhausted
from collectors.scheduler import run_collector
from collectors.youtube import YoutubeApiError, YoutubeSearchCollector, parse_search_results
from core.quarantine import Quarantine
from tests.factories import source_state
from tests.collectors.conftest import fixture_text
from tests.collectors.loopback import loopback

NOW = datetime(2019, 12, 7, tzinfo=timezone.utc)
JSON = {"content-type": "application/json; charset=UTF-8"}


def server(commented="ddYARvl4PgE"):
    def respond(req):
        q = req.query
        assert q["key"] == "k"
        if req.path.endswith("/search"):
            return 200, JSON, fixture_text("youtube_search_p2.json" if q.get("pageToken") == "CBkQAA"
                                           else "youtube_search_p1.json")
        if q["videoId"] != commented:
            return 200, JSON, json.dumps({"kind": "youtube#commentThreadListResponse", "items": []})
        return 200, JSON, fixture_text("youtube_comment_threads_p2.json" if q.get("pageToken")
                                       else "youtube_comment_threads_p1.json")
    return respond


def collector(srv, campaigns, fake_time, **kw):
    http = HttpClient(host_delay=0.0, sleep=fake_time.sleep, clock=fake_time.clock)
    kw = {"search_pages": 2, "max_videos": 2, **kw}
    return YoutubeSearchCollector(queries=["vaksin halal"], api_key="k", campaigns=campaigns, http=http, now=lambda: NOW,
                                  api_url=srv.url + "/youtube/v3/search",
                                  comments_api_url=srv.url + "/youtube/v3/commentThreads", **kw)


def test_parse_search_results_recorded_page(campaigns):
    parsed = parse_search_results(fixture_text("youtube_search_p1.json"), source="youtube:search", campaigns=campaigns)
    assert len(parsed.posts) == 25 and parsed.extra["next"] == "CBkQAA"
    v = parsed.posts[1]
    assert v.native_id == "i2hewkFijuY" and v.title == "SURFING PERFECT PIPE & BACKDOOR || SUNRISE SHACK!"
    assert v.url == "https://www.youtube.com/watch?v=i2hewkFijuY" and v.author == "Koa Rothman"
    assert v.created_at == datetime(2019, 12, 4, 16, 0, 8, tzinfo=timezone.utc) and v.platform == "youtube"
    bad = parse_search_results({"items": [{"id": {"kind": "youtube#channel", "channelId": "UC1"}},
                                          {"id": {"kind": "youtube#video"}, "snippet": {}}]}, source="s", campaigns=[])
    assert bad.posts == [] and len(bad.rejects) == 1  # a channel is skipped, a video without id quarantined


def test_search_videos_then_their_comment_threads(fake_time, campaigns):
    with loopback(server()) as srv:
        c = collector(srv, campaigns, fake_time)
        batches = list(c.collect(None))
        searches = [r for r in srv.requests if r.path.endswith("/search")]
        comments = [r for r in srv.requests if r.path.endswith("/commentThreads")]
    first = searches[0].query
    assert (first["regionCode"], first["relevanceLanguage"], first["type"], first["order"], first["q"]) == (
        "ID", "id", "video", "date", "vaksin halal")
    assert first["publishedAfter"] == "2019-11-30T00:00:00Z" and searches[1].query["pageToken"] == "CBkQAA"
    videos = batches[0].posts
    assert len(videos) == 49  # 25 + 25 recorded, one video on both pages kept once
    assert [v.native_id for v in videos][-2:] == ["_Z56nIAQj7Q", "ddYARvl4PgE"]  # oldest → newest
    # the two newest videos of the last 7 days are watched; the one with comments yields them
    assert sorted({r.query["videoId"] for r in comments}) == ["_Z56nIAQj7Q", "ddYARvl4PgE"]
    threads = [p for b in batches[1:] for p in b.posts]
    assert [p.native_id for p in threads] == ["UgzAAA001", "UgzAAA002", "UgzAAA003"]
    assert threads[-1].source == "youtube:search" and threads[-1].campaigns == ["vaksin"]
    cursor = batches[-1].cursor
    assert cursor["queries"] == {"vaksin halal": "2019-12-06T08:25:39Z"}
    assert set(cursor["watch"]) == {"_Z56nIAQj7Q", "ddYARvl4PgE"}
    assert cursor["videos"]["ddYARvl4PgE"]["ids"] == ["UgzAAA003"]

    with loopback(server()) as srv:
        again = list(collector(srv, campaigns, fake_time).collect(cursor))
        assert srv.requests[0].query["publishedAfter"] == "2019-12-06T08:25:39Z"
    assert [p.native_id for b in again[1:] for p in b.posts] == []  # comments already read are not re-sent


def test_search_quota_error_waits_for_the_pacific_reset(fake_time, campaigns):
    body = json.dumps({"error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded"}]}})
    clock = lambda: datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc).timestamp()  # 04:00 in Los Angeles
    with loopback(lambda req: (403, JSON, body)) as srv:
        with pytest.raises(QuotaExhausted, match="quotaExceeded") as refused:
            list(collector(srv, campaigns, fake_time, clock=clock).collect(None))
    assert refused.value.retry_at == datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc).timestamp()  # 00:00 PST
    with loopback(lambda req: (403, JSON, json.dumps({"error": {"errors": [{"reason": "forbidden"}]}}))) as srv:
        with pytest.raises(YoutubeApiError, match="forbidden"):
            list(collector(srv, campaigns, fake_time).collect(None))


def test_daily_units_are_counted_before_each_call(fake_time, campaigns, tmp_path):
    """100 units per search, 1 per comment page: with 250 units the third keyword's search is not sent."""
    clock = lambda: datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc).timestamp()
    with loopback(server()) as srv:
        c = collector(srv, campaigns, fake_time, clock=clock, search_pages=1, daily_units=250)
        c.queries = ["vaksin halal", "beras", "bbm"]
        state, stored = source_state(tmp_path), []
        result = run_collector(c, state=state, quarantine=Quarantine(tmp_path / "q.jsonl"), sink=stored.extend,
                               claim_sink=None, clock=clock)
        searches = [r.query["q"] for r in srv.requests if r.path.endswith("/search")]
    assert searches == ["vaksin halal", "beras"] and len(stored) == 2 * 25
    assert "units quota spent (200 of 250 per Pacific day)" in result["error"]
    row = state.get(c.name)
    assert row["next_run_at"] == datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc).timestamp()
    assert row["quota"]["usage"]["units"] == {"used": 200, "limit": 250, "per": "pacific-day"}


def test_config_builds_search_from_campaign_keywords(campaigns, monkeypatch):
    monkeypatch.setenv("YOUTUBE_API_KEY", "from-env")
    monkeypatch.setenv("X_BEARER_TOKEN", "x-from-env")
    built = build_collectors([{"type": "youtube-search"}, {"type": "x", "extra_query": "lang:in"},
                              {"type": "x-stream", "extra_rule": "lang:in"}], campaigns, http=None)
    yt, xs, stream = built
    assert yt.queries == ["vaksin halal", "beras"] and yt.api_key == "from-env" and yt.region_code == "ID"
    assert xs.queries == ['("vaksin halal" OR #vaksinhalal) lang:in', "(beras OR #berasaman OR from:kompascom) lang:in"]
    assert xs.bearer_token == "x-from-env" and stream.rules[0]["tag"] == "narrawatch:vaksin"
