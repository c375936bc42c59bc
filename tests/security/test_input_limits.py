"""Issue 11 item 7: bounded input. A real uvicorn server on loopback: oversized bodies are answered 413 before the
app reads them and before the key is checked; text is truncated with a flag; names and lists are capped; requests
without a valid key and failed log-ins are rate limited per address; audit rows keep a bounded path."""
from __future__ import annotations

import select
import socket
import time

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import AUDIT_PATH_MAX, AuthConfig, KeyStore
from core.domain import TEXT_MAX
from tests.api.keys import keyed_client, make_key, make_settings
from tests.factories import make_post
from bench.loopback import serve

LIMIT = 1 << 20  # 1 MiB for these tests


@pytest.fixture()
def small_limit(tmp_path):
    settings = make_settings(tmp_path).model_copy(update={"max_body_bytes": LIMIT})
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000, anon_rate_per_second=1000,
                                                      anon_burst=1000))
    with serve(app) as url:
        yield url, settings


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def _read_response(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_declared_oversized_body_is_refused_unread_and_before_auth(small_limit):
    url, _ = small_limit
    with _connect(url) as sock:  # no key, 200 MB announced, not one byte of body sent
        sock.sendall(b"POST /posts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 200000000\r\n\r\n")
        started = time.monotonic()
        response = _read_response(sock)
    assert _status(response) == 413, response[:200]  # not 401: refused before the key is looked at
    assert time.monotonic() - started < 5
    assert b"connection: close" in response.lower()


def test_streamed_body_without_length_is_cut_off_at_the_limit(small_limit):
    url, _ = small_limit
    chunk = b"[" + b" " * (64 * 1024 - 2) + b"]"
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    total, cap = 0, 64 * LIMIT  # we would send 64 MiB; the server must answer long before
    with _connect(url) as sock:
        sock.sendall(b"POST /posts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        sock.settimeout(2)
        answered = False
        while total < cap:
            if select.select([sock], [], [], 0)[0]:
                answered = True
                break
            try:
                sock.sendall(framed)
            except (socket.timeout, BrokenPipeError, ConnectionResetError):
                break  # the server stopped reading
            total += len(chunk)
        response = _read_response(sock)
    assert _status(response) == 413, response[:200]
    assert total < 16 * LIMIT, f"sent {total} bytes before the answer"  # socket buffers hold a few MiB at most
    assert answered or total < cap


def test_authenticated_bodies_under_the_limit_pass_and_over_it_get_413(small_limit):
    url, settings = small_limit
    with keyed_client(url, make_key(settings, "admin", "*")) as admin:
        ok = admin.post("/posts", json=[make_post(1).model_dump(mode="json")])
        assert ok.status_code == 202, ok.text
        big = [make_post(i, text="x" * 50_000).model_dump(mode="json") for i in range(40)]  # ~2 MB
        r = admin.post("/posts", json=big)
        assert r.status_code == 413 and "NW_MAX_BODY_BYTES" in r.json()["detail"]
        assert admin.get("/posts").json()["total"] == 1


def test_long_text_is_truncated_with_a_flag(api):
    long = make_post(1, text="vaksin " + "a" * (TEXT_MAX + 5000))
    r = api.admin.post("/posts", json=[long.model_dump(mode="json"), make_post(2).model_dump(mode="json")])
    assert r.status_code == 202 and r.json()["truncated"] == 1 and r.json()["stored"] == 2
    stored = api.admin.get(f"/posts/{long.id}").json()
    assert stored["truncated"] is True and len(stored["text"]) == TEXT_MAX
    assert api.admin.get(f"/posts/{make_post(2).id}").json()["truncated"] is False


@pytest.mark.parametrize("path,body", [
    ("/auth/keys", {"name": "k" * 50_000, "role": "pr", "workspace": "kemkes"}),
    ("/campaigns", {"id": "c1", "name": "n" * 5000, "workspace": "kemkes"}),
    ("/campaigns", {"id": "c1", "name": "n", "workspace": "kemkes", "keywords": ["k"] * 10_000}),
    ("/campaigns", {"id": "c1", "name": "n", "workspace": "kemkes", "hashtags": ["h" * 5000]}),
    ("/campaigns", {"id": "c1", "name": "n", "workspace": "w" * 5000}),
    ("/posts", [make_post(1, hashtags=[]).model_dump(mode="json") | {"hashtags": [f"t{i}" for i in range(5000)]}]),
    ("/posts", [make_post(1).model_dump(mode="json") | {"links": ["https://e.org/" + "p" * 10_000]}]),
    ("/posts", [make_post(1).model_dump(mode="json") | {"author": "a" * 10_000}]),
], ids=["key-name", "campaign-name", "keywords", "hashtag", "workspace", "post-hashtags", "post-link", "author"])
def test_names_and_lists_are_capped_with_a_422(api, path, body):
    r = api.admin.post(path, json=body)
    assert r.status_code == 422, r.text
    assert any(w in r.json()["message"] for w in ("at most", "pattern")), r.text
    assert api.admin.get("/posts").json()["total"] == 0
    assert api.admin.get("/campaigns/c1").status_code == 404


def test_requests_without_a_valid_key_are_rate_limited_per_address(tmp_path):
    settings = make_settings(tmp_path)
    app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000,
                                                      anon_rate_per_second=0.2, anon_burst=3))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as anon:
        codes = [anon.get("/posts", headers={"X-API-Key": f"nwk_000000000000_{'x' * 40}{i}"}).status_code
                 for i in range(3)]
        assert codes == [401, 401, 401]
        r = anon.get("/posts")
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 15  # 3 per 15 s window
        # failed log-ins spend the same budget: the form is refused before the key is even checked
        assert anon.post("/ui/login", data={"key": make_key(settings, "admin", "*")}).status_code == 429
        assert anon.get("/health").status_code == 200  # never limited
    # a flood of refused attempts does not flood the audit log: the 429s are not written
    assert KeyStore(settings).log.count({"status": 429}) == 0


def test_failed_logins_are_rate_limited(tmp_path):
    settings = make_settings(tmp_path)
    app = create_app(settings, auth_config=AuthConfig(anon_rate_per_second=0.2, anon_burst=2))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as browser:
        codes = [browser.post("/ui/login", data={"key": f"nwk_000000000000_{'y' * 40}{i}"}).status_code
                 for i in range(3)]
        assert codes == [401, 401, 429]


def test_audit_rows_store_a_bounded_path(api):
    r = api.admin.post("/campaigns?" + "q=" + "z" * 12_000, json={"id": "c2", "name": "n", "workspace": "kemkes"})
    assert r.status_code == 201
    row = api.admin.get("/auth/audit", params={"limit": 1}).json()[0]
    assert row["path"].startswith("/campaigns?q=zzz") and len(row["path"]) <= AUDIT_PATH_MAX
    assert max(len(d.body["path"]) for d in KeyStore(api.settings).log.scan()) <= AUDIT_PATH_MAX
