"""TikTok Research API collector, replayed over loopback HTTP through the real HttpClient: the API reference's own
example answers and reference-shaped Indonesian pages (see PROVENANCE.md)."""
import json
from datetime import datetime, timezone

from collectors.config import build_collectors
from collectors.http import HttpClient
from collectors.scheduler import run_collector
from tests.factories import source_state
from collectors.tiktok import TiktokCollector, campaign_query, parse_comments, parse_videos
from core.quarantine import Quarantine
from tests.collectors.conftest import fixture_text
from tests.collectors.loopback import loopback

JSON = {"content-type": "application/json; charset=UTF-8"}
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc).timestamp()
TOKEN = {"access_token": "clt.example12345Example12345Example", "expires_in": 7200, "token_type": "Bearer"}


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def api(videos=("tiktok_videos_id_p1.json", "tiktok_videos_id_p2.json"), on_query=None, tokens=None):
    """The Research API: token, video pages by cursor, comments. `on_query(req)` may answer instead."""
    issued = tokens if tokens is not None else []

    def respond(req):
        if req.path == "/v2/oauth/token/":
            issued.append(req.body)
            return 200, JSON, json.dumps({**TOKEN, "access_token": f"clt.token{len(issued)}"})
        assert req.headers["authorization"] == f"Bearer clt.token{len(issued)}"
        if req.path == "/v2/research/video/query/":
            if on_query is not None and (answer := on_query(req)) is not None:
                return answer
            return 200, JSON, fixture_text(videos[1] if (req.body or {}).get("cursor") else videos[0])
        if req.path == "/v2/research/video/comment/list/":
            return 200, JSON, fixture_text("tiktok_comments_id.json")
        return 404, JSON, "{}"
    return respond


def collector(srv, campaigns, clock, **kw):
    http = HttpClient(host_delay=0.0, sleep=lambda s: None)
    return TiktokCollector(queries=[campaign_query(["vaksin halal", "beras"], ["#BerasAman"], "ID")],
                           client_key="ck", client_secret="cs", campaigns=campaigns, http=http, clock=clock,
                           api_url=srv.url, **kw)


def run(c, tmp_path, sink=None):
    state = source_state(tmp_path)
    stored = []
    result = run_collector(c, state=state, quarantine=Quarantine(tmp_path / "q.jsonl"), sink=sink or stored.extend,
                           claim_sink=None, clock=c.clock)
    return result, state, stored


def test_recorded_reference_examples_parse(campaigns):
    videos = parse_videos(fixture_text("tiktok_videos_reference.json"), source="tiktok:research", campaigns=campaigns)
    assert [p.native_id for p in videos.posts] == ["702874395068494965"]  # `video_id`, as the 2023 reference
    v = videos.posts[0]
    assert v.text == "lol #pov #avengers" and v.hashtags == ["avengers", "pov"] and v.engagement.views == 1050
    assert v.created_at == datetime(2021, 10, 9, 23, 59, 59, tzinfo=timezone.utc) and v.platform == "tiktok"
    assert videos.extra["has_more"] and videos.extra["cursor"] == 100 and videos.extra["search_id"] == "7201388525814961198"
    comments = parse_comments(fixture_text("tiktok_comments_reference.json"), source="s", campaigns=campaigns)
    c = comments.posts[0]
    assert (c.native_id, c.text, c.engagement.likes, c.engagement.replies) == ("12345616934634134", "AWEEEEEE 🥰🥰🥰", 50, 10)
    assert comments.extra["cursor"] == 300 and comments.extra["has_more"]


def test_query_pages_by_search_id_then_reads_comments(campaigns, tmp_path):
    clock = Clock()
    tokens = []
    with loopback(api(tokens=tokens)) as srv:
        result, state, stored = run(collector(srv, campaigns, clock), tmp_path)
        queries = [r for r in srv.requests if r.path.endswith("/video/query/")]
        comments = [r for r in srv.requests if r.path.endswith("/comment/list/")]
    assert result["ok"], result["error"]
    assert tokens == [{"client_key": "ck", "client_secret": "cs", "grant_type": "client_credentials"}]
    first = queries[0].body
    assert first["query"]["and"] == [{"operation": "IN", "field_name": "region_code", "field_values": ["ID"]}]
    assert {o["field_name"]: o["field_values"] for o in first["query"]["or"]} == {
        "keyword": ["vaksin halal", "beras"], "hashtag_name": ["berasaman"]}
    assert (first["start_date"], first["end_date"], first["max_count"]) == ("20261124", "20261201", 100)
    assert "voice_to_text" in queries[0].query["fields"] and "search_id" not in first
    assert (queries[1].body["search_id"], queries[1].body["cursor"]) == ("7443101234567890123", 3)
    # comments only for the videos that have some, by video id
    assert sorted(r.body["video_id"] for r in comments) == [7443100000000000001, 7443100000000000004]
    ids = [p.native_id for p in stored]
    assert ids[:3] == ["7443100000000000001", "7443100000000000002", "7443100000000000004"]
    kemenkes = stored[0]
    assert kemenkes.author == "@kemenkes_ri" and kemenkes.url == "https://www.tiktok.com/@kemenkes_ri/video/7443100000000000001"
    assert kemenkes.text.endswith("vaksin ini halal dan aman untuk anak") and kemenkes.campaigns == ["vaksin"]
    row = state.get("tiktok:research")
    assert row["cursor"]["queries"][json.dumps(first["query"], sort_keys=True)] == {"since": "20261201"}
    # a video with no text and an empty comment are counted, the dateless video quarantined
    assert row["skipped"] == {"video without description or speech": 1, "empty comment": 2}
    assert [json.loads(l)["reason"] for l in (tmp_path / "q.jsonl").read_text().splitlines()] == [
        "missing or unparseable date"]
    assert row["quota"]["usage"]["requests"] == {"used": 4, "limit": 1000, "per": "utc-day"}
    assert row["quota"]["usage"]["records"]["used"] == 3 + 2 + 2 * 2


def test_a_run_killed_between_pages_resumes_on_the_next_page(campaigns, tmp_path):
    """The cursor moves only with an accepted batch: the sink fails on page 2, the next run asks for page 2."""
    clock = Clock()
    with loopback(api()) as srv:
        c = collector(srv, campaigns, clock, comment_videos=0)
        calls = []

        def flaky(posts):
            calls.append(posts)
            if len(calls) == 2:
                raise OSError("store down")
        result, state, _ = run(c, tmp_path, sink=flaky)
        assert not result["ok"]
        stored = []
        result, state, _ = run(c, tmp_path, sink=stored.extend)
        queries = [r.body for r in srv.requests if r.path.endswith("/video/query/")]
    assert result["ok"]
    assert [q.get("cursor") for q in queries] == [None, 3, 3]  # resumed with the saved search_id + cursor
    assert queries[2]["search_id"] == "7443101234567890123" and queries[2]["start_date"] == "20261124"
    assert [p.native_id for p in stored] == ["7443100000000000004"]


def test_daily_request_quota_is_kept_across_runs_and_restarts(campaigns, tmp_path):
    clock = Clock()
    with loopback(api()) as srv:
        # 3 requests a day: the first run spends them all (2 video pages + 1 comment page), then stops
        result, state, _ = run(collector(srv, campaigns, clock, daily_requests=3), tmp_path)
        assert not result["ok"] and "requests quota spent (3 of 3 per UTC day)" in result["error"]
        midnight = datetime(2026, 12, 2, tzinfo=timezone.utc).timestamp()
        assert state.get("tiktok:research")["next_run_at"] == midnight
        # a restarted worker (new collector object) knows the day is spent: it sends nothing
        clock.now += 3600
        result, state, _ = run(collector(srv, campaigns, clock, daily_requests=3), tmp_path)
        assert not result["ok"] and len([r for r in srv.requests if "/research/" in r.path]) == 3
        # the next UTC day has a fresh quota
        clock.now = midnight + 60
        result, state, _ = run(collector(srv, campaigns, clock, daily_requests=3), tmp_path)
        assert len([r for r in srv.requests if "/research/" in r.path]) == 6


def test_daily_quota_answer_waits_for_the_next_utc_day_without_retrying(campaigns, tmp_path):
    clock = Clock()
    quota = lambda req: (429, JSON, fixture_text("tiktok_quota_exceeded.json"))
    with loopback(api(on_query=quota)) as srv:
        result, state, _ = run(collector(srv, campaigns, clock), tmp_path)
        sent = [r for r in srv.requests if "/research/" in r.path]
    assert len(sent) == 1  # a quota 429 is not retried
    assert "daily_quota_limit_exceeded" in result["error"] and "2026-12-02 00:00 UTC" in result["error"]
    row = state.get("tiktok:research")
    assert row["next_run_at"] == datetime(2026, 12, 2, tzinfo=timezone.utc).timestamp()
    assert row["quota"]["usage"]["requests"]["used"] == 1000


def test_token_is_renewed_when_it_expires_or_is_refused(campaigns, tmp_path):
    clock = Clock()
    tokens, refused = [], []

    def refuse_second_token_once(req):
        if len(tokens) == 2 and not refused:
            refused.append(req)
            return 401, JSON, fixture_text("tiktok_token_invalid.json")
        return None
    with loopback(api(on_query=refuse_second_token_once, tokens=tokens)) as srv:
        c = collector(srv, campaigns, clock, comment_videos=0, max_pages=1)
        list(c.collect(None))
        list(c.collect(None))
        assert len(tokens) == 1  # still valid: reused
        clock.now += 7200  # expired: a new token before the next request...
        batches = list(c.collect(None))
    assert len(refused) == 1 and len(tokens) == 3  # ...refused once (access_token_invalid): one more, then on
    assert batches and batches[0].posts


def test_config_builds_one_query_per_campaign(campaigns, monkeypatch):
    monkeypatch.setenv("TIKTOK_CLIENT_KEY", "env-key")
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", "env-secret")
    [c] = build_collectors([{"type": "tiktok"}], campaigns, HttpClient())
    assert (c.client_key, c.client_secret) == ("env-key", "env-secret")
    assert [q["or"] for q in c.queries] == [
        [{"operation": "IN", "field_name": "keyword", "field_values": ["vaksin halal"]},
         {"operation": "IN", "field_name": "hashtag_name", "field_values": ["vaksinhalal"]}],
        [{"operation": "IN", "field_name": "keyword", "field_values": ["beras"]},
         {"operation": "IN", "field_name": "hashtag_name", "field_values": ["berasaman"]}]]
    assert c.quota.limits["requests"].most == 1000 and c.quota.limits["records"].most == 100_000
