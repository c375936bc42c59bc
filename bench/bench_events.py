"""Live-event latency across processes: a separate writer process appends events to the store's event log (what the
engine does when an alert fires or changes), this process's EventFeed (the one the API runs for /alerts/stream)
delivers them to a subscriber; latency = delivery time - append time (same host clock). Goal: p95 under 2 s.

    .venv/bin/python -m bench.bench_events [--events 200] [--rate 20] [--es-url http://127.0.0.1:9200]

Runs on SQLite (state.db) and, given --es-url, on Elasticsearch; writes bench/results/events.json.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.system import write_result
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


def measure(settings: Settings, n: int, rate: float) -> dict:
    feed = EventFeed(open_events(settings))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(settings.data_dir), settings.store, settings.es_url,
                               settings.es_index, str(n), str(rate)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[1])
    assert writer.stdout.readline().strip() == "ready"

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
    q = statistics.quantiles(latencies, n=100)
    return {"events": n, "rate_per_s": rate, "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1), "poll_seconds": feed.poll_seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0, help="events per second from the writer process")
    ap.add_argument("--es-url", default=None)
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(Settings(data_dir=Path(tmp), store="sqlite"), args.events, args.rate)
        if args.es_url:
            index = f"nwbench-{uuid.uuid4().hex[:8]}"
            settings = Settings(data_dir=Path(tmp), store="elasticsearch", es_url=args.es_url, es_index=index)
            try:
                results["elasticsearch"] = measure(settings, args.events, args.rate)
            finally:
                from elasticsearch import Elasticsearch

                Elasticsearch(args.es_url).indices.delete(index=f"{index}-state-events", ignore_unavailable=True)
    for backend, r in results.items():
        print(f"{backend}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms ({r['events']} events)")
    print(write_result("events", {"what": "event log append (writer process) -> EventFeed subscriber (this process)",
                                  "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
