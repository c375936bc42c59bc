"""/docs works offline: Swagger UI's assets come from the app itself (vendored swagger-ui-dist), never a CDN."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from service.api.app import create_app
from tests.api.keys import make_settings
from bench.loopback import serve

EXPECTED_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",),
                  ".png": ("image/png",)}


class _Assets(HTMLParser):
    """Every src= and href= in the page (script, link, img, ...)."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append((tag, value))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("docs")))
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as anon:  # no API key: /docs is public
        yield url, anon


def test_docs_page_references_only_local_assets(served):
    url, anon = served
    r = anon.get("/docs")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html and "fastapi.tiangolo.com" not in html
    parser = _Assets()
    parser.feed(html)
    tags = {tag for tag, _ in parser.urls}
    assert {"script", "link"} <= tags, parser.urls
    own = urlsplit(url).netloc
    for tag, ref in parser.urls:
        absolute = urljoin(f"{url}/docs", ref)
        assert urlsplit(absolute).netloc == own, f"<{tag}> loads {ref!r} from outside the app"
    assert "url: '/openapi.json'" in html  # the spec comes from the app too


def test_docs_assets_are_served_with_their_content_types(served):
    url, anon = served
    parser = _Assets()
    parser.feed(anon.get("/docs").text)
    paths = [urlsplit(urljoin(f"{url}/docs", ref)).path for _, ref in parser.urls]
    assert {p.rsplit("/", 1)[-1] for p in paths} == {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    for path in paths:
        r = anon.get(path)
        assert r.status_code == 200, path
        ext = path[path.rfind("."):]
        assert r.headers["content-type"].split(";")[0].strip() in EXPECTED_TYPES[ext], (path, r.headers)
        assert len(r.content) > 100, path
    bundle = anon.get(next(p for p in paths if p.endswith(".js"))).text
    assert "SwaggerUIBundle" in bundle


def test_docs_not_in_schema_redoc_off_and_security_schemes_kept(served):
    _, anon = served
    spec = anon.get("/openapi.json")
    assert spec.status_code == 200
    spec = spec.json()
    assert "/docs" not in spec["paths"] and "/redoc" not in spec["paths"]
    assert spec["components"]["securitySchemes"], "Swagger's Authorize button needs the security schemes"
    assert anon.get("/redoc").status_code == 404  # the CDN-backed ReDoc page is switched off
