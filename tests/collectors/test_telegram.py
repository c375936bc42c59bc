import httpx
import pytest

from collectors.telegram import TelegramCollector, parse_channel_page, parse_count
from tests.collectors.conftest import fixture_text


@pytest.mark.parametrize("raw,value", [("3.12K", 3120), ("1.2M", 1_200_000), ("987", 987), ("45.6K", 45_600),
                                       ("1,234", 1234), ("", None), ("abc", None), ("2B", 2_000_000_000)])
def test_parse_count(raw, value):
    assert parse_count(raw) == value


def test_parse_page_fields(campaigns):
    parsed = parse_channel_page(fixture_text("telegram_kompascom.html"), source="telegram:kompascom",
                                campaigns=campaigns, channel="kompascom")
    posts = {int(p.native_id): p for p in parsed.posts}
    assert sorted(posts) == [105, 107, 109, 110]  # 108 is photo-only (skipped), 106 has no date (quarantined)
    assert parsed.extra["ids"] == [105, 106, 107, 108, 109, 110]
    assert len(parsed.rejects) == 1 and "date" in parsed.rejects[0].reason
    reply = posts[110]
    assert reply.text == "Koreksi: angka yang benar adalah 12 persen."  # not the quoted parent's text
    assert "TEKS INDUK" not in reply.text and reply.raw["reply_to"] == 109
    assert reply.engagement.views == 3120
    assert posts[107].engagement.views == 1_200_000 and posts[107].hashtags == ["berasaman"]
    fwd = posts[109]
    assert fwd.raw["forwarded_from"] == "Cek Fakta Kompas" and fwd.raw["forwarded_url"] == "https://t.me/cekfaktakompas/77"
    assert fwd.raw["edited"] is True and posts[110].raw["edited"] is False
    assert fwd.text == "HOAKS: video banjir bukan di Jakarta\nCek faktanya di tautan."
    assert posts[105].links == ["https://nasional.kompas.com/read/2024/05/02/vaksin"]
    assert posts[105].url == "https://t.me/kompascom/105" and posts[105].author == "kompascom"
    assert posts[105].created_at.isoformat() == "2024-05-02T05:15:07+00:00"
    assert "vaksin" in posts[105].campaigns and "beras" in posts[105].campaigns  # watched account + keyword


def tg_handler(seen):
    pages = {None: "telegram_kompascom.html", "105": "telegram_kompascom_before105.html",
             "99": "telegram_kompascom_before99.html"}

    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        seen.append(str(request.url))
        if request.url.params.get("q"):
            return httpx.Response(200, text=fixture_text("telegram_kompascom_search.html"))
        return httpx.Response(200, text=fixture_text(pages[request.url.params.get("before")]))

    return handler


def test_pagination_until_cursor(make_http, campaigns):
    seen = []
    c = TelegramCollector(channel="kompascom", campaigns=campaigns, http=make_http(tg_handler(seen)),
                          refresh_engagement=False)
    batches = list(c.collect({"last_id": 96}))
    ids = [int(p.native_id) for b in batches for p in b.posts]
    assert ids == [97, 98, 99, 100, 101, 102, 103, 104, 105, 107, 109, 110]
    assert batches[-1].cursor["last_id"] == 110
    assert [u.split("?")[-1] for u in seen] == ["https://t.me/s/kompascom", "before=105", "before=99"]


def test_first_run_fetches_backfill_pages_only(make_http, campaigns):
    seen = []
    c = TelegramCollector(channel="kompascom", campaigns=campaigns, http=make_http(tg_handler(seen)))
    batches = list(c.collect(None))
    assert [int(p.native_id) for b in batches for p in b.posts] == [105, 107, 109, 110]
    assert len(seen) == 1


def test_crash_mid_run_resumes_without_duplicates_or_gaps(make_http, campaigns):
    """The sink dies on the 2nd batch; the restarted collector continues from the last stored cursor."""
    from core.quarantine import Quarantine
    from collectors.scheduler import run_collector
    from tests.factories import source_state
    import tempfile, os
    d = tempfile.mkdtemp()
    state = source_state(d)
    state.ensure("telegram:kompascom", "telegram")
    state.commit_batch("telegram:kompascom", {"last_id": 96}, 0)
    stored: list[int] = []
    calls = {"n": 0}

    def flaky_sink(posts):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("store down")
        stored.extend(int(p.native_id) for p in posts)

    c = TelegramCollector(channel="kompascom", campaigns=campaigns, http=make_http(tg_handler([])),
                          batch_size=3, refresh_engagement=False)
    r1 = run_collector(c, state=state, quarantine=Quarantine(None), sink=flaky_sink, claim_sink=None)
    assert not r1["ok"] and state.cursor("telegram:kompascom")["last_id"] == 99
    r2 = run_collector(c, state=state, quarantine=Quarantine(None), sink=flaky_sink, claim_sink=None)
    assert r2["ok"]
    assert stored == [97, 98, 99, 100, 101, 102, 103, 104, 105, 107, 109, 110]  # no duplicate, no gap
    assert state.cursor("telegram:kompascom")["last_id"] == 110


def test_search_terms_and_engagement_refresh(make_http, campaigns):
    seen = []
    c = TelegramCollector(channel="kompascom", campaigns=campaigns, http=make_http(tg_handler(seen)),
                          search_terms=["vaksin halal"])
    batches = list(c.collect({"last_id": 107, "search": {"vaksin halal": 100}}))
    refresh = batches[0]
    assert refresh.cursor is None and [p.native_id for p in refresh.posts] == ["105", "107"]
    assert [p.native_id for p in batches[1].posts] == ["109", "110"]
    assert [p.native_id for p in batches[-1].posts] == ["101", "105"]
    assert batches[-1].cursor == {"last_id": 110, "search": {"vaksin halal": 105}}
    assert any("q=vaksin+halal" in u for u in seen)
