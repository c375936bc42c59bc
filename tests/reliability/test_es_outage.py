"""Elasticsearch stopped for 60 s in the middle of ingesting 100k posts, then restarted: 0 lost, 0 duplicated."""
from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from classifiers.language import LanguageDetector
from service.pipeline import Pipeline
from service.spool import Spool
from service.store.base import PostQuery
from service.store.elastic import ElasticStore
from tests.factories import make_post

ROOT = Path(__file__).resolve().parents[2]
N = int(os.environ.get("NW_OUTAGE_POSTS", "100000"))
OUTAGE_SECONDS = int(os.environ.get("NW_OUTAGE_SECONDS", "60"))

pytestmark = [pytest.mark.es, pytest.mark.slow]


def es_node(action: str) -> None:
    base = os.environ.get("NW_ES_BASE")
    subprocess.run(["bash", str(ROOT / "scripts" / "es_node.sh"), action, base], check=True, timeout=300)


class Counting:
    """Classifier stand-in that only counts: this test is about the store path, not model speed."""

    def __init__(self):
        self.seen = 0

    def classify(self, posts):
        self.seen += len(posts)
        return posts


@pytest.mark.skipif(not os.environ.get("NW_ES_BASE"), reason="needs the node started by scripts/test.sh")
def test_es_outage_mid_ingest_loses_and_duplicates_nothing(es_url, tmp_path):
    store = ElasticStore(es_url, index=f"nwtest-outage-{uuid.uuid4().hex[:8]}")
    store.es = store.es.options(request_timeout=5, max_retries=0)
    store.init()
    counter = Counting()
    pipe = Pipeline(store, counter, Spool(tmp_path / "spool"), campaigns=lambda: [], batch_size=1000)
    posts = (make_post(i, text=f"posting {i} tentang harga beras", campaigns=["beras"]) for i in range(N))
    result = {}
    ingest = threading.Thread(target=lambda: result.setdefault("stats", pipe.process(posts)))
    ingest.start()
    while counter.seen < N // 3:  # stop the node a third of the way in
        time.sleep(0.05)
    es_node("stop")
    stopped_at = time.monotonic()
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
    es_node("start")
    ingest.join(600)
    stats = result["stats"]
    assert stats.received == N
    assert stats.spooled > 0, "the outage must have been felt by the pipeline"
    replayed = pipe.drain()
    store.es.indices.refresh(index=store.index)
    assert pipe.spool.pending() == 0
    assert store.count() == N, f"stored {store.count()} of {N}"
    assert store.count(PostQuery(campaign="beras")) == N
    # Ids are stable, so a duplicate would show as count > N and a loss as count < N.
    print(f"outage test: {N} posts, {stats.stored} stored directly, {stats.spooled} spooled, "
          f"{stats.replayed + replayed} replayed after restart")
    store.drop()
