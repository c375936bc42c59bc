"""The shared-state contract (service/store/documents.py): this file runs unchanged on SQLite and a real
Elasticsearch node. Optimistic concurrency is checked with real contention (threads, then separate processes)."""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest

from service.store.documents import Conflict, Doc, open_documents, update

FIELDS = {"status": "keyword", "at": "date", "n": "long", "score": "double", "open": "bool", "title": "text"}
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def docs(state_settings):
    return open_documents(state_settings, "things", FIELDS)


def test_create_get_and_duplicate_create_conflicts(docs):
    doc = docs.create("a", {"status": "new", "at": T0, "nested": {"x": [1, 2]}, "n": 3})
    assert isinstance(doc, Doc) and doc.body["at"] == T0.isoformat()  # bodies read back as plain JSON
    got = docs.get("a")
    assert got == doc and got.body["nested"] == {"x": [1, 2]}
    assert docs.get("missing") is None
    with pytest.raises(Conflict):
        docs.create("a", {"status": "other"})
    assert docs.get("a").body["status"] == "new"  # the losing create changed nothing


def test_replace_needs_the_current_version(docs):
    v1 = docs.create("a", {"status": "new"})
    v2 = docs.replace("a", {"status": "acked"}, v1.version)
    assert v2.version != v1.version and docs.get("a").version == v2.version
    with pytest.raises(Conflict):
        docs.replace("a", {"status": "resolved"}, v1.version)  # stale
    assert docs.get("a").body == {"status": "acked"}
    assert docs.delete("a", v2.version)
    with pytest.raises(Conflict):
        docs.replace("a", {"status": "back"}, v2.version)  # deleted meanwhile: not resurrected
    assert docs.get("a") is None


def test_put_is_last_writer_wins_and_delete(docs):
    first = docs.put("a", {"status": "x"})
    second = docs.put("a", {"status": "y"})
    assert docs.get("a").body == {"status": "y"} and second.version != first.version
    with pytest.raises(Conflict):
        docs.delete("a", first.version)
    assert docs.delete("a") is True
    assert docs.delete("a") is False and docs.delete("a", second.version) is False
    assert docs.count() == 0


def test_put_many_writes_in_one_go_and_never_replaces_newer_state(docs):
    assert docs.put_many({f"m{i}": {"status": "new", "n": 2} for i in range(3)}, newer="n") == 3
    assert docs.count({"status": "new"}) == 3  # searchable once written, like put
    written = docs.put_many({"m0": {"status": "stale", "n": 1}, "m1": {"status": "same", "n": 2},
                             "m2": {"status": "newer", "n": 3}, "m3": {"status": "fresh", "n": 0}}, newer="n")
    assert written == 3  # the late writer's n=1 is dropped; equal and higher numbers are applied
    assert [docs.get(f"m{i}").body["status"] for i in range(4)] == ["new", "same", "newer", "fresh"]
    assert docs.put_many({"m0": {"status": "any"}}) == 1 and docs.get("m0").body == {"status": "any"}
    assert docs.put_many({}) == 0
    with pytest.raises(ValueError):
        docs.put_many({"m9": {"status": "x"}}, newer="n")  # the order field must be in every body
    with pytest.raises(ValueError):
        docs.put_many({"m9": {"status": "x", "at": T0}}, newer="at")  # and a declared long


def test_find_filters_sort_and_keyset_paging(docs):
    for i in range(12):
        docs.create(f"d{i:02d}", {"status": ["new", "acked", "resolved"][i % 3], "at": T0 + timedelta(minutes=i),
                                  "n": None if i % 4 == 0 else i // 2, "score": i / 10, "open": i % 2 == 0,
                                  "title": f"Hoaks vaksin nomor {i}" if i < 6 else f"Banjir Jakarta {i}"})
    ids = lambda found: [d.id for d in found]  # noqa: E731
    assert docs.count() == 12 and docs.count({"status": "new"}) == 4
    assert ids(docs.find({"status": {"in": ["acked", "resolved"]}, "open": True}, [("at", "asc")])) == \
        ["d02", "d04", "d08", "d10"]
    assert ids(docs.find({"at": {"gte": T0 + timedelta(minutes=3), "lt": T0 + timedelta(minutes=5)}})) == \
        ["d03", "d04"]
    assert ids(docs.find({"at": {"gt": (T0 + timedelta(minutes=10)).isoformat()}})) == ["d11"]  # ISO text too
    assert ids(docs.find({"n": None})) == ["d00", "d04", "d08"]
    assert ids(docs.find({"score": {"gte": 0.95}})) == ["d10", "d11"]
    assert ids(docs.find({"title": {"match": "VAKSIN hoaks"}}, [("at", "desc")], limit=2)) == ["d05", "d04"]
    assert docs.count({"status": {"in": []}}) == 0
    assert ids(docs.find(sort=[("at", "desc")], limit=3)) == ["d11", "d10", "d09"]
    # ties and missing values: nulls first ascending, last descending, id breaks ties, pages neither skip nor repeat
    for direction in ("asc", "desc"):
        whole = ids(docs.find(sort=[("n", direction)], limit=100))
        nulls = ["d00", "d04", "d08"]
        assert (whole[:3] if direction == "asc" else whole[-3:]) == nulls
        paged, after = [], None
        while page := docs.find(sort=[("n", direction)], limit=5, after=after):
            paged += ids(page)
            after = page[-1]
        assert paged == whole
    assert ids(docs.scan({"open": False}, page=2)) == ["d01", "d03", "d05", "d07", "d09", "d11"]


def test_keywords_lists_substrings_and_bulk_puts(state_settings):
    """A keywords field matches when any of its keywords does (never a part of one); `contains` is a substring
    of a keyword field, `*` and `?` taken literally; put_many writes many at once, last writer wins."""
    docs = open_documents(state_settings, "tagged", {"tags": "keywords", "path": "keyword"})
    assert docs.put_many({"a": {"tags": ["kemkes", "asean-2026"], "path": "/alerts/a_1/ack?x=*"},
                          "b": {"tags": ["kemkes-ri"], "path": "/alerts/a_10"}, "c": {"tags": [], "path": "/rules"},
                          "d": {"path": "/rules/x"}}) == 4
    ids = lambda where: [d.id for d in docs.find(where)]  # noqa: E731
    assert ids({"tags": "kemkes"}) == ["a"] and ids({"tags": "kemkes-ri"}) == ["b"] and ids({"tags": "ri"}) == []
    assert ids({"tags": {"in": ["asean-2026", "kemkes-ri"]}}) == ["a", "b"] and ids({"tags": None}) == ["c", "d"]
    assert ids({"path": {"contains": "/a_1"}}) == ["a", "b"] and ids({"path": {"contains": "a_1/"}}) == ["a"]
    assert ids({"path": {"contains": "x=*"}}) == ["a"] and ids({"path": {"contains": "a_?"}}) == []
    assert ids({"path": {"contains": "/RULES"}}) == [] and docs.count({"path": {"contains": "rules"}}) == 2
    docs.put_many({"a": {"tags": ["other"]}})
    assert docs.get("a").body == {"tags": ["other"]} and ids({"tags": "kemkes"}) == []
    with pytest.raises(ValueError):
        docs.find(sort=[("tags", "asc")])
    with pytest.raises(ValueError):
        docs.put("e", {"tags": "kemkes"})  # a list, not a string
    with pytest.raises(ValueError):
        docs.put("e", {"tags": ["a,b"]})


def test_undeclared_fields_and_bad_bodies_are_refused(docs):
    docs.create("a", {"status": "new", "other": 1})
    with pytest.raises(ValueError):
        docs.find({"other": 1})
    with pytest.raises(ValueError):
        docs.find(sort=[("title", "asc")])
    with pytest.raises(TypeError):
        docs.create("b", ["not", "an", "object"])
    with pytest.raises(ValueError):
        docs.create("c", {"at": "not a date"})
    assert docs.count() == 1


def test_concurrent_replaces_exactly_one_wins(docs):
    base = docs.create("hot", {"n": 0})
    results: list[str] = []
    barrier = threading.Barrier(6)

    def contender(k: int) -> None:
        barrier.wait()
        try:
            docs.replace("hot", {"n": k}, base.version)
            results.append("won")
        except Conflict:
            results.append("lost")

    threads = [threading.Thread(target=contender, args=(k,)) for k in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["lost"] * 5 + ["won"]


INCREMENT = """
import sys
from service.config import Settings
from service.store.documents import open_documents, update
settings = Settings(data_dir=sys.argv[1], store=sys.argv[2], es_url=sys.argv[3], es_index=sys.argv[4])
docs = open_documents(settings, "things", {"n": "long"})
for _ in range(int(sys.argv[5])):
    update(docs, "counter", lambda body: {"n": (body or {"n": 0})["n"] + 1}, retries=500)
"""


def test_update_loses_no_increment_across_processes_and_threads(docs, state_settings):
    """Two processes and two threads increment one counter through update(): every increment counts."""
    s = state_settings
    args = [str(s.data_dir), s.store, s.es_url, s.es_index, "10"]
    procs = [subprocess.Popen([sys.executable, "-c", INCREMENT, *args]) for _ in range(2)]
    threads = [threading.Thread(target=lambda: [update(docs, "counter", lambda b: {"n": (b or {"n": 0})["n"] + 1},
                                                       retries=500) for _ in range(10)]) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert docs.get("counter").body["n"] == 40
