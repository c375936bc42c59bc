"""The analyst page's search language help and saved searches in a real browser (issue 15 items 1 and 2)."""
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

POSTS = [make_post(1, "Vaksinasi lansia dimulai di puskesmas", campaigns=["vaksin"]),
         make_post(2, "Hoaks vaksin berisi chip beredar lagi", campaigns=["vaksin"]),
         make_post(3, "Vaccine rollout continues", campaigns=["vaksin"], lang="en")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("ui-search"))
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        app.state.ctx.store.upsert(POSTS)
        yield {"url": url, "analyst": make_key(settings, "analyst", "kemkes"),
               "admin": make_key(settings, "admin", "kemkes")}


def test_syntax_help_runs_its_examples_and_bad_syntax_names_the_position(page, site):
    login(page, site["url"], site["analyst"])
    page.goto(site["url"] + "/ui/analyst")
    page.click("#syntax-help summary")
    example = page.locator("#syntax-help").get_by_role("link", name="vaksin OR vaccine", exact=True)
    assert example.is_visible()
    shot(page, "analyst-syntax-help")
    example.click()
    page.wait_for_url("**q=vaksin%20OR%20vaccine")
    assert page.input_value("#q") == "vaksin OR vaccine" and page.inner_text("#total") == "3"
    response = page.goto(site["url"] + "/ui/analyst?q=" + "vaksin%20AND%20(")
    assert response.status == 400 and "(at position" in page.inner_text("p.error")
    shot(page, "analyst-bad-query")


def test_save_a_search_reopen_it_export_it_and_make_it_a_rule(page, site):
    login(page, site["url"], site["admin"])
    page.goto(site["url"] + "/ui/analyst?q=vaksin%20-hoaks&campaign=vaksin")
    assert page.inner_text("#total") == "1"
    page.fill("#save-name", "Vaksin tanpa hoaks")
    page.click("#save-search")
    page.wait_for_url("**saved=s_*")
    assert page.inner_text("#saved-name") == "Vaksin tanpa hoaks" and page.inner_text("#total") == "1"
    assert page.locator("#saved-searches a.active").inner_text() == "Vaksin tanpa hoaks"
    export = page.get_attribute("#export-csv", "href")
    assert "saved_search=s_" in export
    page.click("#create-rule")
    page.wait_for_selector("#saved-status:has-text('Aturan dibuat')")
    shot(page, "analyst-saved-search")
    with keyed_client(site["url"], site["analyst"]) as api:
        rows = api.get(export).text.splitlines()
        rules = api.get("/saved-searches").json()
    assert len(rows) == 2 and "Vaksinasi lansia" in rows[1] and [s["name"] for s in rules] == ["Vaksin tanpa hoaks"]
    page.goto(site["url"] + "/ui/analyst")  # from the list, one click opens it again
    page.click("#saved-searches a:has-text('Vaksin tanpa hoaks')")
    page.wait_for_url("**saved=s_*")
    assert page.input_value("#q") == "vaksin -hoaks" and page.input_value("#campaign") == "vaksin"
