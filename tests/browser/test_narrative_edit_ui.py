"""The narrative page in a real browser (issue 15 item 5): the profile panel (platforms, top spreaders, alerts, a
search) and an analyst renaming a narrative, merging another into it and splitting posts off again; a merge into
itself, a split with no post ticked and a split of every post show a readable refusal."""
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


def test_rename_merge_and_split_from_the_narrative_page(page, tmp_path):
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

        page.click("#split-form button")  # nothing ticked: said so, nothing sent
        page.wait_for_selector("#edit-msg.error")
        assert page.inner_text("#edit-msg") == page.get_attribute("#edit-msg", "data-split-none")
        picks = page.locator("#narrative-posts input.split-pick")
        assert picks.count() == 7
        for i in range(7):
            picks.nth(i).check()
        page.click("#split-form button")  # every post: the API's refusal, in words
        page.wait_for_selector("#edit-msg.error:has-text('at least one post')")
        for i in range(7):
            picks.nth(i).uncheck()
        page.locator("#narrative-posts li.post-item:has-text('Delegasi') input.split-pick").evaluate_all(
            "boxes => boxes.forEach(b => { b.checked = true; })")
        page.fill("#split-name", "Kedatangan delegasi")
        page.click("#split-form button")
        page.wait_for_selector("#narrative-title:text-is('Kedatangan delegasi')")
        assert chip not in page.url and page.locator("#narrative-posts input.split-pick").count() == 3
        assert all("Delegasi" in t for t in page.locator("#narrative-posts .post-text").all_inner_texts())
        shot(page, "analyst-narrative-split")
        page.goto(f"{url}/ui/analyst/narratives/{chip}")
        page.wait_for_selector("#narrative-title:text-is('Hoaks chip pelacak')")
        assert page.locator("#narrative-posts input.split-pick").count() == 4
