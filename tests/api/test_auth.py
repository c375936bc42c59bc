"""Keys stored hashed, the role permission matrix, workspaces, audit log, rate limit."""
from __future__ import annotations

import hashlib

import httpx
import pytest

from service.api.auth import PERMISSIONS, ROLES, AuthConfig, KeyStore, allowed, create_key, resource_of
from service.api.ratelimit import TokenBucket
from service.api.app import create_app
from tests.api.keys import keyed_client, make_key, state_bytes
from tests.factories import classified, make_post
from bench.loopback import serve


def seed(api) -> None:
    posts = [make_post(i, campaigns=[], text=t) for i, t in enumerate([
        "KTT ASEAN di Jakarta berjalan lancar", "Delegasi ASEAN tiba di bandara",
        "Vaksin booster tersedia di puskesmas", "Hoaks vaksin berisi chip beredar lagi",
        "Program cegah stunting di desa", "Cuaca cerah hari ini"])]
    posts = [classified(p, s) for p, s in zip(posts, ["positive", "neutral", "positive", "negative", "neutral",
                                                      "neutral"])]
    r = api.admin.post("/posts", json=[p.model_dump(mode="json") for p in posts])
    assert r.status_code == 202, r.text


def test_keys_are_stored_hashed(api_settings):
    key = create_key(api_settings, "Tim humas", "pr", "kemkes")
    assert key.startswith("nwk_")
    store = KeyStore(api_settings)
    [doc] = store.keys.find()
    body = doc.body
    assert body["key_hash"] == hashlib.sha256(key.encode()).hexdigest() and (body["role"], body["workspace"]) == \
        ("pr", "kemkes")
    assert key.split("_")[1] == doc.id
    raw = state_bytes(api_settings)
    assert raw and key.encode() not in raw and key.split("_", 2)[2].encode() not in raw
    assert store.verify(key).role == "pr"
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None  # wrong secret, same key id
    assert store.verify("nwk_000000000000_" + "x" * 43) is None and store.verify("") is None
    with pytest.raises(ValueError):
        create_key(api_settings, "x", "superuser", "kemkes")
    with pytest.raises(ValueError):
        create_key(api_settings, "x", "pr", "Bad Workspace")


def test_every_endpoint_but_health_needs_a_key(api):
    anon = api.anon()
    assert anon.get("/health").status_code == 200
    spec = api.admin.get("/openapi.json").json()
    # the tipline's webhooks prove themselves by secret path + header or signature (tests/api/test_tipline.py)
    public = {"/health", "/tipline/telegram/{secret_path}", "/tipline/whatsapp"}
    for path, methods in spec["paths"].items():
        if path in public:
            continue
        concrete = path.replace("{", "").replace("}", "")
        for method in methods:
            r = anon.request(method.upper(), concrete)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"
    assert anon.get("/posts", headers={"X-API-Key": "nwk_nope"}).status_code == 401
    assert {"APIKeyHeader", "HTTPBearer"} <= set(spec["components"]["securitySchemes"])


def test_header_and_bearer_both_work_and_revocation(api):
    key = make_key(api.settings, "analyst", "*")
    for scheme in ("header", "bearer"):
        with keyed_client(api.url, key, scheme) as c:
            assert c.get("/posts").status_code == 200
    key_id = key.split("_")[1]
    assert api.admin.delete(f"/auth/keys/{key_id}").status_code == 204
    with keyed_client(api.url, key) as c:
        assert c.get("/posts").status_code == 401


# (method, path, body) -> roles allowed. Alerts/rules/narratives/trending answer 503/404/422 when the engine or
# the object is missing; only 401/403 mean "refused by auth".
MATRIX = [
    ("GET", "/posts", None, {"analyst", "pr", "admin"}),
    ("GET", "/export/posts?format=ndjson", None, {"analyst", "admin"}),
    ("POST", "/posts", [], {"admin"}),
    ("GET", "/campaigns", None, {"analyst", "pr", "leadership", "admin"}),
    ("POST", "/campaigns", {"id": "newc", "name": "N", "workspace": "kemkes"}, {"admin"}),
    ("DELETE", "/campaigns/nope", None, {"admin"}),
    ("GET", "/summary/sentiment", None, {"leadership", "admin"}),
    ("GET", "/summary/share-of-voice", None, {"leadership", "admin"}),
    ("GET", "/narratives?campaign=vaksin", None, {"analyst", "pr", "admin"}),
    ("GET", "/trending?campaign=vaksin", None, {"analyst", "pr", "admin"}),
    ("GET", "/alerts", None, {"pr", "admin"}),
    ("POST", "/alerts/nope/ack", {}, {"pr", "admin"}),
    ("POST", "/alerts/nope/resolve", {}, {"pr", "admin"}),
    ("GET", "/rules", None, {"admin"}),
    ("POST", "/rules", {"name": "r", "kind": "keyword", "query": {"any": ["chip"]}}, {"admin"}),
    ("GET", "/sources", None, {"admin"}),  # an operator view: workspace '*' only (the admin here); see tests/security
    ("GET", "/metrics", None, {"admin"}),
    ("GET", "/auth/keys", None, {"admin"}),
    ("POST", "/auth/keys", {"name": "k", "role": "pr", "workspace": "kemkes"}, {"admin"}),
    ("GET", "/auth/audit", None, {"admin"}),
    ("GET", "/auth/whoami", None, {"analyst", "pr", "leadership", "admin"}),
]


@pytest.mark.parametrize("method,path,body,roles", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_permission_matrix(api, method, path, body, roles):
    for role in ROLES:
        r = api.as_(role, "kemkes" if role != "admin" else "*").request(
            method, path, json=body if body is not None else None)
        if role in roles:
            assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code, r.text)
            assert "may not" in r.json()["detail"]


def test_matrix_table_itself():
    assert allowed("admin", "anything:write") and allowed("leadership", "self:read")
    assert not allowed("analyst", "alerts:read") and not allowed("pr", "export:read")
    assert not allowed("pr", "rules:write") and not allowed("leadership", "posts:read")
    assert allowed("analyst", "export:read") and allowed("pr", "alerts:write")
    assert resource_of("/alerts/{alert_id}/ack") == "alerts" and resource_of("/alerts/rules/x") == "rules"
    assert resource_of("/auth/keys/{key_id}") == "keys" and resource_of("/export/posts") == "export"
    assert set(PERMISSIONS) == set(ROLES)


def test_workspace_restricts_campaigns_posts_and_exports(api):
    seed(api)
    kemkes = api.as_("analyst", "kemkes")
    kemlu = api.as_("analyst", "kemlu")
    assert sorted(c["id"] for c in kemkes.get("/campaigns").json()) == ["stunting", "vaksin"]
    assert [c["id"] for c in kemlu.get("/campaigns").json()] == ["asean"]
    assert kemkes.get("/campaigns", params={"workspace": "kemlu"}).json() == []
    assert kemkes.get("/campaigns/asean").status_code == 404
    assert sorted(c["id"] for c in api.admin.get("/campaigns").json()) == ["asean", "stunting", "vaksin"]

    everything = api.admin.get("/posts", params={"limit": 100}).json()
    assert everything["total"] == 6
    mine = kemkes.get("/posts", params={"limit": 100}).json()
    texts = {p["text"] for p in mine["posts"]}
    assert mine["total"] == 3 and all("ASEAN" not in t for t in texts) and "Cuaca cerah hari ini" not in texts
    assert [p["created_at"] for p in mine["posts"]] == sorted((p["created_at"] for p in mine["posts"]), reverse=True)
    assert kemkes.get("/posts", params={"limit": 1, "offset": 1}).json()["posts"][0]["id"] == mine["posts"][1]["id"]
    assert kemkes.get("/posts", params={"campaign": "asean"}).status_code == 404
    assert kemkes.get("/posts", params={"q": "ASEAN"}).json()["total"] == 0
    assert kemlu.get("/posts", params={"q": "vaksin"}).json()["total"] == 0
    asean_post = next(p for p in everything["posts"] if "KTT ASEAN" in p["text"])
    assert kemkes.get(f"/posts/{asean_post['id']}").status_code == 404
    assert kemlu.get(f"/posts/{asean_post['id']}").status_code == 200

    lines = kemkes.get("/export/posts", params={"format": "ndjson"}).text.splitlines()
    assert len(lines) == 3 and not any("ASEAN" in line for line in lines)

    leader = api.as_("leadership", "kemlu")
    sov = leader.get("/summary/share-of-voice").json()
    assert [c["campaign"] for c in sov["campaigns"]] == ["asean"]
    assert leader.get("/summary/sentiment", params={"campaign": "vaksin"}).status_code == 404


def test_workspace_admin_manages_only_its_campaigns(api):
    admin_kemkes = api.as_("admin", "kemkes")
    ok = {"id": "gizi", "name": "Gizi", "workspace": "kemkes"}
    foreign = {"id": "visa", "name": "Visa", "workspace": "kemlu"}
    assert admin_kemkes.post("/campaigns", json=ok).status_code == 201
    assert admin_kemkes.post("/campaigns", json=foreign).status_code == 403
    assert admin_kemkes.put("/campaigns/asean", json={"id": "asean", "name": "x", "workspace": "kemkes"}).status_code == 404
    assert admin_kemkes.delete("/campaigns/asean").status_code == 404
    assert api.admin.get("/campaigns/asean").status_code == 200
    assert admin_kemkes.post("/auth/keys", json={"name": "k", "role": "pr", "workspace": "kemlu"}).status_code == 403
    created = admin_kemkes.post("/auth/keys", json={"name": "k", "role": "pr", "workspace": "kemkes"})
    assert created.status_code == 201 and created.json()["key"].startswith("nwk_")
    with keyed_client(api.url, created.json()["key"]) as c:
        assert c.get("/auth/whoami").json()["workspace"] == "kemkes"


def test_audit_log_records_who_did_what(api):
    api.admin.post("/campaigns", json={"id": "pemilu", "name": "Pemilu", "workspace": "kpu"})
    api.as_("analyst", "kemkes").post("/campaigns", json={"id": "x", "name": "x"})
    api.anon().delete("/campaigns/pemilu")
    api.admin.get("/posts")  # reads are not audited
    log = api.admin.get("/auth/audit").json()
    assert [(e["method"], e["path"], e["status"], e["role"]) for e in log[:3]] == [
        ("DELETE", "/campaigns/pemilu", 401, None),
        ("POST", "/campaigns", 403, "analyst"),
        ("POST", "/campaigns", 201, "admin"),
    ]
    assert log[2]["name"] == "test-admin-*" and log[2]["key_id"] and log[2]["client"] == "127.0.0.1"
    assert all(e["method"] != "GET" for e in log)
    kemkes_admin = api.as_("admin", "kemkes")
    kemkes_admin.post("/campaigns", json={"id": "gizi", "name": "Gizi", "workspace": "kemkes"})
    assert {e["workspace"] for e in kemkes_admin.get("/auth/audit").json()} == {"kemkes"}


def test_rate_limit_token_bucket(tmp_path):
    from tests.api.keys import make_settings

    settings = make_settings(tmp_path)
    with serve(create_app(settings, auth_config=AuthConfig(rate_per_second=0.5, burst=3))) as url:
        a, b = make_key(settings, "analyst", "*"), make_key(settings, "analyst", "*")
        with keyed_client(url, a) as ca, keyed_client(url, b) as cb:
            codes = [ca.get("/campaigns").status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            r = ca.get("/campaigns")
            assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 6  # 3 per 6 s window
            assert cb.get("/campaigns").status_code == 200  # buckets are per key
            assert httpx.get(url + "/health").status_code == 200  # /health is never limited


def test_token_bucket_refills():
    bucket = TokenBucket(rate=2, burst=2)
    assert bucket.take("k", now=0) == 0 and bucket.take("k", now=0) == 0
    assert bucket.take("k", now=0) == pytest.approx(0.5)
    assert bucket.take("k", now=0.5) == 0
    assert bucket.take("other", now=0.5) == 0


def test_cookie_auth_needs_csrf_header_for_writes(api):
    key = make_key(api.settings, "admin", "*")
    with httpx.Client(base_url=api.url) as c:
        assert c.post("/ui/login", data={"key": key}).status_code == 303  # sets the session cookie
        assert c.get("/campaigns").status_code == 200
        body = {"id": "c1", "name": "c", "workspace": "kemkes"}
        assert c.post("/campaigns", json=body).status_code == 403
        assert c.post("/campaigns", json=body, headers={"X-Requested-With": "narrawatch"}).status_code == 201
