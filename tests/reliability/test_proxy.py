"""The shipped reverse proxy (deploy/Caddyfile, the docker-compose `proxy`) run for real: Caddy built from source by
scripts/caddy.sh (the compose image's version) in front of two `narrawatch serve` replicas on the test Elasticsearch
node, all on loopback (issue 12). The test runs the file as shipped; only the two variables it reads swap the
listen address and Docker's DNS discovery for two loopback ports (`compose up` itself cannot run here).
- `caddy validate` accepts it, and adapted with the compose defaults it listens on :8000 and finds the replicas of
  service `api` by DNS, with the retry, passive health check and flushing settings below;
- round-robin: the requests through the proxy reach both replicas;
- Server-Sent Events are not buffered: streams held through the proxy (one on each replica) get an alert fired by a
  POST through the proxy within seconds (adding `response_buffers` to the proxy holds the streams back: the test
  fails);
- SIGKILL of a replica: every request through the proxy keeps succeeding (lb_try_duration; without it the request
  that meets the dead replica gets a 502: the test fails); the stream held on it ends, and reconnecting through the
  proxy with Last-Event-ID replays the alert from the live replica;
- the API key never shows in the proxy's log (Caddy logs the request headers of a failed or aborted request);
- the client address: the app sees the real client (127.0.0.2 here), named by the proxy's X-Forwarded-For, only
  because the proxy is trusted (NW_TRUSTED_PROXIES, as compose sets it to the proxy's address); a client's own
  X-Forwarded-For is dropped by the proxy. Untrusted, the audit log would name the proxy (the test fails).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from bench.loopback import free_port, wait_healthy
from service.config import Settings
from service.store import open_store
from tests.api.keys import make_key
from tests.conftest import ES_URL, es_client_or_skip, es_required
from tests.factories import make_post
from tests.reliability.test_workers_share import Stream  # one /alerts/stream reader, in a thread

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "Caddyfile"
CLIENT_IP = "127.0.0.2"  # the test's client: another loopback address than the proxy's 127.0.0.1
CONFIG = """campaigns:
  - {id: ktt, name: KTT, keywords: [ktt asean]}
rules:
  - {id: lewat, name: Lewat proxy, campaign: ktt, query: {any: [proxy]}}
"""


def caddy_binary() -> Path:
    """The Caddy of scripts/caddy.sh (built once into a cache; scripts/test.sh builds it before the suite)."""
    run = subprocess.run(["bash", str(ROOT / "scripts" / "caddy.sh")], capture_output=True, text=True, timeout=900)
    if run.returncode == 3 and not es_required():
        pytest.skip(f"no Go toolchain to build Caddy: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr[-3000:]
    return Path(run.stdout.strip())


def caddy_env(tmp_path: Path, **proxy_vars: str) -> dict:
    """Caddy's environment: its state under tmp_path, its admin endpoint on a free port (several may run at once)."""
    home = tmp_path / "caddy-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROXY_", "CADDY_", "XDG_"))}
    return env | {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
                  "CADDY_ADMIN": f"127.0.0.1:{free_port()}"} | proxy_vars


def test_shipped_caddyfile_validates_and_keeps_the_compose_defaults(tmp_path):
    caddy = caddy_binary()
    env = caddy_env(tmp_path)
    pinned = re.search(r'^CADDY_VERSION="([^"]+)"', (ROOT / "scripts" / "caddy.sh").read_text(), re.M).group(1)
    version = subprocess.run([str(caddy), "version"], env=env, capture_output=True, text=True, timeout=60).stdout
    assert version.split()[0] == pinned  # and docker-compose.yml's image is that version (tests/service/test_compose.py)
    valid = subprocess.run([str(caddy), "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert valid.returncode == 0, valid.stderr[-3000:]
    assert "Valid configuration" in valid.stderr + valid.stdout
    assert "not formatted" not in valid.stderr, valid.stderr  # `caddy fmt` leaves the file as it is
    adapted = subprocess.run([str(caddy), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert adapted.returncode == 0, adapted.stderr[-3000:]
    server, = json.loads(adapted.stdout)["apps"]["http"]["servers"].values()
    assert server["listen"] == [":8000"]  # docker-compose publishes the proxy's 8000
    proxy, = [h for route in server["routes"] for h in route["handle"] if h["handler"] == "reverse_proxy"]
    assert proxy["dynamic_upstreams"] == {"source": "a", "name": "api", "port": "8000", "refresh": 5_000_000_000}
    assert "upstreams" not in proxy
    assert proxy["load_balancing"]["selection_policy"] == {"policy": "round_robin"}
    assert proxy["load_balancing"]["try_duration"] == 10_000_000_000
    assert proxy["health_checks"]["passive"]["fail_duration"] == 30_000_000_000
    assert proxy["flush_interval"] == -1
    assert "response_buffers" not in proxy
    # the API key never reaches the proxy's logs (Caddy blanks only Authorization and Cookie by itself)
    assert json.loads(adapted.stdout)["logging"]["logs"]["default"]["encoder"] == {
        "format": "filter", "fields": {"request>headers>X-Api-Key": {"filter": "delete"}}}


def first_alert(stream: Stream, timeout: float) -> tuple[int, str] | None:
    """(event id, alert id) of the stream's first `alert` event, once it came (None if not within `timeout` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := next(((seq, a) for seq, kind, a, _ in stream.events if kind == "alert"), None):
            return found
        time.sleep(0.05)
    return None


def served_probes(log: Path, tag: str) -> int:
    """How many of the proxied probes (GET /health?probe=<tag>-n) this replica's access log shows."""
    return log.read_text(errors="replace").count(f"/health?probe={tag}-") if log.exists() else 0


@pytest.mark.slow
def test_proxy_spreads_streams_unbuffered_survives_a_kill_and_passes_the_client(tmp_path):
    caddy = caddy_binary()
    es = es_client_or_skip()
    index = f"nwtest-proxy-{uuid.uuid4().hex[:8]}"
    cfg = tmp_path / "nw.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    data = tmp_path / "data"  # shared by the replicas, as compose's volume nwdata
    env = {k: v for k, v in os.environ.items() if not k.startswith("NW_")} | {
        "NW_STORE": "elasticsearch", "NW_ES_URL": ES_URL, "NW_ES_INDEX": index, "NW_CONFIG_FILE": str(cfg),
        "NW_DATA_DIR": str(data), "NW_TRUSTED_PROXIES": "127.0.0.1"}  # compose: the proxy's ipv4_address
    settings = Settings(data_dir=data, store="elasticsearch", es_url=ES_URL, es_index=index, config_file=cfg)
    started = time.monotonic()
    store = open_store(settings)  # what compose's `init` does before any replica starts: indices, template
    store.init()
    store.close()
    key = make_key(settings, "admin", "*")
    phases = {"init": time.monotonic() - started}
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"api-{n}.log" for n in range(2)]
    access = [tmp_path / f"api-{n}.access.log" for n in range(2)]
    apis = [subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                             cwd=tmp_path, stdout=out.open("wb"), stderr=log.open("wb"))
            for port, log, out in zip(ports, logs, access)]
    proxy_port = free_port()
    proxy_log = tmp_path / "caddy.log"
    proxy = subprocess.Popen(
        [str(caddy), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], cwd=tmp_path,
        env=caddy_env(tmp_path, PROXY_LISTEN=f"http://127.0.0.1:{proxy_port}",
                      PROXY_UPSTREAMS=" ".join(["static", *(f"127.0.0.1:{p}" for p in ports)])),
        stdout=subprocess.DEVNULL, stderr=proxy_log.open("wb"))
    client = httpx.Client(base_url=f"http://127.0.0.1:{proxy_port}", headers={"X-API-Key": key}, timeout=60,
                          transport=httpx.HTTPTransport(local_address=CLIENT_IP))
    streams: list[Stream] = []
    try:
        deadline = time.monotonic() + 120
        for proc, port, log in zip(apis, ports, logs):
            wait_healthy(proc, f"http://127.0.0.1:{port}", log, deadline)
        phases["replicas up"] = time.monotonic() - started
        while True:
            assert proxy.poll() is None, proxy_log.read_text()[-3000:]
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, proxy_log.read_text()[-3000:]
            time.sleep(0.2)

        phases["proxy up"] = time.monotonic() - started
        # round-robin: each replica answers half of the requests
        for n in range(6):
            assert client.get("/health", params={"probe": f"rr-{n}"}).status_code == 200
        assert [served_probes(log, "rr") for log in access] == [3, 3]

        # live streams through the proxy, one on each replica (round-robin), then an alert fired by a POST through
        # the proxy (on whichever replica): both streams get it at once, not when a buffer fills or the stream ends
        proxied = f"http://127.0.0.1:{proxy_port}"
        streams = [Stream(proxied, key) for _ in range(2)]
        for s in streams:
            assert s.ready.wait(15) and s.error is None, f"no `hello` event through the proxy (buffered?): {s.error}"
        assert [log.read_text().count("GET /alerts/stream") for log in access] == [1, 1]
        phases["streams open"] = time.monotonic() - started
        post = make_post(1, text="Laporan KTT ASEAN lewat proxy", campaigns=[], created_at=datetime.now(timezone.utc))
        posted = client.post("/posts", json=[post.model_dump(mode="json")],
                             headers={"X-Forwarded-For": "203.0.113.9"})  # a client's own claim: dropped by Caddy
        assert posted.status_code == 202, posted.text
        phases["posted"] = time.monotonic() - started
        fired_at = time.monotonic()
        got = [first_alert(s, 10) for s in streams]
        latency = time.monotonic() - fired_at
        assert None not in got and len(set(got)) == 1, f"streams got {[s.events for s in streams]}: held back"
        (seq, alert_id), = set(got)
        phases["streams"] = time.monotonic() - started

        # the client address: the proxy's X-Forwarded-For, believed because the proxy is trusted
        deadline = time.monotonic() + 15  # written after the response, searchable after the index's refresh
        while not (audit := client.get("/auth/audit", params={"path": "/posts", "method": "POST"}).json()):
            assert time.monotonic() < deadline, "no audit row for POST /posts"
            time.sleep(0.2)
        assert [row["client"] for row in audit] == [CLIENT_IP], audit

        # SIGKILL one replica: every request keeps succeeding (lb_try_duration sends it on to the live one)
        apis[0].send_signal(signal.SIGKILL)
        apis[0].wait(10)
        codes = [client.get("/health", params={"probe": f"kill-{n}"}).status_code for n in range(8)]
        assert codes == [200] * 8, proxy_log.read_text()[-3000:]
        assert served_probes(access[1], "kill") == 8
        # the stream held on the dead replica ends (the browser reconnects), the other goes on; reconnecting through
        # the proxy with Last-Event-ID just before the alert lands on the live replica and replays it
        deadline = time.monotonic() + 10
        while all(s.error is None for s in streams):  # the proxy aborts the response: an incomplete chunked body
            assert time.monotonic() < deadline, "the stream held on the dead replica did not end"
            time.sleep(0.05)
        assert [s.error is None for s in streams].count(True) == 1, [s.error for s in streams]
        resumed = Stream(proxied, key, last_event_id=str(seq - 1))
        streams.append(resumed)
        assert first_alert(resumed, 15) == (seq, alert_id), f"resumed stream got {resumed.events}"
        assert [a["id"] for a in client.get("/alerts").json()] == [alert_id]
        phases["kill"] = time.monotonic() - started
        logged = proxy_log.read_text(errors="replace")
        assert '"request":{' in logged and key not in logged  # the aborted stream's request is logged, keyless
        print(f"alert on the proxy's streams {latency:.2f} s after the POST's answer; at " + ", ".join(
            f"{k} {v:.1f} s" for k, v in phases.items()))
    finally:
        client.close()
        for s in streams:
            s.client.close()
        proxy.kill()  # its graceful shutdown would wait for the streams it carried
        for p in apis:
            if p.poll() is None:
                p.terminate()
        for p in [proxy, *apis]:
            p.wait(30)
        if names := list(es.indices.get(index=f"{index}*", expand_wildcards="all")):
            es.indices.delete(index=names)
