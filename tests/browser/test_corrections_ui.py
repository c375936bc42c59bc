"""The analyst page's correction buttons in a real browser: click, the row shows the analyst's label, it is stored
(GET /corrections) and still there after a reload."""
from __future__ import annotations

import pytest

from service.api.app import create_app
from service.api.auth import AuthConfig
from tests.api.keys import keyed_client, make_key, make_settings
from tests.browser.conftest import shot
from tests.browser.test_dashboards import login
from tests.factories import make_post
from bench.loopback import serve

pytestmark = pytest.mark.browser

TEXT = "Program cegah stunting di desa kami berjalan baik"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("ui-corrections"))
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        keys = {"admin": make_key(settings, "admin", "*"), "analyst": make_key(settings, "analyst", "kemkes")}
        with keyed_client(url, keys["admin"]) as admin:
            post = make_post(1, text=TEXT, campaigns=[])
            assert admin.post("/posts", json=[post.model_dump(mode="json")], timeout=180).status_code == 202
        yield {"url": url, "keys": keys, "post": post.id}


def test_analyst_corrects_sentiment_and_hoax_from_the_results(page, site):
    login(page, site["url"], site["keys"]["analyst"])
    page.goto(site["url"] + "/ui/analyst?q=stunting")
    row = page.locator(f'tr[data-id="{site["post"]}"]')
    model_label = row.locator('[data-role="sentiment"]').get_attribute("class").split("s-")[-1]
    target = "negative" if model_label != "negative" else "positive"
    row.locator(f'button[data-field="sentiment"][data-value="{target}"]').click()
    page.wait_for_selector(f'tr[data-id="{site["post"]}"].corrected')
    row.locator('button[data-field="hoax"][data-value="true"]').click()
    page.wait_for_selector(f'tr[data-id="{site["post"]}"] [data-role="hoax"] .tag.hoax')
    assert "Koreksi disimpan" in row.locator('[data-role="status"]').inner_text()
    assert f"s-{target}" in row.locator('[data-role="sentiment"]').get_attribute("class")
    shot(page, "analyst-correction")
    with keyed_client(site["url"], site["keys"]["analyst"]) as api:
        done = api.get("/corrections", params={"post_id": site["post"]}).json()
    assert [(c["sentiment"], c["hoax"]) for c in done] == [(None, True), (target, None)]
    page.reload()
    row = page.locator(f'tr[data-id="{site["post"]}"]')
    assert f"s-{target}" in row.locator('[data-role="sentiment"]').get_attribute("class")
    assert row.locator('[data-role="hoax"] .tag.hoax').count() == 1

