import json

import httpx
import pytest

from collectors.bluesky import BlueskyCollector, parse_frame
from collectors.gdelt import GdeltCollector, GdeltError, parse_artlist
from collectors.youtube import YoutubeCollector, parse_comment_threads
from tests.collectors.conftest import FIXTURES, fixture_text


def frames():
    return (FIXTURES / "jetstream_frames.jsonl").read_text(encoding="utf-8").splitlines()


def fake_connect(lines, urls):
    def connect(url):
        urls.append(url)

        async def gen():
            for ln in lines:
                yield ln
        return gen()
    return connect


# --- Bluesky --------------------------------------------------------------------------------------

def test_parse_frame_filters_and_fields(campaigns):
    post, rej, t = parse_frame(frames()[0], source="bluesky:jetstream", campaigns=campaigns, terms=["vaksin halal", "#vaksinhalal"])
    assert rej is None and t == 1714619707000001
    assert post.native_id == "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3kreq6xjzp22a"
    assert post.url == "https://bsky.app/profile/did:plc:eygmaihciaxprqvxpfvl6flk/post/3kreq6xjzp22a"
    assert post.hashtags == ["vaksinhalal"] and post.links == ["https://turnbackhoax.id"] and post.lang == "id"
    assert post.campaigns == ["vaksin"]
    # Japanese post filtered out by langs, like frame filtered by collection
    assert parse_frame(frames()[2], source="s", campaigns=campaigns, terms=["vaksin halal"])[0] is None
    assert parse_frame(frames()[3], source="s", campaigns=campaigns)[0:2] == (None, None)


def test_collector_batches_cursor_and_quarantine(campaigns):
    urls = []
    c = BlueskyCollector(campaigns=campaigns, terms=["vaksin halal", "#vaksinhalal"], connect=fake_connect(frames(), urls),
                         batch_size=2)
    batches = list(c.collect({"time_us": 1714619700000000}))
    posts = [p for b in batches for p in b.posts]
    assert [p.raw["rkey"] for p in posts] == ["3kreq6xjzp22a", "3kreq6xjzp22e", "3kreq6xjzp22g"]
    rejects = [r for b in batches for r in b.rejects]
    assert len(rejects) == 2 and any("invalid JSON" in r.reason for r in rejects)
    assert batches[-1].cursor == {"time_us": 1714619707000009}
    assert "wantedCollections=app.bsky.feed.post" in urls[0] and "cursor=1714619698000000" in urls[0]


def test_campaign_filter_when_no_terms(campaigns):
    c = BlueskyCollector(campaigns=campaigns, terms=[], connect=fake_connect(frames(), []))
    texts = [p.text for b in c.collect(None) for p in b.posts]
    assert "Harga beras naik lagi di pasar" in texts and len(texts) == 4


# --- YouTube --------------------------------------------------------------------------------------

def yt_handler(reqs, disabled=()):
    def handler(request):
        reqs.append(request)
        p = request.url.params
        assert p["key"] == "k" and p["part"] == "snippet"
        if p["videoId"] in disabled:
            return httpx.Response(403, text=fixture_text("youtube_comments_disabled.json"))
        name = "youtube_comment_threads_p2.json" if p.get("pageToken") else "youtube_comment_threads_p1.json"
        return httpx.Response(200, text=fixture_text(name))
    return handler


def test_youtube_pages_cursor_and_resume(make_http, campaigns):
    reqs = []
    c = YoutubeCollector(video_ids=["dQw4w9WgXcQ", "closed"], api_key="k", campaigns=campaigns,
                         http=make_http(yt_handler(reqs, disabled={"closed"})))
    batches = list(c.collect(None))
    posts = [p for b in batches for p in b.posts]
    assert [p.native_id for p in posts] == ["UgzAAA001", "UgzAAA002", "UgzAAA003"]
    top = posts[-1]
    assert top.engagement.likes == 12 and top.engagement.replies == 3 and top.author == "@warga003"
    assert top.text == "Vaksin halal itu hoaks chip? & bohong" and top.campaigns == ["vaksin"]
    assert top.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzAAA003"
    reasons = [r.reason for b in batches for r in b.rejects]
    assert any("commentsDisabled" in r for r in reasons) and any("date" in r for r in reasons)
    cursor = batches[0].cursor
    assert cursor["videos"]["dQw4w9WgXcQ"]["ids"] == ["UgzAAA003"]
    reqs.clear()
    again = list(c.collect(cursor))
    assert [p for b in again for p in b.posts] == [] and len(reqs) == 2  # stops at the cursor on page 1


def test_youtube_quota_error_fails_source(make_http, campaigns):
    body = json.dumps({"error": {"code": 403, "errors": [{"reason": "quotaExceeded"}]}})
    c = YoutubeCollector(video_ids=["v"], api_key="k", campaigns=campaigns,
                         http=make_http(lambda r: httpx.Response(403, text=body)))
    with pytest.raises(Exception, match="quotaExceeded"):
        list(c.collect(None))


def test_parse_comment_threads_rejects_garbage(campaigns):
    assert parse_comment_threads("nope", source="s", campaigns=campaigns).extra["unparseable"]


# --- GDELT ----------------------------------------------------------------------------------------

def test_parse_artlist_with_control_chars_and_bad_escapes(campaigns):
    parsed = parse_artlist(fixture_text("gdelt_artlist.json"), source="gdelt:doc", campaigns=campaigns)
    assert [p.lang for p in parsed.posts] == ["id", "en", "id"]
    assert parsed.posts[1].text.startswith("Halal vaccine") and "chip" in parsed.posts[1].text
    assert parsed.posts[0].created_at.isoformat() == "2024-05-02T02:45:00+00:00"
    assert parsed.posts[0].campaigns == ["beras"] and parsed.posts[0].author == "antaranews.com"
    assert len(parsed.rejects) == 1
    assert parse_artlist("{}", source="g", campaigns=campaigns).posts == []


def test_gdelt_html_error_body_with_200(make_http, campaigns):
    c = GdeltCollector(queries=["ab"], campaigns=campaigns, http=make_http(lambda r: httpx.Response(200, text=fixture_text("gdelt_error.html"))))
    gen = c.collect(None)
    assert "HTML error page" in next(gen).rejects[0].reason
    with pytest.raises(GdeltError):
        next(gen)


def test_gdelt_cursor_and_politeness(make_http, campaigns, fake_time):
    reqs = []

    def handler(request):
        reqs.append(request)
        return httpx.Response(200, text=fixture_text("gdelt_artlist.json"))

    http = make_http(handler)
    c = GdeltCollector(queries=["(beras OR #berasaman)", "vaksin"], campaigns=campaigns, http=http)
    batches = list(c.collect(None))
    assert reqs[0].url.params["mode"] == "artlist" and reqs[0].url.params["format"] == "json"
    assert reqs[0].url.params["query"] == "(beras OR #berasaman) sourcecountry:indonesia"
    assert 5.0 in fake_time.sleeps  # 1 request per 5 s to api.gdeltproject.org
    cur = batches[-1].cursor["queries"]["vaksin"]
    assert cur["last"] == "20240502031500" and len(cur["urls"]) == 2
    again = list(c.collect(batches[-1].cursor))
    assert [p.native_id for b in again for p in b.posts] == []  # nothing newer than the cursor: no re-delivery
    assert reqs[-1].url.params["startdatetime"] == "20240502031500"
