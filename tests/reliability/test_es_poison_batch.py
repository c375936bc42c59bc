"""Issue 11.1 on a real Elasticsearch node: a document ES refuses goes to quarantine with the reason, the rest of its
batch is stored, and neither the live path nor the spool replay ever blocks on it."""
from __future__ import annotations

import copy
import json
import uuid

import pytest

from service.pipeline import Pipeline
from core.quarantine import Quarantine, read_quarantine
from service.spool import Spool
from service.store.base import PostQuery
from service.store.elastic import CORE_ANALYSIS, MAPPINGS, ElasticStore
from tests.factories import make_post

pytestmark = pytest.mark.es

LONG_URL = "https://example.org/" + "a" * 40_000  # the reported poison: over Lucene's 32,766-byte term limit


def legacy_mappings() -> dict:
    """The mapping every index created before the keyword limits has: plain keywords, no ignore_above."""
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "ignore_above"}
        return node
    return strip(copy.deepcopy(MAPPINGS))


@pytest.fixture()
def legacy_store(es_url):
    """An index with the pre-fix mapping (as an existing deployment whose mapping could not be updated)."""
    store = ElasticStore(es_url, index=f"nwtest-poison-{uuid.uuid4().hex[:8]}", refresh=True)
    store.es.indices.create(index=store.index, mappings=legacy_mappings(),
                            settings={"number_of_shards": 1, "number_of_replicas": 0, "analysis": CORE_ANALYSIS})
    yield store
    store.drop()
    store.close()


class Tagger:
    def classify(self, posts):
        return posts


def pipeline(store, tmp_path, batch_size=10):
    pipe = Pipeline(store, Tagger(), Spool(tmp_path / "spool"), campaigns=lambda: [], batch_size=batch_size,
                    quarantine=Quarantine(tmp_path / "quarantine" / "store.jsonl"))
    seen: list[str] = []
    pipe.listeners.append(lambda posts: seen.extend(p.native_id for p in posts))
    return pipe, seen


def test_a_poison_document_is_quarantined_and_the_rest_of_its_batch_stored(legacy_store, tmp_path):
    posts = [make_post(i) for i in range(20)]
    posts[3].url = LONG_URL
    pipe, seen = pipeline(legacy_store, tmp_path)
    stats = pipe.process(posts)
    assert (stats.received, stats.stored, stats.quarantined, stats.spooled) == (20, 19, 1, 0)
    assert pipe.spool.batches() == [], "a rejected document must not spool its batch"
    expected = sorted(str(i) for i in range(20) if i != 3)
    assert sorted(p.native_id for p in legacy_store.scan(PostQuery())) == expected
    assert sorted(seen) == expected, "alert listeners must see exactly the stored posts"
    [record] = read_quarantine(tmp_path / "quarantine" / "store.jsonl")
    assert record["source"] == "store" and record["payload"]["native_id"] == "3"
    assert "url" in record["reason"] and "400" in record["reason"]
    # ingestion goes on: the next batch is stored straight away
    assert pipe.process([make_post(100)]).stored == 1 and legacy_store.count() == 20


def test_a_spooled_batch_with_a_poison_document_is_replayed_in_order_and_never_blocks(legacy_store, tmp_path):
    """Spooled by an older version (before the domain capped url length): the poison line no longer reads as a Post;
    it is quarantined with the reason, the rest of its batch and the later batches are replayed in arrival order."""
    pipe, seen = pipeline(legacy_store, tmp_path)
    first = [make_post(i) for i in range(5)]
    first[2].url = LONG_URL  # attribute assignment skips validation, as the old spool's writer did
    pipe.spool.put(first)
    pipe.spool.put([make_post(i) for i in range(5, 8)])
    stats = pipe.process([make_post(i) for i in range(8, 10)])  # the next write replays the spool first
    assert (stats.replayed, stats.stored) == (7, 2)
    assert pipe.spool.batches() == []
    assert seen == ["0", "1", "3", "4", "5", "6", "7", "8", "9"], "arrival order kept, poison left out"
    assert legacy_store.count() == 9
    [record] = read_quarantine(pipe.quarantine.path)
    assert record["source"].startswith("spool:") and '"native_id":"2"' in record["payload"]
    assert "url" in record["reason"]


def test_an_index_level_error_spools_instead_of_quarantining(es_url, tmp_path):
    """A closed index answers 400 too, but for every document: that is the store's state, so the batch waits in the
    spool and is stored once the index is open again (quarantining it would take it out of the replay)."""
    store = ElasticStore(es_url, index=f"nwtest-closed-{uuid.uuid4().hex[:8]}", refresh=True)
    store.init()
    try:
        pipe, _ = pipeline(store, tmp_path)
        store.es.indices.close(index=store.index)
        stats = pipe.process([make_post(i) for i in range(4)])
        assert (stats.spooled, stats.quarantined) == (4, 0) and pipe.spool.pending() == 4
        assert read_quarantine(pipe.quarantine.path) == []
        store.es.indices.open(index=store.index, wait_for_active_shards=1)
        assert pipe.drain() == 4 and pipe.spool.pending() == 0 and store.count() == 4
    finally:
        store.drop()
        store.close()


def test_init_brings_the_keyword_limits_to_an_existing_index(legacy_store):
    legacy_store.init()  # an upgrade runs init on the old index
    url_mapping = legacy_store.es.indices.get_mapping(index=legacy_store.index)[legacy_store.index]
    assert url_mapping["mappings"]["properties"]["url"]["ignore_above"] == 4096
    post = make_post(1)
    post.url = LONG_URL  # beyond the domain's cap (skipped here): the mapping alone must keep the term bounded
    assert legacy_store.upsert([post]) == 1
    assert legacy_store.es.count(index=legacy_store.index)["count"] == 1
