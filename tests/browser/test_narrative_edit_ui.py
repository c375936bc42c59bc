"""The narrative page in a real browser (issue 15 item 5): the profile panel (platforms, top spreaders, alerts, a
search) and an analyst renaming a narrative and merging another into it; a merge into itself shows the API's refusal."""
from __future__ import annotations

import pytest

from service.api.app import create_app
from service.api.auth import AuthConfig
from service.narratives.clusters import NarrativeClusterer
from tests.api.keys import make_key, make_settings
from tests.api.test_narrative_edits import CHIP, DELEGASI, posts
from tests.browser.conftest import shot
from tests.browser.test_dashboards import login
from bench.loopback import serve

pytestmark = pytest.mark.browser


def test_rename_and_merge_from_the_narrative_page(page, tmp_path):
    settings = make_settings(tmp_path)
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        out = NarrativeClusterer(app.state.ctx.alerts.alerts.ledger).add(posts(0, 4, CHIP) + posts(100, 3, DELEGASI))
        chip, delegasi = out[0].narrative_id, out[4].narrative_id
        login(page, url, make_key(settings, "analyst", "kemlu"))
        page.goto(f"{url}/ui/analyst/narratives/{chip}")
        page.wait_for_selector("#profile-platforms li")
        assert page.locator("#profile-platforms li").all_inner_texts() == ["mastodon: 2", "bluesky: 2"]
        assert page.locator("#profile-spreaders li").count() == 2
        assert "campaign=asean" in page.get_attribute("#profile-search", "href")

        page.fill("#rename-input", "Hoaks chip pelacak")
        page.click("#rename-form button")
        page.wait_for_selector("#narrative-title:text-is('Hoaks chip pelacak')")
        page.fill("#merge-input", chip)
        page.click("#merge-form button")
        page.wait_for_selector("#edit-msg.error")
        assert "itself" in page.inner_text("#edit-msg")
        page.fill("#merge-input", delegasi)
        page.click("#merge-form button")
        page.wait_for_selector("#profile-platforms li:has-text('bluesky: 3')")
        assert page.inner_text("#narrative-title") == "Hoaks chip pelacak"
        assert "7" in page.locator("#narrative-meta dd").all_inner_texts()
        shot(page, "analyst-narrative-edit")
