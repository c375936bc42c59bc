"""The trending page in a real browser (issue 15 item 3): terms, hashtags, domains and links rising in the default
window (the last 24 hours against the 7 days before), each opening the matching search."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from service.api.app import create_app
from service.api.auth import AuthConfig
from tests.api.keys import make_key, make_settings
from tests.browser.conftest import shot
from tests.browser.test_dashboards import login
from tests.factories import make_post
from bench.loopback import serve

pytestmark = pytest.mark.browser


def _posts(now: datetime):
    calm = [make_post(i, f"Jadwal imunisasi anak di posyandu {i % 5}", campaigns=["vaksin"], hashtags=["imunisasi"],
                      links=[f"https://kemkes.example/jadwal/{i}"], created_at=now - timedelta(days=1, hours=3 * i))
            for i in range(30)]
    rising = [make_post(100 + i, "Isu vaksin mengandung babi beredar di grup WhatsApp", campaigns=["vaksin"],
                        hashtags=["vaksinbabi", "imunisasi"], links=[f"https://hoaks.example/babi?i={i}"],
                        created_at=now - timedelta(hours=i + 1)) for i in range(6)]
    return calm + rising


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("ui-trending"))
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        app.state.ctx.store.upsert(_posts(datetime.now(timezone.utc)))
        yield {"url": url, "analyst": make_key(settings, "analyst", "kemkes")}


def test_trending_shows_what_rose_in_the_default_window_and_opens_its_search(page, site):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, site["url"], site["analyst"])
    page.goto(site["url"] + "/ui/analyst/trending?campaign=vaksin")
    assert page.input_value("#window") == "24h" and page.input_value("#baseline") == "7d"
    assert page.inner_text("#window-posts") == "6"
    assert page.inner_text("#trending-summary").endswith("WIB")  # the window in local time, as the search it opens
    terms = page.locator('#trending-terms [data-role="term"]').all_inner_texts()
    assert "babi" in terms and "posyandu" not in terms
    assert page.locator('#trending-hashtags [data-role="term"]').all_inner_texts() == ["#vaksinbabi"]
    assert page.locator('#trending-domains [data-role="term"]').all_inner_texts() == ["hoaks.example"]
    shot(page, "analyst-trending")
    page.locator("#trending-hashtags a", has_text="#vaksinbabi").click()
    page.wait_for_url("**/ui/analyst?q=hashtag%3Avaksinbabi*")
    assert page.input_value("#q") == "hashtag:vaksinbabi" and page.inner_text("#total") == "6"
    page.goto(site["url"] + "/ui/analyst/trending?campaign=vaksin&window=6h&baseline=bogus")
    assert page.input_value("#window") == "6h" and page.input_value("#baseline") == "7d"
