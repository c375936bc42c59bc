"""Elasticsearch goes away twice while 100k posts are ingested: first stopped cleanly (SIGTERM), then killed
(SIGKILL), each time for OUTAGE_SECONDS (20 s by default) while posts keep arriving, then restarted. The first write
after each restart replays the spool (no explicit drain): 0 lost, 0 duplicated, every post stored with its own content.

The node stopped and killed here is the test's own (scripts/es_node.sh on free ports in the test's directory), never
the node the rest of the suite shares, so no other test sees the outage or a cold node after it."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.pipeline import Pipeline
from service.spool import Spool
from service.store.base import PostQuery
from service.store.elastic import ElasticStore
from bench.loopback import free_port
from tests.factories import make_post

ROOT = Path(__file__).resolve().parents[2]
N = int(os.environ.get("NW_OUTAGE_POSTS", "100000"))
OUTAGE_SECONDS = int(os.environ.get("NW_OUTAGE_SECONDS", "20"))
BATCH = 1000

pytestmark = [pytest.mark.es, pytest.mark.slow]


class Node:
    """A private Elasticsearch node for this test, driven by scripts/es_node.sh (the same launcher as the suite's)."""

    def __init__(self, base: Path):
        self.base = base
        self.env = {**os.environ, "ES_PORT": str(free_port()), "ES_TRANSPORT_PORT": str(free_port())}
        self.url = f"http://127.0.0.1:{self.env['ES_PORT']}"

    def run(self, action: str) -> int:
        return subprocess.run(["bash", str(ROOT / "scripts" / "es_node.sh"), action, str(self.base)], env=self.env,
                              timeout=300).returncode

    def start(self) -> None:
        assert self.run("start") == 0, (self.base / "logs" / "es-node.log").read_text()[-3000:]

    def stop(self) -> None:
        assert self.run("stop") == 0

    def sigkill(self) -> None:
        """No shutdown at all: the JVM dies mid-request, as on an OOM kill or a power cut."""
        pid = int((self.base / "es-node.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)


class Counting:
    """Classifier stand-in that only counts: this test is about the store path, not model speed."""

    def __init__(self):
        self.seen = 0

    def classify(self, posts):
        self.seen += len(posts)
        return posts


def text(i: int) -> str:
    return f"posting {i} tentang harga beras, versi {i * 7 % 1000}"


def arrivals(node: Node, outages: dict[int, Callable[[], None]], recovered: Callable[[], object],
             log: list[str]) -> Iterator:
    """Posts as a collector would hand them over. At each outage position the node goes away; 3 more batches
    arrive while it is down (they must spool), the node stays down OUTAGE_SECONDS, then comes back and the
    following posts are written after the restart (their first write replays the spool)."""
    restarts = {start + 3 * BATCH for start in outages}
    down_since = 0.0
    for i in range(N):
        if i in outages:
            outages[i]()
            down_since = time.monotonic()
            log.append(f"down at {i}")
        if i in restarts:
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
            node.start()
            recovered()
            log.append(f"up at {i}")
        yield make_post(i, text=text(i), campaigns=["beras"])


@pytest.fixture()
def node(tmp_path):
    node = Node(tmp_path / "es")
    code = node.run("start")
    if code == 3 and os.environ.get("NW_REQUIRE_ES") != "1":
        pytest.skip("no Java here: cannot run an Elasticsearch node")
    assert code == 0, "could not start the test's Elasticsearch node"
    yield node
    node.run("stop")


@pytest.fixture()
def store(node):
    store = ElasticStore(node.url, index="nwtest-outage")
    # no client retries, so the outage reaches the pipeline; connection refused/reset is immediate anyway, and a
    # cold node after a restart on a busy machine needs more than a few seconds for a 1,000-document bulk
    store.es = store.es.options(request_timeout=30, max_retries=0)
    store.init()
    return store


@pytest.mark.timeout(1800)  # two outages of OUTAGE_SECONDS plus two node restarts (about a minute each on 2 cores)
def test_es_stopped_then_killed_mid_ingest_loses_and_duplicates_nothing(node, store, tmp_path):
    # room for batches before, during and after each outage; after a restart the first request may fail on a pooled
    # connection to the old process (ConnectionError: it spools), so at least two batches follow the last restart
    assert N >= 16 * BATCH, "NW_OUTAGE_POSTS must be at least 16,000"
    pipe = Pipeline(store, Counting(), Spool(tmp_path / "spool"), campaigns=lambda: [], batch_size=BATCH)
    stored_ids: list[str] = []
    pipe.listeners.append(lambda posts: stored_ids.extend(p.id for p in posts))
    log: list[str] = []
    # es_node.sh answers once the node is up; the index's shard may still be recovering (a write would wait for
    # it and time out, which the pipeline would also survive, but then the last write might not be the replay)
    recovered = lambda: store.es.options(request_timeout=120).cluster.health(  # noqa: E731
        index=store.index, wait_for_status="yellow", timeout="100s")
    stats = pipe.process(arrivals(node, {N // 4: node.stop, 5 * N // 8: node.sigkill}, recovered, log))
    assert log == [f"down at {N // 4}", f"up at {N // 4 + 3 * BATCH}",
                   f"down at {5 * N // 8}", f"up at {5 * N // 8 + 3 * BATCH}"]
    assert stats.received == N
    assert stats.spooled >= 2 * 3 * BATCH, "the batches that arrived during both outages must have spooled"
    assert stats.replayed == stats.spooled, "the writes after each restart replay the whole spool"
    assert stats.stored + stats.replayed == N and stats.quarantined == 0
    assert pipe.spool.batches() == [], "nothing left for a later drain: replay ran on the next write"
    store.es.indices.refresh(index=store.index)
    assert store.count() == N, f"stored {store.count()} of {N}"
    # By native id AND content: a lost post, a duplicate or a post stored with another one's text all show here.
    got = {p.native_id: (p.text, p.campaigns) for p in store.scan(PostQuery())}
    assert got == {str(i): (text(i), ["beras"]) for i in range(N)}
    assert sorted(stored_ids) == sorted({make_post(i).id for i in range(N)}), "alerts saw each post exactly once"
    print(f"outage test: {N} posts, {stats.stored} stored directly, {stats.spooled} spooled, "
          f"{stats.replayed} replayed by the next write after each restart; spool causes: "
          f"{sorted({e[:120] for e in stats.errors})}")
