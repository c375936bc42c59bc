"""X API v2 collectors replaying recorded answers (tweepy cassettes, python-twitter testdata: see PROVENANCE.md)
from a loopback server, through the real HttpClient."""
import json
import sqlite3
import time
from datetime import datetime, timezone

import pytest

from collectors.http import HttpClient
from collectors.scheduler import run, run_collector
from tests.factories import source_state
from collectors.x import (EXPANSIONS, XApiError, XSearchCollector, XStreamCollector, campaign_query, campaign_rules,
                          parse_tweets, x_lang)
from core.quarantine import Quarantine
from tests.collectors.conftest import FIXTURES, fixture_text
from tests.collectors.loopback import loopback

TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecretXbearer%2Fvalue"
RECENT_FIELDS = {"created_at", "lang", "public_metrics", "entities", "conversation_id", "referenced_tweets"}


def recorded(name):
    """A tweepy cassette response: status, its real x-rate-limit-* headers, body."""
    rec = json.loads(fixture_text(name))
    return rec["status"], rec["headers"], rec["body"]


def page(name, **headers):
    return 200, {"content-type": "application/json; charset=utf-8", **headers}, fixture_text(name)


def make_http(fake_time):
    return HttpClient(host_delay=0.0, sleep=fake_time.sleep, clock=fake_time.clock)


# --- parsing ------------------------------------------------------------------------------------------

def test_authors_replies_and_entities_from_expansions(campaigns):
    parsed = parse_tweets(fixture_text("x_search_expansions.json"), source="x:search", campaigns=campaigns)
    assert len(parsed.posts) == 4 and not parsed.rejects
    first = parsed.posts[0]
    assert first.native_id == "1276035977375477760" and first.author == "@happycamper"
    assert first.url == "https://x.com/happycamper/status/1276035977375477760"
    assert first.created_at == datetime(2020, 6, 25, 6, 14, 19, tzinfo=timezone.utc)
    assert first.links == []  # the only URL is a pic.twitter.com media permalink
    assert first.raw["reply_to"] == {"id": "1275653067283759104", "author": "@snowman",
                                     "url": "https://x.com/snowman/status/1275653067283759104"}
    assert parsed.posts[2].lang is None  # X's "und"


def test_indonesian_page_lang_retweet_quote_and_quarantine(campaigns):
    parsed = parse_tweets(fixture_text("x_search_indonesian.json"), source="x:search", campaigns=campaigns)
    by_id = {p.native_id: p for p in parsed.posts}
    original, rt, quote = by_id["1800000000000000010"], by_id["1800000000000000011"], by_id["1800000000000000012"]
    assert original.lang == rt.lang == quote.lang == "id" and x_lang("in") == "id" and x_lang("en") == "en"
    assert by_id["1800000000000000014"].lang is None  # und
    # a retweet is linked to its original and analysed with the original's full (not 140-cut) text
    assert rt.raw["retweet_of"] == {"id": "1800000000000000010", "author": "@warga_jkt",
                                    "url": "https://x.com/warga_jkt/status/1800000000000000010"}
    assert rt.author == "@pembaca_setia" and rt.text == original.text and "…" not in rt.text
    assert rt.hashtags == ["vaksinhalal"] and rt.links == ["https://www.antaranews.com/berita/4084009"]
    assert rt.campaigns == ["vaksin"]
    assert quote.raw["quote_of"]["author"] == "@kompascom" and quote.raw["retweet_of"] is None
    assert quote.campaigns == ["beras"] and quote.engagement.views == 75
    assert (original.engagement.likes, original.engagement.reposts, original.engagement.replies) == (40, 12, 3)
    assert [r.payload["id"] for r in parsed.rejects] == ["1800000000000000013"]
    assert "date" in parsed.rejects[0].reason
    assert parsed.extra["ids"][1] == "1800000000000000013"  # seen, so the cursor moves past it


def test_recorded_tweets_without_created_at_get_their_snowflake_instant(campaigns):
    _, _, body = recorded("x_recent_tweepy.json")
    posts = parse_tweets(body, source="x:search", campaigns=campaigns).posts
    assert len(posts) == 10
    for p in posts:  # tweepy's test account posts its own timestamp: "2022-10-07 22:42:12.637103 tweepy"
        written = datetime.strptime(p.text[:26], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
        assert 0 <= (p.created_at - written).total_seconds() < 1.0
        assert p.author is None and p.url == f"https://x.com/i/web/status/{p.native_id}"


def test_campaign_query_and_rules(campaigns):
    assert campaign_query(campaigns[0]) == '("vaksin halal" OR #vaksinhalal)'
    assert campaign_query(campaigns[1]) == "(beras OR #berasaman OR from:kompascom)"
    assert campaign_rules(campaigns, "lang:in")[1] == {"value": "(beras OR #berasaman OR from:kompascom) lang:in",
                                                       "tag": "narrawatch:beras"}


# --- search over loopback -----------------------------------------------------------------------------

def search_server(seen_since):
    """First run: tweepy's recorded page (next_token) then python-twitter's NYC page; a run with since_id gets the
    Indonesian page (next_token) then an empty last page."""
    tweepy_next = json.loads(recorded("x_recent_tweepy.json")[2])["meta"]["next_token"]

    def respond(req):
        assert req.headers["authorization"] == f"Bearer {TOKEN}"
        q = req.query
        if q.get("since_id"):
            seen_since.append(q["since_id"])
            if q.get("pagination_token"):
                return page("x_rules_delete.json")  # {"meta": ...}: no data, no next_token
            return page("x_search_indonesian.json")
        if q.get("pagination_token") == tweepy_next:
            return page("x_search_retweets.json")
        status, headers, body = recorded("x_recent_tweepy.json")
        return status, headers, body
    return respond


def test_recent_search_pages_next_token_then_since_id(fake_time, campaigns):
    since = []
    with loopback(search_server(since)) as srv:
        c = XSearchCollector(queries=["(beras OR #berasaman)"], bearer_token=TOKEN, campaigns=campaigns,
                             http=make_http(fake_time), api_url=srv.url, backfill_pages=2)
        first = list(c.collect(None))
        req = srv.requests[0]
        assert req.path == "/2/tweets/search/recent" and req.query["query"] == "(beras OR #berasaman)"
        assert set(req.query["tweet.fields"].split(",")) >= RECENT_FIELDS
        assert "author_id" in req.query["expansions"].split(",") and req.query["expansions"] == EXPANSIONS
        assert srv.requests[1].query["pagination_token"] == "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"
        ids = [p.native_id for b in first for p in b.posts]
        assert len(ids) == 20 and ids == sorted(ids, key=int)  # emitted oldest → newest
        newest = first[-1].cursor["queries"]["(beras OR #berasaman)"]
        assert newest == {"since_id": "1578516068309794817"}
        retweets = [p for b in first for p in b.posts if p.raw["retweet_of"]]
        assert len(retweets) == 7 and retweets[0].raw["retweet_of"]["id"]  # NYC page: retweeted/quoted refs

        again = list(c.collect(first[-1].cursor))
        assert since == ["1578516068309794817", "1578516068309794817"]  # both pages of the catch-up ask since_id
        assert [p.native_id for b in again for p in b.posts] == [
            "1800000000000000010", "1800000000000000011", "1800000000000000012", "1800000000000000014"]
        assert again[-1].cursor["queries"]["(beras OR #berasaman)"] == {"since_id": "1800000000000000014"}


def test_backlog_beyond_max_pages_is_fetched_next_round_not_skipped(fake_time, campaigns):
    def respond(req):
        return page("x_search_indonesian.json")  # always a next_token: a backlog bigger than max_pages

    with loopback(respond) as srv:
        c = XSearchCollector(queries=["q"], bearer_token=TOKEN, campaigns=campaigns, http=make_http(fake_time),
                             api_url=srv.url, max_pages=2)
        batches = list(c.collect({"queries": {"q": {"since_id": "1700000000000000000"}}}))
        gap = batches[-1].cursor["queries"]["q"]
        assert gap == {"since_id": "1700000000000000000", "until_id": "1800000000000000010",
                       "high": "1800000000000000014"}
        list(c.collect(batches[-1].cursor))
        assert srv.requests[-1].query["since_id"] == "1700000000000000000"
        assert srv.requests[-1].query["until_id"] == "1800000000000000010"


def test_rate_limit_headers_are_honoured(fake_time, campaigns):
    reset = int(time.time()) + 40

    def respond(req):
        if req.n == 0:  # X's 429: no Retry-After, only the window's reset instant
            return 429, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset),
                         "content-type": "application/json"}, '{"title":"Too Many Requests","status":429}'
        status, headers, body = recorded("x_recent_tweepy.json")
        return status, {**headers, "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}, body

    with loopback(respond) as srv:
        c = XSearchCollector(queries=["tweepy"], bearer_token=TOKEN, campaigns=campaigns, http=make_http(fake_time),
                             api_url=srv.url)
        posts = [p for b in c.collect(None) for p in b.posts]
    assert len(posts) == 10 and len(srv.requests) == 2
    waits = [s for s in fake_time.sleeps if s > 0]
    assert len(waits) == 1 and 30 < waits[0] <= 41, waits  # after the 429 X sends at once
    # the window is spent after the last answer: no sleep here, the source comes back at the reset
    assert abs(c.not_before - reset) <= 1


def test_a_spent_window_ends_the_run_and_the_scheduler_waits_for_the_reset(fake_time, campaigns, tmp_path):
    reset = int(time.time()) + 600

    def respond(req):
        status, headers, body = recorded("x_recent_tweepy.json")
        return status, {**headers, "x-rate-limit-remaining": "1", "x-rate-limit-reset": str(reset)}, body

    with loopback(respond) as srv:
        c = XSearchCollector(queries=["a", "b"], bearer_token=TOKEN, campaigns=campaigns, http=make_http(fake_time),
                             api_url=srv.url)
        state = source_state(tmp_path)
        result = run_collector(c, state=state, quarantine=Quarantine(tmp_path / "q.jsonl"), sink=lambda p: None,
                               claim_sink=None)
    assert result["ok"] and [r.query["query"] for r in srv.requests] == ["a"]  # "b" waits for the reset
    assert [s for s in fake_time.sleeps if s > 0] == []  # nothing slept through the window
    assert abs(state.get(c.name)["next_run_at"] - reset) <= 1


def test_full_archive_endpoint_and_plan_error(fake_time, campaigns):
    def respond(req):
        if req.query.get("query") == "denied":
            return 403, {"content-type": "application/problem+json"}, json.dumps({
                "client_id": "1", "required_enrollment": "Appropriate Level of API Access",
                "registration_url": "https://developer.x.com",
                "title": "Client Forbidden", "detail": "This request must be made using an approved developer account "
                "that is enrolled in the requested endpoint.", "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden"})
        return recorded("x_all_tweepy.json")

    with loopback(respond) as srv:
        c = XSearchCollector(queries=["Tweepy"], bearer_token=TOKEN, campaigns=campaigns, http=make_http(fake_time),
                             api_url=srv.url, archive=True, start_time="2022-10-01T00:00:00Z", max_results=500)
        batches = list(c.collect(None))
        assert srv.requests[0].path == "/2/tweets/search/all" and srv.requests[0].query["max_results"] == "500"
        assert srv.requests[0].query["start_time"] == "2022-10-01T00:00:00Z"
        assert batches[-1].cursor["queries"]["Tweepy"] == {"since_id": "1578520094778740736"}
        denied = XSearchCollector(queries=["denied"], bearer_token=TOKEN, campaigns=campaigns, archive=True,
                                  http=make_http(fake_time), api_url=srv.url)
        with pytest.raises(XApiError, match="client-not-enrolled"):
            list(denied.collect(None))
    with pytest.raises(XApiError, match="no X bearer token"):
        list(XSearchCollector(queries=["q"], bearer_token=None, campaigns=campaigns, http=make_http(fake_time)).collect(None))


def test_scheduler_quarantines_and_keeps_cursor_until_sink_accepts(tmp_path, fake_time, campaigns, caplog):
    with loopback(lambda req: page("x_search_indonesian.json")) as srv:
        c = XSearchCollector(queries=["q"], bearer_token=TOKEN, campaigns=campaigns, http=make_http(fake_time),
                             api_url=srv.url)
        state, quarantine = source_state(tmp_path), Quarantine(tmp_path / "q.jsonl")

        def broken(posts):
            raise RuntimeError("store down")
        res = run_collector(c, state=state, quarantine=quarantine, sink=broken, claim_sink=None)
        assert not res["ok"] and state.cursor("x:search") is None  # not accepted → cursor not advanced
        got = []
        res = run_collector(c, state=state, quarantine=quarantine, sink=got.extend, claim_sink=None)
        assert res["ok"] and len(got) == 4
        assert state.cursor("x:search") == {"queries": {"q": {"since_id": "1800000000000000014"}}}
        state.close()
    quarantined = [json.loads(ln) for ln in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert any(q["payload"]["id"] == "1800000000000000013" for q in quarantined)


def test_bearer_token_not_in_logs_or_source_health(tmp_path, fake_time, caplog):
    caplog.set_level("DEBUG")
    with loopback(lambda req: (401, {"content-type": "application/json"},
                               json.dumps({"title": "Unauthorized", "type": "about:blank", "status": 401,
                                           "detail": "Unauthorized"}))) as srv:
        c = XSearchCollector(queries=["q"], bearer_token=TOKEN, campaigns=[], http=make_http(fake_time), api_url=srv.url)
        run([c], [], sink=lambda posts: None, state=source_state(tmp_path), quarantine_path=tmp_path / "q.jsonl", once=True)
    with sqlite3.connect(tmp_path / "state.db") as db:  # what the store keeps, as written on disk
        health = json.dumps(db.execute("SELECT * FROM doc_sources").fetchall())
    assert "401" in health and TOKEN not in health and TOKEN not in caplog.text


# --- filtered stream ------------------------------------------------------------------------------------

def stream_lines():
    return (FIXTURES / "x_stream.jsonl").read_bytes().decode("utf-8").split("\r\n")[:-1]  # keep X's \r\n


def test_stream_rules_sync_and_reconnects(fake_time, campaigns):
    lines = stream_lines()
    reset = int(time.time()) + 150  # not X's 60 s default: the wait must come from the header
    connections = []

    def respond(req):
        if req.path == "/2/tweets/search/stream/rules":
            if req.method == "GET":  # python-twitter's copy of X's GET rules example, plus one of ours gone stale
                rules = json.loads(fixture_text("x_rules_get.json"))
                rules["data"].append({"id": "1165037377523306499", "value": "old rule", "tag": "narrawatch:old"})
                rules["data"].append({"id": "1165037377523306500", "value": "(beras OR #berasaman OR from:kompascom)",
                                      "tag": "narrawatch:beras"})
                return 200, {"content-type": "application/json"}, json.dumps(rules)
            return page("x_rules_delete.json" if "delete" in req.body else "x_rules_post.json")
        connections.append(req)
        n = len(connections)
        if n == 1:  # two tweets, a keep-alive, a truncated line, then the server hangs up
            return 200, {"content-type": "application/json"}, [ln + "\r\n" for ln in lines[:4]]
        if n == 2:
            return 429, {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset),
                         "content-type": "application/json"}, json.dumps({
                             "title": "ConnectionException",
                             "detail": "This stream is currently at the maximum allowed connection limit."})
        return 200, {"content-type": "application/json"}, [ln + "\r\n" for ln in lines[4:]]

    with loopback(respond) as srv:
        c = XStreamCollector(campaigns=campaigns, bearer_token=TOKEN, http=make_http(fake_time), api_url=srv.url,
                             max_connections=3, max_seconds=3600)
        batches = list(c.collect(None))
        posts = [p for b in batches for p in b.posts]
        rejects = [r.reason for b in batches for r in b.rejects]
        rule_calls = [r for r in srv.requests if r.path.endswith("/rules")]
    assert [r.method for r in rule_calls] == ["GET", "POST", "POST"]
    assert rule_calls[1].body == {"delete": {"ids": ["1165037377523306499"]}}  # others' rules are left alone
    assert rule_calls[2].body == {"add": [{"value": '("vaksin halal" OR #vaksinhalal)', "tag": "narrawatch:vaksin"}]}
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in srv.requests)
    assert connections[0].query["expansions"] == EXPANSIONS
    assert [p.native_id for p in posts] == ["1800000000000000020", "1800000000000000021", "1800000000000000022"]
    assert posts[1].raw["retweet_of"]["author"] == "@warga_jkt" and posts[1].author == "@pembaca_setia"
    assert posts[0].lang == "id" and posts[0].raw["matching_rules"][0]["tag"] == "narrawatch:vaksin"
    assert any("invalid JSON" in r for r in rejects) and any("operational-disconnect" in r for r in rejects)
    assert len(connections) == 3 and batches[-1].cursor == {"last_id": "1800000000000000022"}
    waits = [s for s in fake_time.sleeps if s > 0]
    assert waits[0] == 0.25  # the server hung up: linear network back-off
    assert 140 < waits[1] <= 151  # 429: wait for x-rate-limit-reset


def test_a_hang_up_storm_spends_no_more_connections_than_x_allows(fake_time, campaigns, tmp_path):
    """X allows 50 connection attempts per 15 min (3 here): then the round ends and the stream waits for a free one."""
    def respond(req):
        if req.path.endswith("/rules"):
            return 200, {"content-type": "application/json"}, json.dumps({"meta": {"sent": "2024-06-10T00:00:00.000Z"}})
        return 200, {"content-type": "application/json"}, ["\r\n"]  # a keep-alive, then the server hangs up

    now = 1_800_000_000.0
    with loopback(respond) as srv:
        c = XStreamCollector(campaigns=campaigns, bearer_token=TOKEN, http=make_http(fake_time), api_url=srv.url,
                             max_connections=20, max_seconds=3600, connections_per_15min=3, clock=lambda: now)
        state = source_state(tmp_path)
        result = run_collector(c, state=state, quarantine=Quarantine(tmp_path / "q.jsonl"), sink=lambda p: None,
                               claim_sink=None, clock=lambda: now)
        streams = [r for r in srv.requests if r.path.endswith("/stream")]
    assert result["ok"] and len(streams) == 3
    row = state.get(c.name)
    assert row["next_run_at"] == now + 900 and row["quota"]["usage"]["connections"]["used"] == 3


def test_stream_auth_error_fails_the_source(fake_time, campaigns):
    def respond(req):
        if req.path.endswith("/rules"):
            return 200, {"content-type": "application/json"}, json.dumps(
                {"data": [{"id": "1", "value": '("vaksin halal" OR #vaksinhalal)', "tag": "narrawatch:vaksin"},
                          {"id": "2", "value": "(beras OR #berasaman OR from:kompascom)", "tag": "narrawatch:beras"}],
                 "meta": {"sent": "2024-06-10T00:00:00.000Z"}})
        return 403, {"content-type": "application/json"}, json.dumps({"title": "Client Forbidden",
                                                                      "reason": "client-not-enrolled"})

    with loopback(respond) as srv:
        c = XStreamCollector(campaigns=campaigns, bearer_token=TOKEN, http=make_http(fake_time), api_url=srv.url)
        with pytest.raises(XApiError, match="403.*client-not-enrolled"):
            list(c.collect(None))
        assert [r.method for r in srv.requests] == ["GET", "GET"]  # rules already in sync: no POST


def test_stream_server_errors_back_off_exponentially(fake_time, campaigns):
    lines = stream_lines()

    def respond(req):
        if req.path.endswith("/rules"):
            return 200, {"content-type": "application/json"}, json.dumps({"meta": {"sent": "2024-06-10T00:00:00.000Z"}})
        if req.n <= 4:  # GET rules, POST add, then three 503s
            return 503, {"content-type": "application/json"}, '{"title": "Service Unavailable"}'
        return 200, {"content-type": "application/json"}, [ln + "\r\n" for ln in lines[:1]]

    with loopback(respond) as srv:
        c = XStreamCollector(campaigns=campaigns, bearer_token=TOKEN, http=make_http(fake_time), api_url=srv.url,
                             max_connections=4, max_seconds=3600)
        posts = [p for b in c.collect(None) for p in b.posts]
    assert [p.native_id for p in posts] == ["1800000000000000020"]
    assert [s for s in fake_time.sleeps if s > 0] == [5.0, 10.0, 20.0, 0.25]  # 5 s doubling, then a hang-up
