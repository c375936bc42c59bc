"""Bad input answers 4xx with a message, never 500 (issue 11 item 4), through the real app over real HTTP.

Every case below was a reproduced 500 (or a stream cut after its 200) before the fix.
"""
from __future__ import annotations

from contextlib import closing

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import COOKIE
from tests.api.conftest import served
from tests.api.keys import make_key, make_settings
from bench.loopback import serve

# 0001-01-01 at +01:00 is year 0 in UTC, 9999-12-31 at -01:00 is year 10000: neither exists as a UTC datetime.
UNREPRESENTABLE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
QUERY_TIME_URLS = [("/posts", {}, ("since", "until")), ("/export/posts", {}, ("since", "until")),
                   ("/trending", {"campaign": "asean"}, ("until",)),
                   *[(f"/summary/{s}", {}, ("since", "until"))
                     for s in ("sentiment", "share-of-voice", "hoax-trend", "narratives")],
                   ("/ui/analyst", {}, ("since", "until")), ("/ui/leadership", {}, ("since", "until"))]
# (path, query parameters, a word the message must contain)
CASES = [pytest.param(path, {**extra, name: value}, name, id=f"{path}?{name}={value}")
         for path, extra, names in QUERY_TIME_URLS for name in names for value in UNREPRESENTABLE]
CASES += [
    pytest.param("/ui/digest", {"campaign": "asean", "day": "9999-12-31"}, "day", id="digest-day-9999-12-31"),
    pytest.param("/ui/digest", {"campaign": "asean", "day": "0001-01-01"}, "day", id="digest-day-0001-01-01"),
    pytest.param("/ui/digest", {"campaign": "doesnotexist"}, "doesnotexist", id="digest-unknown-campaign"),
    pytest.param("/ui/static/%00", {}, "Not Found", id="static-null-byte"),
    pytest.param("/ui/static/vendor/%00.js", {}, "Not Found", id="static-null-byte-nested"),
    *[pytest.param(path, {"q": q}, "position", id=f"{path}?q={q}") for path, q in
      (("/posts", "(vaksin OR"), ("/export/posts", "vaksin~2"), ("/ui/analyst", '"unclosed'))],
]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One served app for the whole module (these requests change nothing)."""
    with served(make_settings(tmp_path_factory.mktemp("bad-input"))) as live:
        yield live


def _client(api, key: str) -> httpx.Client:
    """The API reads the key header, the pages the opaque session cookie that logging in sets."""
    client = httpx.Client(base_url=api.url, headers={"X-API-Key": key}, timeout=30)
    assert client.post("/ui/login", data={"key": key}).status_code == 303 and client.cookies.get(COOKIE)
    return client


def _message(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        return str(body.get("message") or body.get("detail") or "")
    return response.text


def test_unreadable_search_is_a_400_naming_the_position(api):
    key = make_key(api.settings, "analyst", "*", name="bad-query")
    with closing(_client(api, key)) as client:
        response = client.get("/posts", params={"q": "hotel AND (gratis OR"})
        page = client.get("/ui/analyst", params={"q": "hotel^2"})
    assert response.status_code == 400 and response.json()["error"] == "invalid query"
    assert response.json()["position"] == 20 and "position 20" in response.json()["message"]
    assert page.status_code == 400 and "boosts ^ are not supported (at position 0)" in page.text


@pytest.mark.parametrize(("path", "params", "word"), CASES)
def test_bad_input_is_a_4xx_with_a_message(api, path, params, word):
    key = make_key(api.settings, "admin", "*", name="bad-input")
    with closing(_client(api, key)) as client:
        response = client.get(path, params=params)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert word in _message(response), response.text[:500]  # names what was wrong
    assert "Traceback" not in response.text


def test_valid_extreme_query_times_still_answer(api):
    """The edge refuses only instants UTC cannot hold: the first and last representable ones are valid filters."""
    for params in ({"since": "0001-01-01T00:00:00Z"}, {"until": "9999-12-31T23:59:59Z"},
                   {"since": "0001-01-01T01:00:00+01:00", "until": "9999-12-31T22:59:59-01:00"}):
        assert api.admin.get("/posts", params=params).status_code == 200, params
        assert api.admin.get("/summary/hoax-trend", params=params).status_code == 200, params


def test_trending_baseline_before_year_one_is_a_4xx(api):
    response = api.admin.get("/trending", params={"campaign": "asean", "until": "0001-01-03T00:00:00Z"})
    assert response.status_code == 422 and "until" in response.json()["message"]


def test_ui_dates_are_days(api):
    key = make_key(api.settings, "analyst", "*")
    with closing(_client(api, key)) as client:
        ok = client.get("/ui/analyst", params={"since": "2024-11-01", "until": "2024-11-02"})
        assert ok.status_code == 200 and 'class="error"' not in ok.text
        bad = client.get("/ui/analyst", params={"until": "9999-12-31"})  # inclusive: ends at a 10000-01-01
        assert bad.status_code == 422 and "until" in bad.text


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc", "9" * 5000])
def test_sse_bad_last_event_id_is_refused_before_the_stream_starts(api, value):
    """It used to answer 200, send `hello`, then abort the stream when the replay query overflowed SQLite."""
    with api.admin.stream("GET", "/alerts/stream", headers={"Last-Event-ID": value}) as response:
        assert response.status_code == 400
        response.read()
    assert "Last-Event-ID" in response.json()["detail"]


def test_sse_largest_valid_last_event_id_streams(api):
    with api.admin.stream("GET", "/alerts/stream", headers={"Last-Event-ID": str(2**63 - 1)}) as response:
        assert response.status_code == 200
        first = next(response.iter_lines())
    assert first == "event: hello"


def test_unexpected_error_answers_json_without_internals(api_settings):
    """A bug (not bad input) is still a 500, but a short JSON one: no traceback, no exception text."""
    app = create_app(api_settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret-internal-detail")

    with serve(app) as url:
        response = httpx.get(f"{url}/boom", timeout=30)
    assert response.status_code == 500
    assert response.json() == {"error": "internal error", "message": "unexpected server error (logged)"}
    assert "secret-internal-detail" not in response.text and "Traceback" not in response.text
