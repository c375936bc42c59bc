"""`narrawatch worker` SIGKILLed at random points, mid-batch included, restarted each time: every post stored once.

A news feed on 127.0.0.1 (RSS 2.0, ETag / If-None-Match) grows by STEP items at each request until TOTAL, so every
life of the worker starts with a big batch to store. The worker is the real console script run as a subprocess
into the embedded SQLite store, with small pipeline batches (NW_BATCH_SIZE) so one collector batch is written in
many steps. Kill times are seeded random delays: after the life's fetch (the batch is being parsed, classified or
written), after its first write (the batch is partly stored), or at any time since spawn (startup included).
At the end the raw `posts` rows are counted by (source, native id) AND by text, so a lost post or a duplicate
stored under another id both fail the test. Committing the cursor before the sink loses the batch in flight.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.feeds import Feed, serving_feeds
from bench.feeds import text as feed_text

WORKER = Path(sys.executable).with_name("narrawatch")  # the console script installed with this interpreter
# how each life is killed (then one last life runs to the end and is stopped with SIGTERM)
KILLS = ("after fetch", "after first write", "anytime", "after fetch")
STEP = 300
TOTAL = STEP * (len(KILLS) + 1)
SEED = int(os.environ.get("NW_KILL_SEED", "11"))
pytestmark = pytest.mark.slow


def text(i: int) -> str:
    return feed_text("berita", i)


@pytest.fixture()
def feed():
    state = Feed("berita", STEP, TOTAL)
    with serving_feeds({"feed": state}) as url:
        yield state, f"{url}/feed.xml"


@pytest.fixture()
def spawn():
    """Start `narrawatch worker`; whatever a failed assertion leaves running is killed at teardown."""
    procs: list[subprocess.Popen] = []

    def _spawn(*args, **kw) -> subprocess.Popen:
        procs.append(subprocess.Popen([str(WORKER), *args, "worker"], stdout=subprocess.DEVNULL, **kw))
        return procs[-1]
    yield _spawn
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def query(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the worker has not created the table yet
        return []


def stored(db: Path) -> int:
    rows = query(db, "SELECT count(*) FROM posts")
    return rows[0][0] if rows else 0


def committed_seen(state_db: Path) -> set[str]:
    rows = query(state_db, "SELECT body FROM doc_sources")
    cursor = json.loads(rows[0][0]).get("cursor") if rows else None
    return set((cursor or {}).get("seen", []))


def stored_native_ids(db: Path) -> set[str]:
    return {r[0] for r in query(db, "SELECT json_extract(doc, '$.native_id') FROM posts")}


def test_worker_sigkilled_mid_batch_and_restarted_stores_every_post_once(feed, spawn, tmp_path):
    feed_state, url = feed
    assert WORKER.exists(), f"{WORKER} missing: install the project (scripts/venv.sh)"
    config = tmp_path / "nw.yaml"
    config.write_text(
        "campaigns:\n  - {id: ktt, name: KTT, keywords: [ktt asean]}\n"
        f"sources:\n  - {{type: rss, url: '{url}', interval_seconds: 1, respect_robots: false}}\n",
        encoding="utf-8")
    var = tmp_path / "var"
    env = {**os.environ, "NW_DATA_DIR": str(var), "NW_CONFIG_FILE": str(config), "NW_BATCH_SIZE": "20",
           "NW_LEASE_SECONDS": "2"}  # a killed life's lease on the feed expires before the next life needs it
    db, state_db = var / "narrawatch.db", var / "state.db"
    rng = random.Random(SEED)
    started = time.monotonic()
    in_flight = 0
    log = []
    for life, mode in enumerate(KILLS):
        worker = spawn("-v", env=env, cwd=tmp_path, stderr=(tmp_path / f"worker-{life}.log").open("wb"))
        spawned, requests, before = time.monotonic(), feed_state.requests, stored(db)
        deadline = spawned + 180
        if mode == "anytime":  # startup, fetch, parse, classify, write, between rounds
            time.sleep(rng.uniform(0.5, 8.0))
        else:  # inside the batch: after this life's fetch (parse, classify, write) or after its first write
            while (feed_state.requests == requests if mode == "after fetch" else stored(db) == before) \
                    and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 1.0) if mode == "after fetch" else rng.uniform(0.0, 0.1))
        assert worker.poll() is None, f"worker exited by itself (rc {worker.returncode})"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        ids, seen = stored_native_ids(db), committed_seen(state_db)
        fetched = feed_state.requests > requests  # this life fetched: was its batch committed before the kill?
        landed = ("with a batch in flight" if fetched and seen != {f"berita-{i}" for i in range(feed_state.published)}
                  else "between batches")
        in_flight += landed != "between batches"
        log.append(f"life {life} ({mode}): killed {landed} after {time.monotonic() - spawned:.1f} s; "
                   f"{len(ids)} stored, cursor has {len(seen)}, feed published {feed_state.published}")

    final_log = tmp_path / "worker-final.log"
    worker = spawn(env=env, cwd=tmp_path, stderr=final_log.open("wb"))
    deadline = time.monotonic() + 120
    # done when the feed is complete and the worker's committed cursor already carries its final ETag (a 304)
    while not (feed_state.published == TOTAL and feed_state.not_modified) and time.monotonic() < deadline:
        assert worker.poll() is None, final_log.read_text()[-2000:]
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0, final_log.read_text()[-2000:]
    print("\n".join(log), f"\n{time.monotonic() - started:.0f} s in all", sep="")

    assert in_flight >= 2, "kills did not land inside batches (fetched, not yet committed):\n" + "\n".join(log)
    rows = query(db, "SELECT json_extract(doc, '$.source'), json_extract(doc, '$.native_id'), "
                     "json_extract(doc, '$.text') FROM posts")
    by_key = Counter((source, native) for source, native, _ in rows)
    by_text = Counter(t for _, _, t in rows)
    expected_texts = {text(i) for i in range(TOTAL)}
    assert {k: n for k, n in by_key.items() if n > 1} == {}, "duplicated (source, native id)"
    assert {t: n for t, n in by_text.items() if n > 1} == {}, "the same post stored twice under different ids"
    missing = sorted(expected_texts - set(by_text), key=lambda t: int(t.rsplit(" ", 1)[1].rstrip(".")))
    assert not missing, f"{len(missing)} posts lost, e.g. {missing[:3]}\n" + "\n".join(log)
    assert set(by_text) == expected_texts and len(rows) == TOTAL
    assert {native for _, native, _ in rows} == {f"berita-{i}" for i in range(TOTAL)}
