import httpx
import pytest

from collectors.rss import RssCollector, parse_claimreview, parse_feed, split_verdict
from collectors.http import RobotsDisallowed
from tests.collectors.conftest import fixture_text


def feed_handler(body, robots="User-agent: *\nAllow: /\n", etag='"abc"'):
    hits = {"feed": 0, "304": 0}

    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text=robots)
        hits["feed"] += 1
        if request.headers.get("If-None-Match") == etag:
            hits["304"] += 1
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, text=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    return handler, hits


def test_parse_news_feed(campaigns):
    parsed = parse_feed(fixture_text("rss_antaranews.xml"), source="rss:antaranews.com", campaigns=campaigns)
    assert [p.title for p in parsed.posts] == ["Pemerintah pastikan stok beras aman jelang Idul Adha",
                                               "Program vaksin halal diperluas ke 34 provinsi"]
    beras, vaksin = parsed.posts
    assert beras.platform == "news" and beras.author == "Ahmad Wijaya"
    assert beras.created_at.isoformat() == "2024-05-02T02:45:12+00:00"
    assert beras.native_id == "https://www.antaranews.com/berita/4083001/pemerintah-pastikan-stok-beras-aman"
    assert "berasaman" in beras.hashtags and beras.campaigns == ["beras"]
    assert vaksin.campaigns == ["vaksin"]
    assert "https://sehatnegeriku.kemkes.go.id/baca/rilis" in vaksin.links
    assert len(parsed.rejects) == 1 and "date" in parsed.rejects[0].reason


def test_collector_conditional_get_and_seen(make_http, campaigns):
    handler, hits = feed_handler(fixture_text("rss_antaranews.xml"))
    c = RssCollector(name="rss:antaranews.com", url="https://www.antaranews.com/rss/terkini.xml",
                     campaigns=campaigns, http=make_http(handler))
    batches = list(c.collect(None))
    assert len(batches) == 1 and len(batches[0].posts) == 2 and len(batches[0].rejects) == 1
    cursor = batches[0].cursor
    assert cursor["validators"]["etag"] == '"abc"' and len(cursor["seen"]) == 2
    assert list(c.collect(cursor)) == []  # 304: nothing, cursor unchanged
    assert hits["304"] == 1
    # without validators, the same entries are fetched again but skipped as seen
    again = list(c.collect({"seen": cursor["seen"]}))
    assert again[0].posts == []


def test_robots_disallow(make_http, campaigns):
    handler, hits = feed_handler(fixture_text("rss_antaranews.xml"), robots="User-agent: *\nDisallow: /rss/\n")
    c = RssCollector(name="rss:antaranews.com", url="https://www.antaranews.com/rss/terkini.xml",
                     campaigns=campaigns, http=make_http(handler))
    with pytest.raises(RobotsDisallowed):
        list(c.collect(None))
    assert hits["feed"] == 0


def test_factcheck_feed_emits_claims_and_claimreview(make_http, campaigns):
    article = fixture_text("claimreview_article.html")

    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.path == "/feed/":
            return httpx.Response(200, text=fixture_text("rss_turnbackhoax.xml"))
        if "salah-vaksin" in request.url.path:
            return httpx.Response(200, text=article)
        return httpx.Response(200, text="<html><body>no json-ld here</body></html>")

    c = RssCollector(name="rss:turnbackhoax.id", url="https://turnbackhoax.id/feed/", campaigns=campaigns,
                     http=make_http(handler), factcheck=True, fetch_claimreview=True)
    (batch,) = list(c.collect(None))
    assert {p.platform for p in batch.posts} == {"factcheck"}
    claims = {c["url"]: c for c in batch.claims}
    chip = claims["https://turnbackhoax.id/2024/05/02/salah-vaksin-halal-mengandung-chip-pelacak/"]
    assert chip["verdict"] == "Salah"  # from ClaimReview reviewRating.alternateName
    assert chip["claim"].startswith("Vaksin halal mengandung chip pelacak")
    assert chip["title"] == "[SALAH] Vaksin Halal Mengandung Chip Pelacak"
    assert set(chip) >= {"id", "title", "claim", "verdict", "url", "date"}
    banjir = claims["https://turnbackhoax.id/2024/05/01/hoaks-video-banjir-bandang-di-jakarta-hari-ini/"]
    assert banjir["verdict"] == "HOAKS" and banjir["claim"] == "Video Banjir Bandang di Jakarta Hari Ini"
    assert banjir["date"].startswith("2024-05-01T12:00:00")


def test_parse_claimreview_fixture():
    (review,) = parse_claimreview(fixture_text("claimreview_article.html"))
    assert review["verdict"] == "Salah" and review["author"] == "Mafindo (TurnBackHoax)"
    assert review["claim_author"] == "Akun Facebook Warga Net" and review["date"] == "2024-05-02"
    assert parse_claimreview("<html>") == [] and parse_claimreview("") == []


def test_split_verdict():
    assert split_verdict("[SALAH] Foto X") == ("SALAH", "Foto X")
    assert split_verdict("Keliru, Klaim Y soal Z") == ("KELIRU", "Klaim Y soal Z")
    assert split_verdict("Berita biasa") == (None, "Berita biasa")


def test_unparseable_feed_is_quarantined_and_fails(make_http, campaigns):
    handler, _ = feed_handler("<html><body>Maintenance</body></html>")
    c = RssCollector(name="rss:x", url="https://x.example/feed", campaigns=campaigns, http=make_http(handler))
    gen = c.collect(None)
    first = next(gen)
    assert first.rejects and first.posts == [] and first.cursor is None
    with pytest.raises(RuntimeError):
        next(gen)
