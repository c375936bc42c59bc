"""Live alerts across real processes (issue 12): `narrawatch serve` processes hold SSE streams; an alert fired by a
separate `narrawatch ingest` process reaches them, an acknowledgement made through API process A reaches the stream
held by API process B, and B resumes a stream from a Last-Event-ID. All of it goes through the store's event log
(SQLite state.db / the Elasticsearch node); with the old in-process broker no stream would see anything.
The replicas are stateless for auth too: a dashboard session opened on A works on B, a key revoked on A is refused
by B, and a key's rate limit holds over A and B together (counted in the store, not per process).

Processes load the models, so this is costly: SQLite runs one API (API + ingest on one machine), Elasticsearch two
(the replicated topology)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bench.loopback import free_port
from service.config import Settings
from tests.api.keys import CAMPAIGNS_YAML, make_key
from tests.conftest import ES_URL, drop_state_indices, es_client_or_skip
from tests.factories import T0, make_post

ROOT = Path(__file__).resolve().parents[2]
RULE_YAML = """rules:
  - id: chip
    name: chip hoax
    campaign: vaksin
    query: {any: ["chip"]}
"""


class Stream:
    """One SSE connection read in a thread: (event, data) pairs as they arrive."""

    def __init__(self, url: str, key: str):
        self.events: list[tuple[str, dict]] = []
        self.ready = threading.Event()
        self.error: str | None = None
        self.client = httpx.Client(timeout=60)

        def run() -> None:
            try:
                with self.client.stream("GET", f"{url}/alerts/stream", headers={"X-API-Key": key}) as resp:
                    event = None
                    for line in resp.iter_lines():
                        if line.startswith("event:"):
                            event = line.split(":", 1)[1].strip()
                            self.ready.set()
                        elif line.startswith("data:") and event and event.startswith("alert"):
                            self.events.append((event, json.loads(line[5:])))
            except Exception as exc:  # noqa: BLE001 - reported by wait()
                if not self.client.is_closed:
                    self.error = repr(exc)
                self.ready.set()

        threading.Thread(target=run, daemon=True).start()

    def wait(self, what, seconds: float = 60) -> list[tuple[str, dict]]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if found := [e for e in self.events if what(*e)]:
                return found
            assert self.error is None, self.error
            time.sleep(0.1)
        raise AssertionError(f"not received within {seconds} s; got {[e for e, _ in self.events]}")


def _serve(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _up(proc: subprocess.Popen, url: str, deadline: float) -> None:
    while True:
        assert proc.poll() is None, f"the API died: {proc.stderr.read()[-3000:]}"
        assert time.monotonic() < deadline, "the API did not start"
        try:
            if httpx.get(f"{url}/health", timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)


LIMIT = 20


def _auth_is_shared(a: str, b: str, admin: str) -> None:
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


@pytest.mark.parametrize("backend,replicas", [("sqlite", 1), ("elasticsearch", 2)])
def test_events_reach_streams_held_by_other_processes(backend, replicas, tmp_path):
    cfg = tmp_path / "nw.yaml"
    cfg.write_text(CAMPAIGNS_YAML + RULE_YAML, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NW_")}
    # a key's limit: 20 requests per 200 s window, over every replica together
    env.update(NW_DATA_DIR=str(tmp_path / "var"), NW_CONFIG_FILE=str(cfg), NW_STORE=backend,
               NW_RATE_LIMIT_RPS="0.1", NW_RATE_LIMIT_BURST=str(LIMIT))
    index = f"nwtest-live-{uuid.uuid4().hex[:8]}"
    if backend == "elasticsearch":
        es_client_or_skip()
        env.update(NW_ES_URL=ES_URL, NW_ES_INDEX=index)
    settings = Settings(data_dir=tmp_path / "var", config_file=cfg, store=backend, es_url=ES_URL, es_index=index)
    key = make_key(settings, "admin", "*")
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(make_post(i, text=f"Awas chip di vaksin nomor {i}", author=f"a{i}", campaigns=[],
                                       created_at=T0 + timedelta(minutes=i)).model_dump_json() + "\n"
                             for i in range(5)), encoding="utf-8")
    ports = [free_port() for _ in range(replicas)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    apis = [_serve(env, p) for p in ports]
    streams: list[Stream] = []
    try:
        deadline = time.monotonic() + 240  # processes loading the models on a busy machine
        for proc, url in zip(apis, urls):
            _up(proc, url, deadline)
        streams += [Stream(url, key) for url in urls]
        for s in streams:
            assert s.ready.wait(30) and s.error is None, s.error

        ingest = subprocess.run([sys.executable, "-m", "service.cli", "ingest", str(posts)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stderr[-3000:]
        fired = [s.wait(lambda event, data: event == "alert") for s in streams]
        assert [len(f) for f in fired] == [1] * replicas and len({f[0][1]["id"] for f in fired}) == 1
        alert_id = fired[0][0][1]["id"]

        with httpx.Client(base_url=urls[0], headers={"X-API-Key": key}, timeout=60) as a:
            assert a.post(f"/alerts/{alert_id}/ack").status_code == 200
        changed = streams[-1].wait(lambda event, data: event == "alert.status")
        assert changed[0][1]["id"] == alert_id and changed[0][1]["status"] == "acknowledged"

        # resume (on the other replica): Last-Event-ID is the shared log's sequence number
        replay = []
        with httpx.stream("GET", f"{urls[-1]}/alerts/stream", headers={"X-API-Key": key, "Last-Event-ID": "0"},
                          timeout=60) as resp:
            for line in resp.iter_lines():
                if line.startswith("event:") and line.split(":", 1)[1].strip().startswith("alert"):
                    replay.append(line.split(":", 1)[1].strip())
                if len(replay) == 2:
                    break
        assert replay == ["alert", "alert.status"]
        _auth_is_shared(urls[0], urls[-1], key)
    finally:
        for s in streams:
            s.client.close()  # an open stream would hold up the API's graceful shutdown
        for proc in apis:
            proc.terminate()
        for proc in apis:
            proc.wait(30)
        if backend == "elasticsearch":
            client = es_client_or_skip()
            client.options(ignore_status=404).indices.delete(index=[index, f"{index}-campaigns",
                                                                    f"{index}-campaign-tombstones"])
            drop_state_indices(client, index)
