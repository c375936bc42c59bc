"""Two `narrawatch worker` processes share the sources through leases in the store; one is SIGKILLed mid-batch and
the other takes its sources over within the lease time and finishes them from the saved cursors; meanwhile API
processes (`narrawatch serve`) hold live alert streams and a webhook receiver gets the alerts (issue 12).

Sources: four feeds on 127.0.0.1 that grow at each fetch (bench/feeds.py) and two recorded feeds
(tests/collectors/fixtures), plus a `narrawatch ingest` run while the workers collect. Alert rules fire from those
posts (in the workers and in the ingest process) into a webhook on 127.0.0.1. Checked on the embedded store (both
workers and one API in one data directory, as on one machine) and on the test Elasticsearch node (each worker with
its own data directory, as on two machines, and two API replicas):
- while both live, every source is run by one worker only (the owner stamped on its state never changes);
- the SIGKILL lands while the victim is storing a batch (part of it stored, the rest not); the survivor holds the
  victim's sources within the lease time plus one renewal interval, and collects the batch again from the cursor
  (moving the cursor before the store write loses the rest of that batch: the test then fails);
- at the end every post is stored exactly once, compared by (source, native id) and by text;
- every stream (one fresh, one opened with Last-Event-ID, on different replicas) gets every event of the store's log
  exactly once and in order, whichever process appended it; each stored alert is announced exactly once, also one
  the victim stored but had not announced when it was killed (another process announces it once the victim's lease
  on the announcement ends, service/alerts/announce.py); an acknowledgement made through API A reaches the
  stream held by API B; a stream resumed from a Last-Event-ID replays the rest of the log;
- the replicas share auth (keys and sessions in the store): a dashboard session opened on A works on B, a key
  revoked on A is refused by B, and a key's rate limit holds over A and B together;
- the webhook gets each stored alert's delivery once (twice only when the victim died between sending it and
  recording the send: then the second copy comes after the kill, from another process, with the same delivery id);
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
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from bench.feeds import Feed, serving_feeds, text
from bench.loopback import free_port, receiver, serve_process, wait_healthy
from service.alerts.store import AlertStore
from service.config import Settings
from service.store.events import open_events
from service.store.leases import Leases
from service.store.sources import SourceState
from tests.api.keys import make_key
from tests.collectors.conftest import fixture_text

WORKER = Path(sys.executable).with_name("narrawatch")
LEASE = 5.0  # seconds: short, so the take-over is quick to observe; long enough for a loaded 2-core machine
FEEDS = [f"f{i}" for i in range(4)]
STEP, TOTAL = 40, 320
RECORDED = {"/antara.xml": "rss_antaranews.xml", "/turnbackhoax.xml": "rss_turnbackhoax.xml"}
IMPORTED = 30
RULES = """rules:
  - {id: awal, name: Laporan ke-7, campaign: ktt, query: {any: [nomor 7]}}
  - {id: impor, name: Laporan impor, campaign: ktt, query: {any: [impor]}}
  - {id: akhir, name: Laporan ke-300, campaign: ktt, query: {any: [nomor 300]}}
"""
FIRED_BY = {"awal": "the feeds' first batch (the kill lands in one)", "impor": "the ingest process",
            "akhir": "the feeds' item 300, after the kill"}
pytestmark = pytest.mark.slow


def config(tmp_path: Path, url: str, webhook: str) -> Path:
    sources = "".join(f"  - {{type: rss, name: 'rss:{f}', url: '{url}/{f}.xml', interval_seconds: 1, "
                      f"respect_robots: false}}\n" for f in FEEDS)
    sources += "".join(f"  - {{type: rss, name: '{source_name(p)}', url: '{url}{p}', "
                       f"interval_seconds: 1, respect_robots: false}}\n" for p in RECORDED)
    alerts = (f"alerts: {{webhooks: [{{url: '{webhook}/hook', secret: rahasia}}], allow_private_targets: true, "
              f"delivery_poll_seconds: 0.2, send_timeout: 3, send_lease_seconds: {LEASE}}}\n")
    path = tmp_path / "nw.yaml"
    path.write_text("campaigns:\n  - {id: ktt, name: KTT, keywords: [ktt asean]}\n" f"sources:\n{sources}"
                    + RULES + alerts, encoding="utf-8")
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

    def data_dir(self, n: int | str) -> Path:
        return self.tmp_path / (f"var-{n}" if self.kind == "elasticsearch" else "var-0")  # one machine each

    def env(self, n: int | str, cfg: Path) -> dict:
        data_dir = self.data_dir(n)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NW_")}, "NW_DATA_DIR": str(data_dir), "NW_CONFIG_FILE": str(cfg), "NW_BATCH_SIZE": "10",
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


class Stream:
    """One `/alerts/stream` connection read in a thread: (sequence number, event, alert id, status) as they come."""

    def __init__(self, url: str, key: str, last_event_id: str | None = None):
        self.events: list[tuple[int, str, str, str]] = []
        self.ready = threading.Event()
        self.error: str | None = None
        self.client = httpx.Client(timeout=60)
        headers = {"X-API-Key": key} | ({"Last-Event-ID": last_event_id} if last_event_id is not None else {})

        def run() -> None:
            try:
                with self.client.stream("GET", f"{url}/alerts/stream", headers=headers) as resp:
                    seq = event = None
                    for line in resp.iter_lines():
                        if line.startswith("id:"):
                            seq = int(line[3:])
                        elif line.startswith("event:"):
                            event = line.split(":", 1)[1].strip()
                            self.ready.set()
                        elif line.startswith("data:") and seq is not None:
                            data = json.loads(line[5:])
                            self.events.append((seq, event, data["id"], data["status"]))
                        elif not line:
                            seq = event = None
            except Exception as exc:  # noqa: BLE001 - reported by the test
                if not self.client.is_closed:
                    self.error = repr(exc)
                self.ready.set()

        threading.Thread(target=run, daemon=True).start()

    @property
    def last(self) -> int:
        return self.events[-1][0] if self.events else 0


LIMIT = 20  # a key's requests per 200 s window, over every replica together (NW_RATE_LIMIT_*)


def auth_is_shared(a: str, b: str, admin: str) -> None:
    """A session opened on A works on B; a key revoked on A is refused by B; a key's limit holds over A and B."""
    with httpx.Client(base_url=a, headers={"X-API-Key": admin}, timeout=60) as on_a:
        made = [on_a.post("/auth/keys", json={"name": name, "role": "analyst", "workspace": "*"}).json()
                for name in ("busy", "browser")]
        busy, browser = made[0]["key"], made[1]["key"]
        codes = [httpx.get(f"{(a, b)[i % 2]}/campaigns", headers={"X-API-Key": busy}, timeout=60).status_code
                 for i in range(LIMIT + 4)]  # alternating replicas, as a round-robin proxy sends them
        assert codes == [200] * LIMIT + [429] * 4  # per-process buckets would allow 2 x LIMIT

        with httpx.Client(base_url=a, timeout=60) as login:
            assert login.post("/ui/login", data={"key": browser}).status_code == 303
            session = {"nw_session": login.cookies["nw_session"]}
        on_b = httpx.get(f"{b}/auth/whoami", cookies=session, timeout=60)
        assert on_b.status_code == 200 and on_b.json()["name"] == "browser"
        for key in made:
            assert on_a.delete(f"/auth/keys/{key['key_id']}").status_code == 204
        assert httpx.get(f"{b}/auth/whoami", headers={"X-API-Key": browser}, timeout=60).status_code == 401
        assert httpx.get(f"{b}/auth/whoami", cookies=session, timeout=60).status_code == 401


def delivery_id(request: dict) -> str:
    return {k.lower(): v for k, v in request["headers"].items()}["x-narrawatch-delivery"]


def log_events(backend: "Backend") -> list[tuple[int, str, str, str]]:
    """The whole event log, as a stream shows it."""
    log, out = open_events(backend.settings), []
    while batch := log.tail(out[-1][0] if out else 0, 500):
        out += [(e.seq, e.kind, e.data["id"], e.data["status"]) for e in batch]
    return out


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
    apis: list[subprocess.Popen] = []
    streams: list[Stream] = []
    replicas = 2 if backend.kind == "elasticsearch" else 1
    ports = [free_port() for _ in range(replicas)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    key = make_key(backend.settings.model_copy(update={"data_dir": backend.data_dir("api")}), "admin", "*")
    try:
        with receiver() as hook, serving_feeds(feeds, static) as url:
            cfg = config(tmp_path, url, hook.url)
            for n in range(2):
                log = (tmp_path / f"worker-{n}.log").open("wb")
                procs.append(subprocess.Popen([str(WORKER), "-v", "worker"], env=backend.env(n, cfg), cwd=tmp_path,
                                              stdout=subprocess.DEVNULL, stderr=log))
            api_logs = [tmp_path / f"api-{n}.log" for n in range(replicas)]
            api_env = backend.env("api", cfg) | {"NW_RATE_LIMIT_RPS": str(LIMIT / 200),
                                                 "NW_RATE_LIMIT_BURST": str(LIMIT)}
            apis = [serve_process(api_env, port, log) for port, log in zip(ports, api_logs)]

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
            # live streams on every replica before any post of the campaign exists: one fresh, one resuming from
            # Last-Event-ID 0 (the replay path), on different replicas where there are two
            deadline = time.monotonic() + 150
            for proc, url_, log in zip(apis, urls, api_logs):
                wait_healthy(proc, url_, log, deadline)
            streams += [Stream(urls[0], key), Stream(urls[-1], key, last_event_id="0")]
            for s in streams:
                assert s.ready.wait(30) and s.error is None, s.error
            assert log_events(backend) == [], "events before the campaign's first post"
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
                    frozen_pc = time.perf_counter()
                    victim.send_signal(signal.SIGSTOP)
                    time.sleep(0.3)
                    if partly_stored(backend, victim_feeds, growing):
                        break
                    victim.send_signal(signal.SIGCONT)
                time.sleep(0.02)
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            killed_at, killed_pc = time.time(), time.perf_counter()
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

            # an acknowledgement through API A reaches the stream held by API B (the same API on SQLite)
            with httpx.Client(base_url=urls[0], headers={"X-API-Key": key}, timeout=60) as a:
                stored = {x["id"]: x for x in a.get("/alerts", params={"limit": 500}).json()}
                deadline = time.monotonic() + LEASE + 30  # one the victim had not announced: once its lease ends
                while set(stored) - {e[2] for e in log_events(backend) if e[1] == "alert"}:
                    assert time.monotonic() < deadline, "stored alerts never announced"
                    time.sleep(0.2)
                acked = next(x for x in stored.values() if x["rule"] == "impor")["id"]
                assert a.post(f"/alerts/{acked}/ack").json()["status"] == "acknowledged"
            logged = log_events(backend)
            assert logged[-1][1:] == ("alert.status", acked, "acknowledged")
            deadline = time.monotonic() + 30
            while any(s.last < logged[-1][0] for s in streams):
                assert all(s.error is None for s in streams), [s.error for s in streams]
                assert time.monotonic() < deadline, f"streams at {[s.last for s in streams]} of {logged[-1][0]}"
                time.sleep(0.1)
            # a stream resumed (on the other replica) from the middle of the log replays the rest of it
            middle = logged[len(logged) // 2][0]
            resumed = Stream(urls[-1], key, last_event_id=str(middle))
            streams.append(resumed)
            deadline = time.monotonic() + 30
            while resumed.last < logged[-1][0]:
                assert resumed.error is None and time.monotonic() < deadline, (resumed.error, resumed.last)
                time.sleep(0.1)
            assert resumed.events == [e for e in logged if e[0] > middle]
            auth_is_shared(urls[0], urls[-1], key)  # and the replicas share keys, sessions and rate limits

            # the webhook: every stored alert's delivery, also those the victim claimed when it died (sent again
            # by another process once the send lease ends)
            deliveries = {f"{a}.webhook.0" for a in stored}
            deadline = time.monotonic() + LEASE + 60
            while deliveries - {delivery_id(r) for r in list(hook.requests)}:
                assert time.monotonic() < deadline, "webhook deliveries missing"
                time.sleep(0.2)
            time.sleep(1.0)  # a second copy would come now
            hooked = [(delivery_id(r), t) for r, t in zip(list(hook.requests), list(hook.received_at))]
    finally:
        for s in streams:
            s.client.close()  # an open stream would hold up the API's graceful shutdown
        for p in [*procs, *apis, *([ingest] if "ingest" in locals() else [])]:
            if p.poll() is None:
                p.terminate() if p in apis else p.kill()
        for p in [*procs, *apis, *([ingest] if "ingest" in locals() else [])]:
            p.wait(30)

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

    # live streams: every event of the log exactly once, in order, on every replica, whoever appended it
    for s in streams[:2]:
        assert [e[0] for e in s.events] == [e[0] for e in logged], "a stream missed or repeated events"
        assert s.events == logged
    announced = Counter(a for _, kind, a, _ in logged if kind == "alert")
    assert {a for a, n in announced.items() if n > 1} == set(), "an alert announced twice"
    assert set(announced) == set(stored), "a stored alert never announced, or an alert announced but not stored"
    alert_state = AlertStore.open(backend.settings)
    assert {a: alert_state.announcement(a)["status"] for a in stored} == {a: "sent" for a in stored}
    late = [a for a in stored if alert_state.attempts(alert_state.announcement(a)["id"])]  # by a delivery loop
    assert {x["rule"] for x in stored.values()} == set(FIRED_BY), {x["rule"] for x in stored.values()}
    # webhook: each alert once; a second copy only of a delivery the victim sent and died before recording
    received = Counter(d for d, _ in hooked)
    assert set(received) == deliveries, "a delivery for no stored alert"
    for d in (d for d, n in received.items() if n > 1):
        times = [t for x, t in hooked if x == d]
        assert len(times) == 2 and times[0] < frozen_pc + 0.3 and times[1] > killed_pc, f"{d} delivered {times}"
    print(f"{len(stored)} alerts ({Counter(x['rule'] for x in stored.values())}), {len(logged)} events on "
          f"{len(streams)} streams, {len(hooked)} webhook requests, {len(late)} announced after their writer died")
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
