import httpx
import pytest

from collectors.http import CollectorHttpError, RobotsDisallowed, parse_retry_after, rate_limit_wait


def test_retry_after_honoured_on_429(make_http, fake_time):
    calls = []

    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return httpx.Response(200, text="ok")

    http = make_http(handler)
    assert http.get("https://example.org/x").text == "ok"
    assert len(calls) == 2
    assert 7.0 in fake_time.sleeps  # waited exactly what the server asked, with the injected sleep


def test_exponential_backoff_on_5xx_then_error(make_http, fake_time):
    def handler(request):
        return httpx.Response(503)

    http = make_http(handler, max_attempts=4, backoff_base=1.0)
    with pytest.raises(CollectorHttpError) as exc:
        http.get("https://example.org/x", respect_robots=False)
    assert exc.value.status == 503
    assert fake_time.sleeps == [1.0, 2.0, 4.0]


def test_transport_errors_are_retried(make_http):
    n = {"c": 0}

    def handler(request):
        n["c"] += 1
        if n["c"] < 3:
            raise httpx.ConnectError("boom", request=request)
        return httpx.Response(200, text="fine")

    assert make_http(handler).get("https://example.org/", respect_robots=False).text == "fine"


def test_robots_disallow_blocks_fetch(make_http):
    fetched = []

    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /private/\n")
        fetched.append(request.url.path)
        return httpx.Response(200, text="ok")

    http = make_http(handler)
    with pytest.raises(RobotsDisallowed):
        http.get("https://example.org/private/feed.xml")
    assert http.get("https://example.org/public/feed.xml").text == "ok"
    assert fetched == ["/public/feed.xml"]


def test_conditional_get_304(make_http):
    def handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, text="body", headers={"ETag": '"v1"', "Last-Modified": "Thu, 02 May 2024 03:00:00 GMT"})

    http = make_http(handler)
    first = http.get("https://example.org/f", respect_robots=False)
    assert first.validators == {"etag": '"v1"', "last_modified": "Thu, 02 May 2024 03:00:00 GMT"}
    second = http.get("https://example.org/f", respect_robots=False, validators=first.validators)
    assert second.not_modified and second.validators == first.validators


def test_per_host_politeness_delay(make_http, fake_time):
    http = make_http(lambda r: httpx.Response(200, text="x"), host_delay=2.0)
    for _ in range(3):
        http.get("https://a.example/", respect_robots=False)
    http.get("https://b.example/", respect_robots=False)
    assert fake_time.sleeps == [2.0, 2.0]  # only same-host requests wait


def test_retry_after_http_date_and_rate_limit_headers():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=0) == 60.0
    assert parse_retry_after("garbage") is None
    from datetime import datetime, timezone
    now = datetime(2022, 12, 1, 20, 59, 0, tzinfo=timezone.utc)
    assert rate_limit_wait({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2022-12-01T21:00:00.609574Z"}, now=now) == pytest.approx(60.6, abs=0.1)
    assert rate_limit_wait({"X-RateLimit-Remaining": "189", "X-RateLimit-Reset": "2022-12-01T21:00:00Z"}, now=now) == 0.0
