"""Instagram hashtag and Facebook Page collectors (Meta Graph API), replayed over loopback HTTP through the real
HttpClient from python-facebook's recorded Graph answers (see PROVENANCE.md)."""
import json
from datetime import datetime, timezone

from collectors.config import build_collectors
from collectors.graph import FacebookPagesCollector, InstagramHashtagCollector, next_params
from collectors.http import HttpClient
from collectors.scheduler import run_collector
from tests.factories import source_state
from core.quarantine import Quarantine
from tests.collectors.conftest import fixture_text
from tests.collectors.loopback import loopback

JSON = {"content-type": "application/json; charset=UTF-8"}
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def http():
    return HttpClient(host_delay=0.0, sleep=lambda s: None)


def run(c, tmp_path, clock):
    state, stored = source_state(tmp_path), []
    result = run_collector(c, state=state, quarantine=Quarantine(tmp_path / "q.jsonl"), sink=stored.extend,
                           claim_sink=None, clock=clock)
    return result, state.get(c.name), stored


def instagram(headers=None):
    def respond(req):
        assert req.headers["authorization"] == "Bearer tok" and "access_token" not in req.query
        if req.path.endswith("/ig_hashtag_search"):
            return 200, JSON, fixture_text("ig_hashtag_search.json")
        if req.path.endswith("/recent_media") or req.path.endswith("/top_media"):
            page = 2 if req.query.get("after") else 1
            return 200, {**JSON, **(headers or {})}, fixture_text(f"ig_recent_media_p{page}.json")
        return 404, JSON, fixture_text("graph_error_permission.json")
    return respond


def ig(srv, campaigns, clock, **kw):
    return InstagramHashtagCollector(hashtags=kw.pop("hashtags", ["#VaksinHalal"]), user_id="17841406338772941",
                                     access_token="tok", campaigns=campaigns, http=http(), api_url=srv.url,
                                     clock=clock, **kw)


def test_instagram_hashtag_search_then_recent_and_top_media(campaigns, tmp_path):
    clock = Clock()
    with loopback(instagram()) as srv:
        c = ig(srv, campaigns, clock)
        result, row, stored = run(c, tmp_path, clock)
        first = [(r.path, dict(r.query)) for r in srv.requests]
        srv.requests.clear()
        result2, row2, stored2 = run(c, tmp_path, clock)
        second = [r.path for r in srv.requests]
    assert result["ok"], result["error"]
    assert first[0] == ("/v21.0/ig_hashtag_search", {"user_id": "17841406338772941", "q": "vaksinhalal"})
    media = [q for p, q in first if p == "/v21.0/17841562426109234/recent_media"]
    assert media[0]["fields"] == "id,caption,media_type,permalink,timestamp,like_count,comments_count"
    assert media[1]["after"] == "after"  # paging.cursors.after
    assert [p for p, _ in first].count("/v21.0/17841562426109234/top_media") == 2
    # recent pages emitted oldest first; the recorded media with caption, permalink and counts
    recent = stored[:48]
    assert recent == sorted(recent, key=lambda p: (p.created_at, p.native_id))
    quokka = next(p for p in stored if p.native_id == "17842849828991925")
    assert quokka.url == "https://www.instagram.com/p/B8gonCEDBH0/" and quokka.engagement.likes == 2030
    assert quokka.platform == "instagram" and "quokka" in quokka.hashtags
    assert row["skipped"] == {"media without caption": 2} and row["cursor"]["ids"] == {"vaksinhalal": "17841562426109234"}
    # the dateless media, served on both edges, is quarantined once (the quarantine keeps no line twice)
    assert [json.loads(l)["reason"] for l in (tmp_path / "q.jsonl").read_text().splitlines()] == [
        "missing or unparseable date"]
    # second run: the hashtag id is cached, recent_media stops at what was stored
    assert result2["ok"] and "/v21.0/ig_hashtag_search" not in second
    assert second.count("/v21.0/17841562426109234/recent_media") == 1
    assert row2["quota"]["usage"]["hashtags"] == {"used": 1, "limit": 30, "per": "7 days", "distinct": True}
    assert row2["quota"]["usage"]["calls"]["used"] == 5 + 3  # search, 2+2 pages; then 1+2 pages


def test_a_hashtag_beyond_the_weekly_limit_is_refused_with_a_health_error(campaigns, tmp_path):
    clock = Clock()
    searched = []

    def respond(req):
        if req.path.endswith("/ig_hashtag_search"):
            searched.append(req.query["q"])
            return 200, JSON, json.dumps({"data": [{"id": f"178{len(searched):05d}"}]})
        return 200, JSON, json.dumps({"data": [{"id": f"m{req.path}", "caption": "ok #x", "media_type": "IMAGE",
                                                "timestamp": "2026-12-01T07:00:00+0000"}]})
    tags = [f"tag{i:02d}" for i in range(4)]  # Instagram's limit is 30 (the default, see the config test); 3 here
    with loopback(respond) as srv:
        c = ig(srv, campaigns, clock, hashtags=tags, edges=["recent_media"], weekly_hashtags=3)
        result, row, stored = run(c, tmp_path, clock)
        assert searched == tags[:3] and len(stored) == 3  # the ones that fit are collected
        assert not result["ok"] and not row["healthy"]  # unhealthy at once, with the reason
        assert "allows 3 unique hashtags per 7 days: refused #tag03 (4 configured)" in row["last_error"]
        # a restarted worker configured with another new hashtag: still refused (the 3 are in the state DB)
        clock.now += 6 * 86400
        other = ig(srv, campaigns, clock, hashtags=["baru"], edges=["recent_media"], weekly_hashtags=3)
        result, row, _ = run(other, tmp_path, clock)
        assert not result["ok"] and "refused #baru" in row["last_error"] and len(searched) == 3
        # a hashtag already counted costs nothing again
        again = ig(srv, campaigns, clock, hashtags=["tag01"], edges=["recent_media"], weekly_hashtags=3)
        assert run(again, tmp_path, clock)[0]["ok"]
        # 7 days after the first queries a slot is free again
        clock.now += 86400 + 1
        result, row, _ = run(other, tmp_path, clock)
        assert result["ok"] and searched[-1] == "baru"


def facebook():
    def respond(req):
        assert req.headers["authorization"] == "Bearer tok"
        if req.path.endswith("/posts"):
            older = req.query.get("after") or req.query.get("until")  # the recorded page 2 holds the older posts
            return 200, JSON, fixture_text("fb_posts_p2.json" if older else "fb_posts_p1.json")
        if req.path.endswith("/comments"):
            return 200, JSON, fixture_text("fb_comments_p2.json" if req.query.get("after") else "fb_comments_p1.json")
        return 404, JSON, fixture_text("graph_error_permission.json")
    return respond


def test_facebook_page_posts_and_comments(campaigns, tmp_path):
    clock = Clock()
    with loopback(facebook()) as srv:
        c = FacebookPagesCollector(pages=["FacebookforDevelopers"], access_token="tok", campaigns=campaigns,
                                   http=http(), api_url=srv.url, clock=clock, comment_posts=1, comment_pages=2)
        result, row, stored = run(c, tmp_path, clock)
        posts_q = [r.query for r in srv.requests if r.path.endswith("/posts")]
        comment_paths = [r.path for r in srv.requests if r.path.endswith("/comments")]
        srv.requests.clear()
        run(c, tmp_path, clock)
        again = [r.query for r in srv.requests if r.path.endswith("/posts")]
    assert result["ok"], result["error"]
    assert posts_q[0]["fields"].startswith("id,message,created_time,permalink_url") and "since" not in posts_q[0]
    assert posts_q[1]["after"] == "after"
    posts = [p for p in stored if (p.raw or {}).get("kind") == "post"]
    assert len(posts) == 10 and posts == sorted(posts, key=lambda p: p.created_at)
    first = next(p for p in posts if p.native_id == "19292868552_10158349356748553")
    assert (first.engagement.likes, first.engagement.replies, first.engagement.reposts) == (125, 13, 10)
    assert first.url == "https://www.facebook.com/19292868552/posts/10158349356748553/"
    # comments of the newest post, two pages; ids from the permalink when the answer has none
    assert comment_paths == ["/v21.0/19292868552_10158349356748553/comments"] * 2
    comments = [p for p in stored if (p.raw or {}).get("kind") == "comment"]
    assert len(comments) == 15 and comments[0].native_id == "10158407835073553"
    newest = max(int(p.created_at.timestamp()) for p in posts)
    assert row["cursor"]["pages"]["FacebookforDevelopers"] == {"since": newest}
    assert again[0]["since"] == str(newest)


def test_graph_errors_map_to_backoff_or_unhealthy(campaigns, tmp_path):
    clock = Clock()
    answer = {}

    def respond(req):
        return answer["status"], {**JSON, **answer.get("headers", {})}, answer["body"]
    with loopback(respond) as srv:
        def fb():
            return FacebookPagesCollector(pages=["p"], access_token="tok", campaigns=campaigns, http=http(),
                                          api_url=srv.url, clock=clock, comment_posts=0)
        answer.update(status=400, body=fixture_text("graph_error_token.json"))
        result, row, _ = run(fb(), tmp_path / "a", clock)
        assert not row["healthy"] and "access token expired or invalid (code 190" in row["last_error"]
        assert "renew the token" in row["last_error"]
        answer.update(status=403, body=fixture_text("graph_error_rate.json"))
        result, row, _ = run(fb(), tmp_path / "b", clock)
        assert row["healthy"] and "application limit reached (code 4)" in row["last_error"]
        assert row["next_run_at"] == NOW + 3600 and len(srv.requests) == 2  # rate limits are not retried at once
        # Meta's usage header at 96%: this answer is used, the next call waits Meta's estimate
        usage = {"x-business-use-case-usage": json.dumps({"1": [{"type": "pages", "call_count": 96, "total_time": 10,
                                                                 "total_cputime": 5,
                                                                 "estimated_time_to_regain_access": 12}]})}
        answer.update(status=200, body=fixture_text("fb_posts_p2.json"), headers=usage)
        c = FacebookPagesCollector(pages=["p", "q"], access_token="tok", campaigns=campaigns, http=http(),
                                   api_url=srv.url, clock=clock, comment_posts=0)
        result, row, stored = run(c, tmp_path / "c", clock)
        assert len(stored) == 5 and len(srv.requests) == 3 and row["next_run_at"] == NOW + 12 * 60
        assert "paused until" in row["last_error"]


def test_next_page_parameters_never_take_the_host_from_the_answer():
    assert next_params({"cursors": {"after": "A"}, "next": "https://evil.example/x?after=A"}) == {"after": "A"}
    assert next_params({"next": "https://evil.example/v10.0/4/posts?access_token=t&pretty=0&fields=id"
                                "&until=1624385168&__paging_token=P"}) == {"until": "1624385168", "__paging_token": "P"}
    assert next_params({"cursors": {"after": "A"}}) is None  # no `next`: last page


def test_config_builds_graph_collectors(campaigns, monkeypatch):
    monkeypatch.setenv("META_ACCESS_TOKEN", "env-token")
    monkeypatch.setenv("IG_USER_ID", "1784")
    ig_c, fb_c = build_collectors([{"type": "instagram"}, {"type": "facebook", "pages": ["kemenkes"]}], campaigns,
                                  HttpClient())
    assert (ig_c.user_id, ig_c.graph.access_token, ig_c.hashtags) == ("1784", "env-token", ["vaksinhalal", "berasaman"])
    assert ig_c.quota.limits["hashtags"].most == 30 and ig_c.quota.limits["calls"].most == 200
    assert fb_c.pages == ["kemenkes"] and fb_c.graph.access_token == "env-token"


def test_sources_api_shows_the_new_sources_health_skips_and_quota(campaigns, tmp_path):
    from tests.collectors.test_scheduler import _app
    clock = Clock()
    with loopback(instagram()) as srv:
        run(ig(srv, campaigns, clock), tmp_path, clock)
    with loopback(facebook()) as srv:
        run(FacebookPagesCollector(pages=["p"], access_token="tok", campaigns=campaigns, http=http(), api_url=srv.url,
                                   clock=clock, comment_posts=0), tmp_path, clock)
    by = {s["name"]: s for s in _app(tmp_path).get("/sources").json()}
    assert by["instagram:hashtags"]["type"] == "instagram" and by["instagram:hashtags"]["healthy"]
    assert by["instagram:hashtags"]["skipped"] == {"media without caption": 2}
    assert by["instagram:hashtags"]["quota"]["hashtags"] == {"used": 1, "limit": 30, "per": "7 days", "distinct": True}
    assert by["facebook:pages"]["items_collected"] == 10 and by["facebook:pages"]["quota"]["calls"]["used"] == 2


def test_a_facebook_catch_up_larger_than_max_pages_is_finished_next_round(campaigns, tmp_path):
    clock = Clock()
    with loopback(facebook()) as srv:
        c = FacebookPagesCollector(pages=["p"], access_token="tok", campaigns=campaigns, http=http(), api_url=srv.url,
                                   clock=clock, comment_posts=0, max_pages=1)
        state = source_state(tmp_path)
        state.ensure(c.name, c.type)
        state.commit_batch(c.name, {"pages": {"p": {"since": 1600000000}}}, 0)  # an earlier run's cursor
        _, row, stored = run(c, tmp_path, clock)
        oldest = min(int(p.created_at.timestamp()) for p in stored)
        newest = max(int(p.created_at.timestamp()) for p in stored)
        # page 1 of the backlog is stored; (since, oldest) is still to read, before anything newer
        assert row["cursor"]["pages"]["p"] == {"since": 1600000000, "until": oldest, "high": newest}
        srv.requests.clear()
        _, row, _ = run(c, tmp_path, clock)
        asked = srv.requests[0].query
    assert (asked["since"], asked["until"]) == ("1600000000", str(oldest))
    assert row["cursor"]["pages"]["p"]["since"] == newest  # the gap is closed: resume from the newest seen
