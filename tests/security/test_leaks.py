"""Issue 11 item 9: operator views, other workspaces' campaign ids, CSV injection, dashboard sessions and
X-Forwarded-For."""
from __future__ import annotations

import csv
import io
import time

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import COOKIE, AuthConfig, KeyStore
from tests.api.keys import keyed_client, make_key, make_settings, state_bytes
from tests.factories import make_post
from bench.loopback import serve


def test_metrics_and_sources_are_for_operator_keys_only(api):
    for path in ("/metrics", "/sources"):
        assert api.as_("admin", "kemkes").get(path).status_code == 403, path
        assert api.admin.get(path).status_code == 200, path
    assert api.as_("analyst", "kemkes").get("/sources").status_code == 403
    assert api.as_("analyst", "*").get("/sources").status_code == 200


def test_posts_show_only_the_callers_campaign_ids(api):
    shared = make_post(1, text="Vaksin untuk delegasi KTT ASEAN", campaigns=[])
    assert api.admin.post("/posts", json=[shared.model_dump(mode="json")]).status_code == 202
    assert api.admin.get(f"/posts/{shared.id}").json()["campaigns"] == ["asean", "vaksin"]
    kemkes = api.as_("analyst", "kemkes")
    assert kemkes.get(f"/posts/{shared.id}").json()["campaigns"] == ["vaksin"]
    assert [p["campaigns"] for p in kemkes.get("/posts").json()["posts"]] == [["vaksin"]]
    assert kemkes.get("/export/posts", params={"format": "ndjson"}).json()["campaigns"] == ["vaksin"]
    rows = list(csv.DictReader(io.StringIO(kemkes.get("/export/posts").text)))
    assert [r["campaigns"] for r in rows] == ["vaksin"]
    assert "asean" not in kemkes.get("/export/posts").text


HOSTILE = ["\n=1+1", " =1+1", "\u00a0=1+1", ";=1+1", "|calc", "\uff1d1+1", "\uff0bcmd", "\t=1", "=HYPERLINK(1)"]


def test_csv_export_neutralises_formula_like_cells(api):
    posts = [make_post(i, text=f"{t} vaksin", author=t, campaigns=[]) for i, t in enumerate(HOSTILE)]
    assert api.admin.post("/posts", json=[p.model_dump(mode="json") for p in posts]).status_code == 202
    rows = list(csv.DictReader(io.StringIO(api.admin.get("/export/posts").text)))
    assert len(rows) == len(HOSTILE)
    for row in rows:
        assert row["text"].startswith("'") and row["author"].startswith("'"), row
    assert sorted(r["author"][1:] for r in rows) == sorted(HOSTILE)  # nothing else changed


def _login(client: httpx.Client, key: str) -> str:
    r = client.post("/ui/login", data={"key": key})
    assert r.status_code == 303, r.text
    return client.cookies[COOKIE]


def test_dashboard_session_is_opaque_and_logout_revokes_it(api):
    key = make_key(api.settings, "analyst", "kemkes")
    with httpx.Client(base_url=api.url) as browser:
        session = _login(browser, key)
        assert key not in session and key.split("_", 2)[2] not in session and session.startswith("nws_")
        assert browser.get("/campaigns").status_code == 200
        assert browser.post("/ui/logout").status_code == 303
    assert session.encode() not in state_bytes(api.settings)  # only its hash is kept
    with httpx.Client(base_url=api.url, cookies={COOKIE: session}) as replay:  # a copied cookie after log-out
        assert replay.get("/campaigns").status_code == 401
        assert replay.get("/ui/analyst").status_code == 303  # back to the log-in page
    with httpx.Client(base_url=api.url, cookies={COOKIE: key}) as raw_key:  # the key itself is no cookie
        assert raw_key.get("/campaigns").status_code == 401


def test_revoking_the_key_ends_its_sessions(api):
    key = make_key(api.settings, "pr", "kemkes")
    with httpx.Client(base_url=api.url) as browser:
        _login(browser, key)
        assert browser.get("/alerts").status_code == 200
        assert api.admin.delete(f"/auth/keys/{key.split('_')[1]}").status_code == 204
        assert browser.get("/alerts").status_code == 401


def test_session_expires_on_the_server(tmp_path):
    settings = make_settings(tmp_path).model_copy(update={"session_hours": 1 / 3600})  # one second
    with serve(create_app(settings)) as url, httpx.Client(base_url=url) as browser:
        session = _login(browser, make_key(settings, "admin", "*"))
        assert browser.get("/campaigns").status_code == 200
        time.sleep(1.5)
        # sent by hand: the server must refuse it, whatever the browser does with the cookie's max-age
        with httpx.Client(base_url=url, cookies={COOKIE: session}) as replay:
            assert replay.get("/campaigns").status_code == 401
    assert KeyStore(settings).sessions.count() == 1


def _audit_client(url: str, key: str) -> str:
    with keyed_client(url, key) as c:
        return c.get("/auth/audit", params={"limit": 1}).json()[0]["client"]


@pytest.mark.parametrize("trusted,expected", [("", "127.0.0.1"), ("10.0.0.0/8, 127.0.0.1", "203.0.113.9")])
def test_x_forwarded_for_is_believed_only_from_trusted_proxies(tmp_path, trusted, expected):
    settings = make_settings(tmp_path).model_copy(update={"trusted_proxies": trusted})
    app = create_app(settings, auth_config=AuthConfig(anon_rate_per_second=0.01, anon_burst=2))
    with serve(app) as url:
        admin = make_key(settings, "admin", "*")
        with keyed_client(url, admin) as c:
            r = c.post("/campaigns", json={"id": "c1", "name": "c", "workspace": "kemkes"},
                       headers={"X-Forwarded-For": "203.0.113.9"})
            assert r.status_code == 201
        assert _audit_client(url, admin) == expected
        # a client rotating X-Forwarded-For escapes the per-address limit only if its proxy is trusted
        codes = [httpx.get(url + "/posts", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                 for i in range(4)]
        assert codes == ([401, 401, 429, 429] if not trusted else [401] * 4)
