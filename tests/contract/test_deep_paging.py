"""Pages past Elasticsearch's result window give the same posts as SQLite (and as the shallow pages before them).

The ES test index gets a small index.max_result_window, so a few hundred posts exercise the search_after path
that a production index (window 10,000) takes for offset=10000&limit=500; tests/api/test_deep_pages.py runs that
exact request on a default index.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from service.store.base import Page, PostQuery
from tests.conftest import BACKENDS
from tests.factories import T0, engaged, make_post

WINDOW = 40
N = 130


def expected(posts, sort: str) -> list[str]:
    """The documented order, computed here: ties on the sort key are broken by id ascending."""
    by_id = sorted(posts, key=lambda p: p.id)
    if sort == "oldest":
        return [p.id for p in sorted(by_id, key=lambda p: p.created_at)]
    if sort == "newest":
        return [p.id for p in sorted(by_id, key=lambda p: p.created_at, reverse=True)]
    return [p.id for p in sorted(by_id, key=lambda p: (p.engagement.total or 0, p.created_at), reverse=True)]


@pytest.fixture(scope="module", params=list(BACKENDS))
def paged(request, tmp_path_factory):
    """One store per backend for the module (the tests only read), with the posts written once."""
    store = BACKENDS[request.param](tmp_path_factory.mktemp(request.param))
    if request.param == "elasticsearch":
        store.es.indices.put_settings(index=store.index, settings={"index": {"max_result_window": WINDOW}})
    # two posts per hour (created_at ties) and five engagement levels (engagement ties): the tie-breakers matter
    posts = [engaged(make_post(i, created_at=T0 + timedelta(hours=i // 2), campaigns=["asean" if i % 3 else "g20"]),
                     likes=i % 5) for i in range(N)]
    store.upsert(posts)
    yield store, posts
    if request.param == "elasticsearch":
        store.drop()
    store.close()


@pytest.mark.parametrize("sort", ["newest", "oldest", "engagement"])
def test_any_page_is_the_slice_of_the_documented_order(paged, sort):
    store, posts = paged
    order = expected(posts, sort)
    for offset, limit in [(0, 25), (30, 25), (39, 2), (10, 45), (95, 30), (129, 5), (130, 5), (500, 10)]:
        result = store.search(PostQuery(), Page(offset=offset, limit=limit, sort=sort))
        assert result.total == N
        assert [p.id for p in result.posts] == order[offset:offset + limit], (offset, limit)


def test_deep_pages_keep_filters_and_totals(paged):
    store, posts = paged
    asean = [p for p in posts if "asean" in p.campaigns]
    result = store.search(PostQuery(campaign="asean"), Page(offset=50, limit=20, sort="oldest"))
    assert result.total == len(asean)
    assert [p.id for p in result.posts] == expected(asean, "oldest")[50:70]


def test_walking_every_page_visits_each_post_once(paged):
    store, posts = paged
    seen = []
    for offset in range(0, N, 17):
        seen += [p.id for p in store.search(PostQuery(), Page(offset=offset, limit=17, sort="newest")).posts]
    assert seen == expected(posts, "newest")


def test_relevance_deep_page_continues_the_shallow_ones(paged):
    """Scores differ between backends, but on one backend a deep page continues the shallow ones exactly."""
    store, _ = paged
    query = PostQuery(text="ASEAN Jakarta")
    shallow = [p.id for p in store.search(query, Page(offset=0, limit=WINDOW, sort="relevance")).posts]
    deep = [p.id for p in store.search(query, Page(offset=20, limit=WINDOW, sort="relevance")).posts]
    assert deep[:WINDOW - 20] == shallow[20:]
    assert len(deep) == WINDOW and len(set(deep)) == WINDOW
