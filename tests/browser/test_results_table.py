"""The analyst's results table in a real browser (issue 15 item 4): columns, sorting, post detail with the hoax
reasons and the matched claim, the author filter, and an export in the page's order with a BOM for Excel."""
from __future__ import annotations

import pytest

from core.domain import Classification, Engagement
from service.api.app import create_app
from service.api.auth import AuthConfig
from tests.api.keys import make_key, make_settings
from tests.browser.conftest import shot
from tests.browser.test_dashboards import login
from tests.factories import make_post
from bench.loopback import serve

pytestmark = pytest.mark.browser

REASON = "matches debunk 'Vaksin berisi microchip' (turnbackhoax.id, 2026-11-01, similarity 0.87) https://turnbackhoax.id/1"


def _posts():
    rows = [("1", "@budi", 40, 0.2, "Vaksinasi lansia dimulai di puskesmas"),
            ("2", "@sari", 3, 0.93, "Vaksin berisi microchip untuk melacak warga, sebarkan!"),
            ("3", "@budi", 120, None, "Jadwal vaksin booster pekan depan"),
            ("4", "@andi", 15, 0.55, "Katanya vaksin bikin mandul, benarkah?")]
    posts = []
    for n, (native, author, likes, score, text) in enumerate(rows):
        post = make_post(n, text, native_id=native, author=author, campaigns=["vaksin"], lang="id",
                         platform="telegram")
        post.engagement = Engagement(likes=likes, reposts=1)
        post.classification = Classification(sentiment="negative" if score and score > 0.5 else "neutral",
                                             sentiment_score=0.8, hoax_score=score, hoax=bool(score and score > 0.9))
        posts.append(post)
    posts[1].classification.hoax_reasons = [REASON]
    posts[1].classification.matched_claim_id = "tbh-1"
    posts[1].classification.matched_claim_url = "https://turnbackhoax.id/1"
    posts[1].classification.matched_claim_title = "Vaksin berisi microchip"
    posts[1].classification.matched_claim_score = 0.87
    return posts


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("ui-results"))
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        app.state.ctx.store.upsert(_posts())
        yield {"url": url, "analyst": make_key(settings, "analyst", "kemkes")}


def _column(page, role: str) -> list[str]:
    return page.locator(f'#results tbody [data-role="{role}"]').all_inner_texts()


def test_sort_detail_author_filter_and_export_in_the_page_order(page, site):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, site["url"], site["analyst"])
    page.goto(site["url"] + "/ui/analyst?campaign=vaksin")
    assert _column(page, "engagement") == ["16", "121", "4", "41"]  # newest first
    assert _column(page, "campaigns") == ["Vaksinasi nasional"] * 4 and _column(page, "lang") == ["id"] * 4
    page.click('#results th a[data-sort="engagement"]')
    page.wait_for_url("**sort=engagement*")
    assert _column(page, "engagement") == ["121", "41", "16", "4"]
    page.click('#results th a[data-sort="hoax"]')
    page.wait_for_url("**sort=hoax*")
    assert _column(page, "hoax-score") == ["0.93", "0.55", "0.20"]
    assert _column(page, "engagement") == ["4", "16", "41", "121"]  # the unscored post last
    row = page.locator("#results tbody tr").first
    row.locator("details summary").click()
    claim = row.locator('[data-role="claim"]')
    assert claim.get_by_role("link", name="Vaksin berisi microchip").get_attribute("href") == "https://turnbackhoax.id/1"
    assert row.locator('[data-role="similarity"]').inner_text() == "0.87"
    assert row.locator('[data-role="reasons"] li').inner_text() == REASON
    shot(page, "analyst-results-table")

    href = page.get_attribute("#export-csv", "href")
    assert "sort=hoax" in href
    head, text = page.evaluate("""u => fetch(u).then(r => r.arrayBuffer()).then(b => [
        Array.from(new Uint8Array(b.slice(0, 3))), new TextDecoder().decode(b)])""", href)
    assert head == [0xEF, 0xBB, 0xBF]  # the UTF-8 byte order mark Excel needs
    exported = [line.split(",")[0] for line in text.splitlines()[1:]]
    assert exported == page.locator("#results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")

    page.locator("#results tbody tr", has_text="Jadwal vaksin").locator('[data-role="author"]').click()
    page.wait_for_url("**author=%40budi*")
    assert page.input_value("#author") == "@budi" and page.inner_text("#total") == "2"
    page.fill("#author", "@sari")
    page.click("#search")
    page.wait_for_url("**author=%40sari*")
    assert page.inner_text("#total") == "1" and page.input_value("#sort") == "hoax"
