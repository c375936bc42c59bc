"""Result orders (issue 15 item 4): every sort pages and scans alike on SQLite and Elasticsearch, ties included."""
from __future__ import annotations

from core.domain import Classification, Engagement
from service.store.base import SORTS, Page, PostQuery
from tests.factories import T0, make_post

# (native id, likes, hoax score): ties on engagement and on hoax score, unscored posts, and three posts at one instant
ROWS = [("a", 5, 0.5), ("b", 50, None), ("c", 5, 0.9), ("d", 0, 0.5), ("e", 12, 0.1), ("f", 50, None),
        ("g", 12, 0.75)]
SAME_INSTANT = {"d", "e", "f"}


def _posts():
    posts = []
    for n, (native, likes, score) in enumerate(ROWS):
        post = make_post(n, f"vaksin {'hoaks ' * (n % 3)}nomor {native}", native_id=native,
                         created_at=T0 if native in SAME_INSTANT else T0.replace(hour=n + 1))
        post.engagement = Engagement(likes=likes)
        post.classification = Classification(hoax_score=score, hoax=bool(score and score > 0.7))
        posts.append(post)
    return posts


def _expected(posts, sort: str) -> list[str]:
    newest = sorted(posts, key=lambda p: p.id)  # ties on the instant: id ascending
    newest.sort(key=lambda p: p.created_at, reverse=True)
    if sort == "oldest":
        ordered = sorted(sorted(posts, key=lambda p: p.id), key=lambda p: p.created_at)
    elif sort == "engagement":
        ordered = sorted(newest, key=lambda p: p.engagement.total, reverse=True)
    elif sort == "hoax":
        scored = sorted((p for p in newest if p.classification.hoax_score is not None),
                        key=lambda p: p.classification.hoax_score, reverse=True)
        ordered = scored + [p for p in newest if p.classification.hoax_score is None]
    else:  # newest, and relevance without text
        ordered = newest
    return [p.native_id for p in ordered]


def test_each_sort_pages_and_scans_in_the_same_order(store):
    posts = _posts()
    store.upsert(posts)
    store.scan_page = 2  # a scan resumes after a tie more than once
    for sort in SORTS:
        expected = _expected(posts, sort)
        first, second = (store.search(PostQuery(), Page(offset=o, limit=4, sort=sort)).posts for o in (0, 4))
        assert [p.native_id for p in first + second] == expected, sort
        assert [p.native_id for p in store.scan(PostQuery(), sort)] == expected, sort


def test_relevance_scan_follows_the_ranked_page(store):
    store.upsert(_posts())
    store.scan_page = 2
    query = PostQuery(text="vaksin OR hoaks")
    ranked = [p.native_id for p in store.search(query, Page(limit=50, sort="relevance")).posts]
    assert len(ranked) == len(ROWS) and ranked != _expected(_posts(), "newest")  # the hoaks posts rank first
    assert [p.native_id for p in store.scan(query, "relevance")] == ranked
    assert [p.native_id for p in store.scan(PostQuery(text="hoaks"), "hoax")] == ["c", "e", "f", "b"]
