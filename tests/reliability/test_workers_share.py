"""Two `narrawatch worker` processes share the sources through leases in the store; one is SIGKILLed mid-batch and
the other takes its sources over within the lease time and finishes them from the saved cursors.

Sources: four feeds on 127.0.0.1 that grow at each fetch (tests/reliability/feeds.py) and two recorded feeds
(tests/collectors/fixtures), plus a `narrawatch ingest` run while the workers collect. Checked on the embedded
store (both workers in one data directory, as on one machine) and on the test Elasticsearch node (each worker with
its own data directory, as on two machines):
- while both live, every source is run by one worker only (the owner stamped on its state never changes);
- the SIGKILL lands while the victim is storing a batch (part of it stored, the rest not); the survivor holds the
  victim's sources within the lease time plus one renewal interval, and collects the batch again from the cursor
  (moving the cursor before the store write loses the rest of that batch: the test then fails);
- at the end every post is stored exactly once, compared by (source, native id) and by text;
- the narrative ledger (issue 12: clustering partitioned by campaign with leases) holds every stored post of the
  campaign exactly once, each near-duplicate group in one narrative, each narrative's size equal to its posts, and
  no worker ever assigned a batch on stale state (dropping the campaign lease makes them redo batches: the test
  fails; dropping the commit fence too splits a cluster or loses a size update).
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from service.alerts.store import AlertStore
from service.config import Settings
from service.store.leases import Leases
from service.store.sources import SourceState
from tests.collectors.conftest import fixture_text
from bench.feeds import Feed, serving_feeds, text

WORKER = Path(sys.executable).with_name("narrawatch")
LEASE = 5.0  # seconds: short, so the take-over is quick to observe; long enough for a loaded 2-core machine
FEEDS = [f"f{i}" for i in range(4)]
STEP, TOTAL = 40, 320
RECORDED = {"/antara.xml": "rss_antaranews.xml", "/turnbackhoax.xml": "rss_turnbackhoax.xml"}
IMPORTED = 30
pytestmark = pytest.mark.slow


def config(tmp_path: Path, url: str) -> Path:
    sources = "".join(f"  - {{type: rss, name: 'rss:{f}', url: '{url}/{f}.xml', interval_seconds: 1, "
                      f"respect_robots: false}}\n" for f in FEEDS)
    sources += "".join(f"  - {{type: rss, name: '{source_name(p)}', url: '{url}{p}', "
                       f"interval_seconds: 1, respect_robots: false}}\n" for p in RECORDED)
    path = tmp_path / "nw.yaml"
    path.write_text("campaigns:\n  - {id: ktt, name: KTT, keywords: [ktt asean]}\n" f"sources:\n{sources}",
                    encoding="utf-8")
    return path


def import_file(tmp_path: Path) -> Path:
    path = tmp_path / "import.jsonl"
    path.write_text("".join(json.dumps({"source": "import", "native_id": f"imp-{i}", "platform": "other",
                                        "text": f"Laporan warga impor {i} soal KTT ASEAN di Jakarta",
                                        "created_at": f"2026-11-21T0{i % 10}:00:00Z"}) + "\n"
                            for i in range(IMPORTED)), encoding="utf-8")
    return path


def recorded_posts() -> set[tuple[str, str]]:
    """(source, native id) of the recorded feeds' posts, as one parse yields them (each stored once, however often
    the feed is fetched)."""
    from collectors.rss import parse_feed

    return {(p.source, p.native_id) for path, name in RECORDED.items()
            for p in parse_feed(fixture_text(name), source=source_name(path), campaigns=[]).posts}


def source_name(path: str) -> str:
    return f"rss:{path.strip('/').removesuffix('.xml')}"


class Backend:
    """Where the workers keep posts and state, and how the test reads them back."""

    def __init__(self, kind: str, tmp_path: Path, es_url: str | None = None):
        self.kind, self.tmp_path = kind, tmp_path
        self.index = f"nwtest-share-{uuid.uuid4().hex[:8]}"
        self.es_url = es_url
        shared = dict(store=kind, config_file=None)
        if kind == "elasticsearch":
            shared |= dict(es_url=es_url, es_index=self.index)
        self.settings = Settings(data_dir=tmp_path / "var-0", **shared)

    def env(self, n: int, cfg: Path) -> dict:
        data_dir = self.tmp_path / (f"var-{n}" if self.kind == "elasticsearch" else "var-0")  # one machine each
        env = {**os.environ, "NW_DATA_DIR": str(data_dir), "NW_CONFIG_FILE": str(cfg), "NW_BATCH_SIZE": "10",
               "NW_LEASE_SECONDS": str(LEASE), "NW_STORE": self.kind}
        if self.kind == "elasticsearch":
            env |= {"NW_ES_URL": self.es_url, "NW_ES_INDEX": self.index}
        return env

    def posts(self) -> list[tuple[str, str, str]]:
        """(source, native id, text) of every stored post document, raw (no de-duplication on read)."""
        if self.kind == "sqlite":
            db = self.tmp_path / "var-0" / "narrawatch.db"
            if not db.exists():
                return []
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
                    return conn.execute("SELECT json_extract(doc, '$.source'), json_extract(doc, '$.native_id'), "
                                        "json_extract(doc, '$.text') FROM posts").fetchall()
            except sqlite3.OperationalError:
                return []
        from elasticsearch import Elasticsearch, helpers

        es = Elasticsearch(self.es_url, request_timeout=60)
        if not es.indices.exists(index=self.index):
            return []
        es.indices.refresh(index=self.index)
        return [(h["_source"]["source"], h["_source"]["native_id"], h["_source"]["text"])
                for h in helpers.scan(es, index=self.index, query={"query": {"match_all": {}}})]

    def campaign_posts(self, campaign: str) -> set[str]:
        """Ids of the stored posts tagged with `campaign`."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.tmp_path / "var-0" / "narrawatch.db", timeout=30) as conn:
                rows = conn.execute("SELECT json_extract(doc, '$.id'), json_extract(doc, '$.campaigns') FROM posts")
                return {pid for pid, campaigns in rows if campaign in json.loads(campaigns or "[]")}
        from elasticsearch import Elasticsearch, helpers

        es = Elasticsearch(self.es_url, request_timeout=60)
        es.indices.refresh(index=self.index)
        return {h["_id"] for h in helpers.scan(es, index=self.index, query={"query": {"term": {"campaigns": campaign}}},
                                               _source=False)}

    def count(self, sources: list[str]) -> int:
        """Stored posts of these sources, read directly (SQLite file, or a refreshed index)."""
        return sum(1 for source, _, _ in self.posts() if source in sources)

    def drop(self) -> None:
        if self.kind == "elasticsearch":
            from elasticsearch import Elasticsearch

            es = Elasticsearch(self.es_url, request_timeout=60)
            for name in es.indices.get(index=f"{self.index}*", expand_wildcards="all"):
                es.indices.delete(index=name)


def partly_stored(backend: Backend, feeds: list[Feed], sources: list[str]) -> bool:
    """Part of a fetched batch (STEP posts a feed) is stored and the rest is not."""
    published = sum(f.published for f in feeds)
    stored = backend.count(sources)
    return 0 < stored < published and stored % STEP != 0


@pytest.fixture(params=["sqlite", "elasticsearch"])
def backend(request, tmp_path):
    es_url = request.getfixturevalue("es_url") if request.param == "elasticsearch" else None
    b = Backend(request.param, tmp_path, es_url)
    yield b
    b.drop()


def test_two_workers_share_sources_and_survive_a_sigkill(backend, tmp_path):
    assert WORKER.exists(), f"{WORKER} missing: install the project (scripts/venv.sh)"
    feeds = {f: Feed(f, STEP, TOTAL, paused=True) for f in FEEDS}  # they grow once both workers are up
    static = {path: fixture_text(name).encode() for path, name in RECORDED.items()}
    names = [f"rss:{f}" for f in FEEDS] + [source_name(p) for p in RECORDED]
    leases = Leases.open(backend.settings, "test-reader")
    state = SourceState.open(backend.settings)
    procs: list[subprocess.Popen] = []
    try:
        with serving_feeds(feeds, static) as url:
            cfg = config(tmp_path, url)
            for n in range(2):
                log = (tmp_path / f"worker-{n}.log").open("wb")
                procs.append(subprocess.Popen([str(WORKER), "-v", "worker"], env=backend.env(n, cfg), cwd=tmp_path,
                                              stdout=subprocess.DEVNULL, stderr=log))

            runners: dict[str, set[str]] = {name: set() for name in names}

            def sample_runners(since: str) -> None:
                """Who stamped each source's passes started since the split (one owner each, unless two ran it)."""
                for row in state.all():
                    if row["owner"] and (row["last_attempt"] or "") > since:
                        runners[row["name"]].add(row["owner"])

            def holders() -> dict[str, str | None]:
                out = {}
                for name in names:
                    doc = leases.docs.get(f"source:{name}")
                    live = doc is not None and doc.body["expires_at"] > time.time()
                    out[name] = doc.body["owner"] if live else None
                return out

            # both workers up and holding a share each; meanwhile record who runs each source
            started = time.monotonic()
            deadline = time.monotonic() + 150
            while True:
                assert all(p.poll() is None for p in procs), "a worker exited"
                assert time.monotonic() < deadline, f"workers did not split the sources: {holders()}"
                owners = holders()
                if len(set(owners.values()) - {None}) == 2 and None not in owners.values():
                    break
                time.sleep(0.2)
            split_at = datetime.now(timezone.utc).isoformat()
            split_after = time.monotonic() - started
            for feed in feeds.values():
                feed.growing.set()
            ingest = subprocess.Popen([str(WORKER), "ingest", str(import_file(tmp_path))], env=backend.env(0, cfg),
                                      cwd=tmp_path, stdout=subprocess.DEVNULL,
                                      stderr=(tmp_path / "worker-ingest.log").open("wb"))
            deadline = time.monotonic() + 60
            while not all(runners.values()):  # every source has run since the split
                assert time.monotonic() < deadline, f"sources not run after the split: {runners}"
                sample_runners(split_at)
                time.sleep(0.1)

            # kill the worker holding rss:f0 in the middle of storing a batch: after its fetch, once the first of
            # the batch's pipeline chunks (NW_BATCH_SIZE) is stored and the rest is not
            owners = holders()
            victim_owner = owners["rss:f0"]
            victims = [n for n, o in owners.items() if o == victim_owner]
            victim_feeds = [feeds[n.split(":")[1]] for n in victims if n.split(":")[1] in feeds]
            growing = [f"rss:{f.name}" for f in victim_feeds]
            victim = next(p for p in procs if f":{p.pid}:" in victim_owner)
            sample_runners(split_at)
            deadline = time.monotonic() + 90
            while True:
                assert time.monotonic() < deadline, "the victim stored no batch in part"
                sample_runners(split_at)
                if partly_stored(backend, victim_feeds, growing):
                    # the victim may finish the batch between a look and a signal: freeze it, let the writes it
                    # already sent land, look again, and kill it only if the batch is still partly stored
                    victim.send_signal(signal.SIGSTOP)
                    time.sleep(0.3)
                    if partly_stored(backend, victim_feeds, growing):
                        break
                    victim.send_signal(signal.SIGCONT)
                time.sleep(0.02)
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            killed_at = time.time()
            in_flight = sum(f.published for f in victim_feeds) - backend.count(growing)
            assert in_flight > 0, "killed between batches"

            deadline = time.monotonic() + 60
            while any(holders()[n] in (victim_owner, None) for n in victims):
                assert time.monotonic() < deadline, f"sources not taken over: {holders()}"
                time.sleep(0.1)
            taken_over = time.time() - killed_at
            assert taken_over <= LEASE + LEASE / 3 + 2.0, f"take-over after {taken_over:.1f} s"
            print(f"split after {split_after:.1f} s; {victim_owner} killed with {victims} and {in_flight} posts "
                  f"in flight; taken over after "
                  f"{taken_over:.1f} s")

            survivor = next(p for p in procs if p is not victim)
            deadline = time.monotonic() + 150
            while not all(f.done for f in feeds.values()):
                assert survivor.poll() is None, (tmp_path / "worker-0.log").read_text()[-2000:]
                assert time.monotonic() < deadline, {n: (f.published, f.not_modified) for n, f in feeds.items()}
                time.sleep(0.2)
            assert ingest.wait(120) == 0, (tmp_path / "worker-ingest.log").read_text()[-2000:]
            time.sleep(1.5)  # the recorded feeds' last pass
            survivor.send_signal(signal.SIGTERM)
            assert survivor.wait(60) == 0
    finally:
        for p in [*procs, *([ingest] if "ingest" in locals() else [])]:
            if p.poll() is None:
                p.kill()
                p.wait(10)

    # between the split and the kill, each source was run by the one worker holding it
    assert all(len(owners) <= 1 for owners in runners.values()) and any(runners.values()), runners
    rows = backend.posts()
    by_key = Counter((source, native) for source, native, _ in rows)
    assert {k: n for k, n in by_key.items() if n > 1} == {}, "a post stored twice (same source and native id)"
    by_text = Counter(t for s, _, t in rows if s.startswith("rss:f"))
    assert {t: n for t, n in by_text.items() if n > 1} == {}, "a post stored twice under different ids"
    expected = {(f"rss:{f}", feeds[f].guid(i)) for f in FEEDS for i in range(TOTAL)}
    assert expected - set(by_key) == set(), f"{len(expected - set(by_key))} feed posts lost"
    assert set(by_text) == {text(f, i) for f in FEEDS for i in range(TOTAL)}
    assert {k for k in by_key if k[0] == "import"} == {("import", f"imp-{i}") for i in range(IMPORTED)}
    recorded = recorded_posts()
    assert recorded and {k for k in by_key if k[0] in map(source_name, RECORDED)} == recorded
    assert len(rows) == len(expected) + IMPORTED + len(recorded)
    check_ledger(backend, tmp_path)


def check_ledger(backend: Backend, tmp_path: Path) -> None:
    """Both workers and the ingest run clustered posts of campaign ktt at the same time, each under its lease."""
    ledger = AlertStore.open(backend.settings).ledger
    ledger.make_searchable()
    entries = [d.body for d in ledger.posts.scan({"campaign": "ktt"})]
    by_post = Counter(e["post_id"] for e in entries)
    assert {p: n for p, n in by_post.items() if n > 1} == {}, "a post in two narratives"
    stored = backend.campaign_posts("ktt")
    assert len(stored) > len(FEEDS) * TOTAL and set(by_post) == stored, \
        f"{len(stored - set(by_post))} posts missing from the ledger, {len(set(by_post) - stored)} unknown"
    per_narrative = Counter(e["narrative_id"] for e in entries)
    sizes = {d.id: d.body["size"] for d in ledger.narratives.scan({"campaign": "ktt"})}
    assert sizes == dict(per_narrative), "a narrative's size disagrees with its posts"
    groups: dict[str, set[str]] = {}
    for e in entries:
        groups.setdefault(e["dup_group"], set()).add(e["narrative_id"])
    assert {g: n for g, n in groups.items() if len(n) > 1} == {}, "a near-duplicate group split across narratives"
    redone = sum(log.read_text(errors="replace").count("batch redone") for log in tmp_path.glob("worker-*.log"))
    assert redone == 0, f"{redone} batches assigned on stale state: the campaign lease did not keep workers apart"
    print(f"ledger: {len(entries)} posts in {len(sizes)} narratives")
