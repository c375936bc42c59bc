"""/docs in a real browser: Swagger UI renders from the vendored assets, with no request leaving the app."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from service.api.app import create_app
from tests.api.keys import make_settings
from tests.browser.conftest import shot
from bench.loopback import serve

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_offline(page, tmp_path):
    app = create_app(make_settings(tmp_path))
    with serve(app) as url:
        own = urlsplit(url).netloc
        requests: list[str] = []
        failed: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        page.on("requestfailed", lambda req: failed.append(req.url))
        page.goto(f"{url}/docs")
        page.wait_for_selector(".opblock")
        assert page.locator(".opblock").count() > 10
        assert page.locator("button.authorize").count() == 1  # security schemes from the spec
        page.wait_for_load_state("networkidle")
        shot(page, "docs")
        outside = [u for u in requests if not u.startswith("data:") and urlsplit(u).netloc != own]
        assert not outside, f"requests outside the app: {outside}"
        assert not failed, failed
