"""Issue 14 items 7 (RSS), 9 (Bluesky), 10 (YouTube), 11 (GDELT): collectors replayed offline on recorded-shape payloads."""
import json

import httpx

from collectors.bluesky import BlueskyCollector, parse_frame
from collectors.gdelt import parse_artlist
from collectors.rss import RssCollector, parse_feed
from collectors.scheduler import run_collector
from tests.factories import source_state
from collectors.youtube import YoutubeCollector, parse_comment_threads
from core.domain import Campaign
from core.quarantine import Quarantine
from tests.collectors.conftest import FIXTURES, fixture_text
from tests.collectors.test_bluesky_youtube_gdelt import fake_connect

RSS_TYPE = "application/rss+xml; charset=UTF-8"


def serve(body: str, content_type: str = RSS_TYPE):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nAllow: /\n")
        return httpx.Response(200, text=body, headers={"Content-Type": content_type})
    return handler


# --- RSS (item 7) ----------------------------------------------------------------------------------

def test_a_valid_feed_with_zero_items_is_healthy_not_unparseable(make_http, campaigns):
    """WordPress category feed with no items yet: the collector used to raise FeedUnparseable (no Content-Type
    reached feedparser, which then flags a bozo 'no Content-type specified')."""
    c = RssCollector(name="rss:cekfakta", url="https://cekfakta.example/category/hoaks/feed/", campaigns=campaigns,
                     http=make_http(serve(fixture_text("rss_empty_factcheck.xml"))), factcheck=True)
    batches = list(c.collect(None))  # raises FeedUnparseable on the old code
    assert [(b.posts, b.rejects) for b in batches] == [([], [])]
    assert batches[0].cursor["seen"] == []


def test_html_served_as_a_feed_is_still_unparseable(campaigns):
    parsed = parse_feed("<html><body>Maintenance</body></html>", source="s", campaigns=campaigns,
                        content_type="text/html")
    assert parsed.extra.get("unparseable") and parsed.rejects


def test_channel_language_content_encoded_and_guid_behind_a_redirector(make_http, campaigns):
    c = RssCollector(name="rss:kabarperiksa", url="https://kabarperiksa.example/feed", campaigns=campaigns,
                     http=make_http(serve(fixture_text("rss_feedburner.xml"))))
    (batch,) = list(c.collect(None))
    (post,) = batch.posts
    assert post.lang == "id"  # <language>in</language>: the channel's language, normalised
    assert "KPU Kota Bekasi menyatakan" in post.text  # content:encoded, not the teaser description
    assert post.url == "https://kabarperiksa.example/2024/02/12/keliru-surat-suara-bekasi/"  # guid, not feedproxy
    assert "https://feedproxy.google.com/~r/kabarperiksa/~3/Ab12Cd34Ef5/" in post.links


def test_own_site_link_is_kept_when_not_a_redirector(campaigns):
    parsed = parse_feed(fixture_text("rss_turnbackhoax.xml"), source="s", campaigns=campaigns)
    assert all(p.url.startswith("https://turnbackhoax.id/2024/") for p in parsed.posts)  # guid is ?p=N: link stays
    assert {p.lang for p in parsed.posts} == {"id"}


# --- Bluesky (item 9) ------------------------------------------------------------------------------

def embed_frames():
    return (FIXTURES / "jetstream_embeds.jsonl").read_text(encoding="utf-8").splitlines()


def by_rkey(posts):
    return {p.raw["rkey"]: p for p in posts}


def test_card_image_and_quote_only_posts_are_kept_with_their_card_alt_or_quote(campaigns):
    c = BlueskyCollector(campaigns=campaigns, terms=[], connect=fake_connect(embed_frames(), []))
    batches = list(c.collect(None))
    posts = by_rkey(p for b in batches for p in b.posts)
    assert [r for b in batches for r in b.rejects] == []  # none of them is "malformed"
    card = posts["3kcard"]
    assert card.text.startswith("[SALAH] Vaksin Halal Mengandung Chip\nKlaim vaksin halal")
    assert card.links == ["https://turnbackhoax.id/2024/05/02/salah-vaksin-halal-chip/"]
    assert posts["3kimage"].text == "Tangkapan layar: vaksin halal berisi chip pelacak"
    quoted = "https://bsky.app/profile/did:plc:eygmaihciaxprqvxpfvl6flk/post/3kreq6xjzp22a"
    post, reject, _ = parse_frame(embed_frames()[3], source="s", campaigns=campaigns, terms=[quoted])
    assert reject is None and post.text == quoted and post.links == [quoted]
    assert "3knoalt" not in posts  # an image without alt text has nothing to analyse: skipped, not quarantined


def test_posts_without_langs_get_language_id_instead_of_vanishing(campaigns):
    frames = embed_frames()
    nolang, _, _ = parse_frame(frames[4], source="s", campaigns=campaigns, terms=["vaksin halal"], langs=("id", "en"))
    assert nolang is not None and nolang.lang == "id"
    und, _, _ = parse_frame(frames[6], source="s", campaigns=campaigns, terms=["vaksin halal"], langs=("id", "en"))
    assert und is not None and und.lang == "id"  # langs ["und"] counts as no language
    japanese, reject, _ = parse_frame(frames[5], source="s", campaigns=campaigns, terms=["vaksin halal"])
    assert (japanese, reject) == (None, None)  # identified as Japanese: filtered out like a declared ja post


def test_watched_handles_are_resolved_and_identity_events_name_authors(make_http):
    watch = Campaign(id="bansos", name="Bansos", keywords=["bansos"],
                     accounts=["@bansos-resmi.bsky.social", "kabarwarga.bsky.social", "@kompascom"])
    asked = []

    def appview(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params.get("handle"))
        assert request.url.path == "/xrpc/com.atproto.identity.resolveHandle"
        if request.url.params.get("handle") == "bansos-resmi.bsky.social":
            return httpx.Response(200, json={"did": "did:plc:watched"})
        return httpx.Response(400, json={"error": "InvalidRequest", "message": "Unable to resolve handle"})

    c = BlueskyCollector(campaigns=[watch], terms=["bansos"], connect=fake_connect(embed_frames(), []),
                         http=make_http(appview))
    posts = by_rkey(p for b in c.collect(None) for p in b.posts)
    watched = posts["3kwatched"]  # no term in its text: kept because its author is watched
    assert (watched.author, watched.campaigns) == ("bansos-resmi.bsky.social", ["bansos"])
    renamed = posts["3krenamed"]  # its handle came from the identity event before it
    assert (renamed.author, renamed.campaigns) == ("kabarwarga.bsky.social", ["bansos"])
    assert c.handles["did:plc:watched"] == "bansos-resmi.bsky.social"
    assert sorted(asked) == ["bansos-resmi.bsky.social", "kabarwarga.bsky.social"]  # "@kompascom" is no handle
    list(c.collect(None))
    assert sorted(asked) == ["bansos-resmi.bsky.social", "kabarwarga.bsky.social", "kabarwarga.bsky.social"]  # cached


# --- YouTube (item 10) -----------------------------------------------------------------------------

def test_a_comment_on_two_pages_is_stored_once_and_empty_comments_are_counted(make_http, campaigns, tmp_path):
    pages = [fixture_text("youtube_comment_threads_shift_p1.json"), fixture_text("youtube_comment_threads_shift_p2.json")]

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=pages[1 if request.url.params.get("pageToken") else 0],
                              headers={"Content-Type": "application/json"})

    c = YoutubeCollector(video_ids=["dQw4w9WgXcQ"], api_key="k", campaigns=campaigns, http=make_http(api))
    batches = list(c.collect(None))
    ids = [p.native_id for b in batches for p in b.posts]
    assert ids == ["UgzDUP001", "UgzDUP003", "UgzDUP004"]  # UgzDUP003 was served on both pages
    assert [r for b in batches for r in b.rejects] == []  # the empty comment is no malformed item
    assert sum(b.skipped.get("empty comment", 0) for b in batches) == 1
    # ...and the count reaches the source's health row (GET /sources)
    state, stored = source_state(tmp_path), []
    run_collector(c, state=state, quarantine=Quarantine(tmp_path / "q.jsonl"), sink=stored.extend, claim_sink=None)
    assert state.get(c.name)["skipped"] == {"empty comment": 1} and len(stored) == 3
    parsed = parse_comment_threads(pages[1], source="s", campaigns=campaigns)
    assert parsed.extra["empty"] == 1 and parsed.rejects == []


# --- GDELT (item 11) -------------------------------------------------------------------------------

def test_every_gdelt_language_name_maps_to_a_code(campaigns):
    parsed = parse_artlist(fixture_text("gdelt_artlist_languages.json"), source="gdelt", campaigns=campaigns)
    names = [a["language"] for a in json.loads(fixture_text("gdelt_artlist_languages.json"))["articles"]]
    got = {p.raw["language"]: p.lang for p in parsed.posts}
    assert len(parsed.posts) == len(names) and parsed.rejects == []
    assert [n for n in names if got[n] is None] == []
    assert (got["Indonesian"], got["Arabic"], got["Chinese"], got["Sinhalese"], got["Tibetan"], got["Hebrew"],
            got["Filipino"]) == ("id", "ar", "zh", "si", "bo", "he", "tl")


def test_an_empty_feed_served_with_a_wrong_content_type_is_still_a_feed(campaigns):
    """Servers that send text/html (or nothing) for a valid feed: feedparser's NonXMLContentType bozo is harmless."""
    for content_type in ("text/html; charset=UTF-8", None):
        parsed = parse_feed(fixture_text("rss_empty_factcheck.xml"), source="s", campaigns=campaigns,
                            base_url="https://cekfakta.example/category/hoaks/feed/", content_type=content_type)
        assert not parsed.extra.get("unparseable") and parsed.rejects == [] and parsed.posts == []
