"""The deepest page the API accepts (offset=10000&limit=500) on a real Elasticsearch index with its default result
window (10,000): 200 and the same posts as SQLite, in the documented order.

It used to answer 503 "store unavailable" on Elasticsearch (from+size past the window is refused there).
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from elasticsearch import helpers

from service.api.app import create_app
from service.api.auth import AuthConfig
from service.store.elastic import ElasticStore
from service.store.sqlite import SQLiteStore
from tests.api.keys import keyed_client, make_key, make_settings
from tests.factories import T0, engaged, make_post
from bench.loopback import serve

pytestmark = pytest.mark.es

N = 10_600  # > offset 10,000 + limit 500


def _posts():
    # created_at ties (two posts a minute) and engagement ties (seven levels): the id tie-breaker decides
    return [engaged(make_post(i, text=f"p{i}", created_at=T0 + timedelta(minutes=i // 2)), likes=i % 7)
            for i in range(N)]


@pytest.fixture(scope="module")
def clients(tmp_path_factory, es_url):
    posts = _posts()
    sqlite_settings = make_settings(tmp_path_factory.mktemp("deep-sqlite"))
    es_settings = make_settings(tmp_path_factory.mktemp("deep-es")).model_copy(update={
        "store": "elasticsearch", "es_url": es_url, "es_index": f"nwtest-deep-{uuid.uuid4().hex[:8]}"})
    sqlite = SQLiteStore(sqlite_settings.sqlite_path)
    sqlite.init()
    sqlite.upsert(posts)
    sqlite.close()
    es = ElasticStore(es_url, index=es_settings.es_index)
    es.init()
    helpers.bulk(es.es, (es._action(p) for p in posts), chunk_size=2000, refresh=True)  # fresh ids: no merge needed
    try:
        with serve(create_app(sqlite_settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))) as s_url, \
                serve(create_app(es_settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000))) as e_url:
            out = {"sqlite": keyed_client(s_url, make_key(sqlite_settings)),
                   "elasticsearch": keyed_client(e_url, make_key(es_settings))}
            for c in out.values():
                c.timeout = 60
            yield posts, out
            for c in out.values():
                c.close()
    finally:
        es.drop()
        es.close()


@pytest.mark.parametrize("sort", ["newest", "engagement"])
def test_deepest_page_is_200_and_identical_on_both_backends(clients, sort):
    posts, by_backend = clients
    pages = {}
    for backend, client in by_backend.items():
        response = client.get("/posts", params={"offset": 10_000, "limit": 500, "sort": sort})
        assert response.status_code == 200, (backend, response.status_code, response.text[:300])
        body = response.json()
        assert body["total"] == N
        pages[backend] = [p["id"] for p in body["posts"]]
    by_id = sorted(posts, key=lambda p: p.id)  # then a stable sort on the key: ties stay in id order
    key = (lambda p: p.created_at) if sort == "newest" else (lambda p: (p.engagement.total, p.created_at))
    documented = [p.id for p in sorted(by_id, key=key, reverse=True)]
    assert pages["elasticsearch"] == pages["sqlite"] == documented[10_000:10_500]
