"""Live events across processes, three figures on SQLite and (given --es-url) Elasticsearch:

1. log: a separate writer process appends events to the store's event log (what the engine does when an alert fires
   or changes); this process's EventFeed (the one the API runs for /alerts/stream) delivers them to a subscriber;
   latency = delivery time - append time (same host clock).
2. alert end to end, over real HTTP: two `narrawatch serve` processes on 127.0.0.1 sharing the store; one post at a
   time is POSTed to replica A (classified, stored, matched by a keyword rule, the alert fired into the store and
   its event appended), and the `alert` event is read from an SSE stream held on replica B; latency = event read -
   POST sent (this process's clock). Each alert is resolved through A before the next post (cooldown 0), so every
   post fires a new one.
3. SSE fan-out: 100 subscribers, half on each replica, while the writer process appends events; p95 of every
   (event, subscriber) delivery, and whether every subscriber got every event.
Goal (issue 12): p95 under 2 s. 127.0.0.1 only; bounded by --events/--alerts/--subscribers and a timeout per wait.

    .venv/bin/python -m bench.bench_events [--events 200] [--rate 20] [--alerts 40] [--subscribers 100]
                                          [--es-url http://127.0.0.1:9200]

Writes bench/results/events.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from bench.loopback import free_port, serve_process, wait_healthy
from bench.system import write_result
from core.domain import post_id
from service.api.auth import create_key
from service.alerts.delivery.sse import EventFeed
from service.config import Settings
from service.store.events import open_events

WRITER = """
import sys, time
from service.config import Settings
from service.store.events import open_events
s = Settings(data_dir=sys.argv[1], store=sys.argv[2], es_url=sys.argv[3], es_index=sys.argv[4])
log, n, rate = open_events(s), int(sys.argv[5]), float(sys.argv[6])
log.last_seq()
print("ready", flush=True)
sys.stdin.readline()
for i in range(n):
    log.append("bench", {"i": i, "sent": time.time()})
    time.sleep(1 / rate)
"""


ROOT = Path(__file__).resolve().parents[1]
CONFIG = """campaigns:
  - {id: ktt, name: KTT ASEAN, keywords: [ktt asean]}
rules:
  - {id: chip, name: chip, campaign: ktt, cooldown_minutes: 0, query: {any: [awas chip]}}
"""


def quantiles(latencies: list[float]) -> dict:
    q = statistics.quantiles(latencies, n=100)
    return {"p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1)}


def start_writer(settings: Settings, n: int, rate: float) -> subprocess.Popen:
    """The writer process, ready (its log opened); it appends once it reads a line."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(settings.data_dir), settings.store, settings.es_url,
                               settings.es_index, str(n), str(rate)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    assert writer.stdout.readline().strip() == "ready"
    return writer


def measure(settings: Settings, n: int, rate: float) -> dict:
    feed = EventFeed(open_events(settings))
    writer = start_writer(settings, n, rate)

    async def collect() -> list[float]:
        queue, _ = feed.subscribe()
        writer.stdin.write("go\n")
        writer.stdin.flush()
        latencies = []
        while len(latencies) < n:
            event = await asyncio.wait_for(queue.get(), 60)
            latencies.append(time.time() - event.data["sent"])
        return latencies

    try:
        latencies = asyncio.run(collect())
    finally:
        feed.stop()
        writer.wait(60)
    return {"events": n, "rate_per_s": rate, **quantiles(latencies), "poll_seconds": feed.poll_seconds}


class Replicas:
    """Two `narrawatch serve` processes on 127.0.0.1 sharing `settings`' store (one data directory: one host)."""

    def __init__(self, settings: Settings, tmp: Path):
        cfg = tmp / "nw.yaml"
        cfg.write_text(CONFIG, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("NW_")}
        env |= {"NW_DATA_DIR": str(settings.data_dir), "NW_CONFIG_FILE": str(cfg), "NW_STORE": settings.store,
                "NW_ES_URL": settings.es_url, "NW_ES_INDEX": settings.es_index, "NW_RATE_LIMIT_RPS": "1000",
                "NW_RATE_LIMIT_BURST": "1000"}
        self.key = create_key(settings, "bench", "admin", "*")
        self.urls = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
        self.logs = [tmp / f"api-{i}.log" for i in range(2)]
        self.procs = [serve_process(env, int(url.rsplit(":", 1)[1]), log) for url, log in zip(self.urls, self.logs)]

    def __enter__(self) -> "Replicas":
        deadline = time.monotonic() + 300
        for proc, url, log in zip(self.procs, self.urls, self.logs):
            wait_healthy(proc, url, log, deadline)
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


async def sse(client: httpx.AsyncClient, url: str, key: str, out: asyncio.Queue, ready: asyncio.Event) -> None:
    """Read one /alerts/stream: put (event, data, perf_counter at arrival) for each event with an id."""
    async with client.stream("GET", f"{url}/alerts/stream", headers={"X-API-Key": key}) as resp:
        event = None
        async for line in resp.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                ready.set()
            elif line.startswith("data:") and event != "hello":
                out.put_nowait((event, json.loads(line[5:]), time.perf_counter()))


def post(i: int) -> dict:
    t = datetime(2026, 11, 20, tzinfo=timezone.utc) + timedelta(minutes=i)
    return {"source": "bench", "native_id": f"p{i}", "platform": "other", "created_at": t.isoformat(),
            "text": f"Awas chip di KTT ASEAN, pesan berantai nomor {i}"}


async def alert_latency(apis: Replicas, n: int, warm: int = 2) -> dict:
    """POST one post to replica A, read its `alert` event on replica B's stream; resolve it through A."""
    a, b = apis.urls
    headers = {"X-API-Key": apis.key}
    async with httpx.AsyncClient(timeout=120, headers=headers) as client:
        events: asyncio.Queue = asyncio.Queue()
        ready = asyncio.Event()
        reader = asyncio.create_task(sse(client, b, apis.key, events, ready))
        await asyncio.wait_for(ready.wait(), 60)
        latencies = []
        for i in range(warm + n):  # the first posts build the classifier's lazy parts: not counted
            t0 = time.perf_counter()
            resp = await client.post(f"{a}/posts", json=[post(i)])
            resp.raise_for_status()
            while True:
                kind, data, at = await asyncio.wait_for(events.get(), 60)
                if kind == "alert":
                    break
            assert data["post_ids"] == [post_id("bench", f"p{i}")], data["post_ids"]  # this post's own alert
            if i >= warm:
                latencies.append(at - t0)
            (await client.post(f"{a}/alerts/{data['id']}/resolve", json={"note": "bench"})).raise_for_status()
        reader.cancel()
    return {"alerts": n, "api_replicas": 2, **quantiles(latencies)}


async def fan_out(apis: Replicas, settings: Settings, subscribers: int, n: int, rate: float) -> dict:
    """`subscribers` streams split over the two replicas; the writer process appends n events at `rate`/s."""
    limits = httpx.Limits(max_connections=subscribers + 10, max_keepalive_connections=subscribers + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        queues = [asyncio.Queue() for _ in range(subscribers)]
        ready = [asyncio.Event() for _ in range(subscribers)]
        readers = [asyncio.create_task(sse(client, apis.urls[i % 2], apis.key, q, r))
                   for i, (q, r) in enumerate(zip(queues, ready))]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 120)
        writer = await asyncio.to_thread(start_writer, settings, n, rate)
        writer.stdin.write("go\n")
        writer.stdin.flush()
        got: list[set[int]] = [set() for _ in range(subscribers)]
        latencies = []

        async def drain(i: int) -> None:
            while len(got[i]) < n:
                kind, data, _ = await queues[i].get()
                if kind == "bench":
                    got[i].add(data["i"])
                    latencies.append(time.time() - data["sent"])

        try:
            await asyncio.wait_for(asyncio.gather(*(drain(i) for i in range(subscribers))), n / rate + 120)
        finally:
            for task in readers:
                task.cancel()
            await asyncio.to_thread(writer.wait, 60)
    complete = sum(len(g) == n for g in got)
    return {"subscribers": subscribers, "api_replicas": 2, "events": n, "rate_per_s": rate,
            "subscribers_with_every_event": complete, "deliveries": len(latencies), **quantiles(latencies)}


def across_replicas(settings: Settings, tmp: Path, alerts: int, subscribers: int, n: int, rate: float) -> dict:
    with Replicas(settings, tmp) as apis:
        return {"alert_end_to_end": asyncio.run(alert_latency(apis, alerts)),
                "fan_out": asyncio.run(fan_out(apis, settings, subscribers, n, rate))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0, help="events per second from the writer process")
    ap.add_argument("--alerts", type=int, default=40, help="alerts timed end to end (plus 2 warm-up)")
    ap.add_argument("--subscribers", type=int, default=100, help="SSE subscribers, half on each API replica")
    ap.add_argument("--fan-out-events", type=int, default=50)
    ap.add_argument("--es-url", default=None)
    args = ap.parse_args(argv)
    results, replicated = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        backends = [Settings(data_dir=Path(tmp) / "sqlite", store="sqlite", config_file=None)]
        if args.es_url:
            backends.append(Settings(data_dir=Path(tmp) / "es", store="elasticsearch", es_url=args.es_url,
                                     es_index=f"nwbench-{uuid.uuid4().hex[:8]}", config_file=None))
        for settings in backends:
            settings.data_dir.mkdir(parents=True)
            try:
                results[settings.store] = measure(settings, args.events, args.rate)
                replicated[settings.store] = across_replicas(settings, settings.data_dir, args.alerts,
                                                             args.subscribers, args.fan_out_events, args.rate)
            finally:
                if settings.store == "elasticsearch":
                    from elasticsearch import Elasticsearch

                    es = Elasticsearch(args.es_url)
                    if names := list(es.indices.get(index=f"{settings.es_index}*", expand_wildcards="all")):
                        es.indices.delete(index=names)
    for backend, r in results.items():
        e2e, fan = replicated[backend]["alert_end_to_end"], replicated[backend]["fan_out"]
        print(f"{backend}: log -> feed p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms ({r['events']} events); "
              f"alert POST on A -> SSE on B p50 {e2e['p50_ms']} ms, p95 {e2e['p95_ms']} ms ({e2e['alerts']} alerts); "
              f"fan-out to {fan['subscribers']} subscribers on 2 replicas p50 {fan['p50_ms']} ms, "
              f"p95 {fan['p95_ms']} ms, {fan['subscribers_with_every_event']} got all {fan['events']} events")
    print(write_result("events", {
        "what": "event log append (writer process) -> EventFeed subscriber (this process); alert end to end "
                "(POST /posts on API replica A -> alert event on an SSE stream of replica B, real HTTP); SSE "
                "fan-out (writer process appends -> 100 subscribers on 2 replicas)",
        "results": results, "across_replicas": replicated}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
