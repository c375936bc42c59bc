"""SQLite-specific guarantees beyond the shared contract."""
import sqlite3
import threading

import pytest

from service.store.base import PostQuery, StoreRejected, StoreUnavailable
from service.store.sqlite import SQLiteStore
from tests.factories import make_post


def _fail_second_write(store, monkeypatch, exc):
    """Writing make_post(2) raises `exc`, every time (a document is refused for what it is)."""
    real_write = store._write

    def failing(post, old):
        if post.id == make_post(2).id:
            raise exc
        real_write(post, old)

    monkeypatch.setattr(store, "_write", failing)
    return real_write


def _not_locked(tmp_path, n: int) -> None:
    other = SQLiteStore(tmp_path / "db.sqlite")  # another connection, as another request thread would have
    other.db.execute("PRAGMA busy_timeout=1000")
    done = []
    t = threading.Thread(target=lambda: done.append(other.upsert([make_post(n)])))
    t.start()
    t.join(5)
    assert done == [1], "a second writer was blocked by the failed transaction"


def test_a_failed_write_rolls_back_and_never_leaves_the_file_locked(tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "db.sqlite")
    store.init()
    real_write = _fail_second_write(store, monkeypatch, sqlite3.OperationalError("disk I/O error"))
    with pytest.raises(StoreUnavailable):  # the file, not a document: the whole batch is retried later
        store.upsert([make_post(1), make_post(2), make_post(3)])
    monkeypatch.setattr(store, "_write", real_write)
    _not_locked(tmp_path, 4)
    assert store.count(PostQuery()) == 1  # nothing of the failed batch was kept


def test_a_document_sqlite_cannot_take_is_rejected_alone(tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "db.sqlite")
    store.init()
    real_write = _fail_second_write(store, monkeypatch,
                                    OverflowError("Python int too large to convert to SQLite INTEGER"))
    with pytest.raises(StoreRejected) as info:
        store.upsert([make_post(1), make_post(2), make_post(3)])
    assert info.value.rejected.keys() == {make_post(2).id} and info.value.stored == 2
    assert "OverflowError" in info.value.rejected[make_post(2).id]
    monkeypatch.setattr(store, "_write", real_write)
    _not_locked(tmp_path, 4)
    # the rejected post left nothing behind (no orphan index rows), the others are complete
    assert sorted(p.native_id for p in store.scan(PostQuery())) == ["1", "3", "4"]
    assert store.db.execute("SELECT count(*) FROM posts_search").fetchone()[0] == 3


def test_broad_searches_walk_the_date_index_to_the_same_pages(tmp_path, monkeypatch):
    """A search with many matches reads its date-ordered page by walking the date index (service/store/sqlite.py,
    BROAD) and counts in the full-text index: the same posts, totals and order as the plain plan."""
    from service.store import sqlite as sqlite_store
    from service.store.base import Page

    store = SQLiteStore(tmp_path / "s.db")
    store.init()
    store.upsert([make_post(i, f"vaksin {'hoaks' if i % 3 else 'aman'} nomor {i}", created_at=make_post(i % 7)
                            .created_at, campaigns=["asean" if i % 2 else "g20"]) for i in range(60)])
    cases = [(PostQuery(text=q, campaigns=c), Page(offset=o, limit=7, sort=s)) for q in ("vaksin", "vaksin -hoaks")
             for c in (None, ["g20"]) for o in (0, 14) for s in ("newest", "oldest")]

    def answers():
        return [(r.total, [p.id for p in r.posts]) for r in (store.search(q, p) for q, p in cases)]
    plain = answers()
    monkeypatch.setattr(sqlite_store, "BROAD", 0)
    assert answers() == plain and plain[0][0] == 60 and plain[4][0] == 30


def test_a_file_from_before_the_hoax_order_gets_its_score_column(tmp_path):
    from core.domain import Classification
    from service.store.base import Page

    store = SQLiteStore(tmp_path / "posts.db")
    store.init()
    posts = [make_post(i) for i in range(3)]
    for post, score in zip(posts, (0.2, 0.9, 0.5)):
        post.classification = Classification(hoax_score=score)
    store.upsert(posts)
    store.db.execute("ALTER TABLE posts DROP COLUMN hoax_score")  # the file as an older version wrote it
    store.init()
    ranked = store.search(PostQuery(), Page(sort="hoax")).posts
    assert [p.classification.hoax_score for p in ranked] == [0.9, 0.5, 0.2]


def test_a_file_from_before_the_field_tags_is_upgraded_once_keeping_its_analysed_text(tmp_path, monkeypatch):
    """The search table gained `tags` (field values, so a search with field operators and a workspace's campaigns
    is one MATCH): an existing file gets it at init, once, without analysing every text again."""
    from service.store import sqlite as sqlite_store

    store = SQLiteStore(tmp_path / "posts.db")
    store.init()
    store.upsert([make_post(1, "Vaksinasi lansia", platform="telegram", campaigns=["asean", "g20"],
                            links=["https://news.kompas.com/a"], hashtags=["cekfakta"]),
                  make_post(2, "Vaksin booster", author="@dinkes")])
    db = store.db  # the table as the version before wrote it; a stem the text has not, to tell kept from redone
    db.execute("DROP TABLE posts_search")
    db.execute("CREATE VIRTUAL TABLE posts_search USING fts5(stems, words, "
               "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")")
    db.execute("INSERT INTO posts_search (rowid, stems, words) SELECT rowid, 'vaksin kept', 'vaksinasi kept' "
               "FROM posts")
    analysed = []
    monkeypatch.setattr(sqlite_store, "indexed", lambda *a: analysed.append(a) or ("", ""))
    store.init()
    assert analysed == []
    found = lambda q, **f: {p.native_id for p in store.search(PostQuery(text=q, **f)).posts}  # noqa: E731
    assert found("kept") == {"1", "2"}
    assert found("vaksin platform:telegram domain:kompas.com hashtag:cekfakta campaign:g20") == {"1"}
    assert found("vaksin", campaigns=["g20"]) == {"1"} and found("author:dinkes") == {"2"}
    monkeypatch.setattr(store, "_reindex_search", None)  # once: the next start finds the tags, leaves the table
    store.init()
