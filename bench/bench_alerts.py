"""Alert benchmark: latency from ingest (Pipeline.process of one post) to the signed webhook arriving at a receiver
on 127.0.0.1, p50/p95 over N alerts (each alert is resolved before the next post so a new one fires; cooldown 0).
Rule-matching throughput is bench/bench_matcher.py (the same in-process matcher runs whatever the store).

    .venv/bin/python bench/bench_alerts.py [--alerts 100]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.alerts.config import AlertSettings, WebhookTarget  # noqa: E402
from service.alerts.engine import AlertEngine  # noqa: E402
from service.alerts.rules import Rule, RuleQuery  # noqa: E402
from service.alerts.store import AlertStore  # noqa: E402
from service.domain import Campaign, Post  # noqa: E402
from service.pipeline import Pipeline  # noqa: E402
from service.spool import Spool  # noqa: E402
from service.store.sqlite import SQLiteStore  # noqa: E402
from tests.alerts.receivers import receiver  # noqa: E402
from tests.factories import T0  # noqa: E402


class Identity:
    def classify(self, posts):
        return posts


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_latency(n: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="nwbench-"))
    store = SQLiteStore(tmp / "s.db")
    store.init()
    store.put_campaign(Campaign(id="asean", name="KTT", keywords=["asean"], key_messages=["KTT aman"]))
    with receiver() as hook:
        settings = AlertSettings(allow_private_targets=True, webhooks=[WebhookTarget(url=hook.url, secret="k")],
                                 delivery_poll_seconds=0.5)
        engine = AlertEngine(store, AlertStore(tmp / "alerts.db"), settings).start()
        engine.put_rule(Rule(id="kw", name="chip", query=RuleQuery(any=["vaksin chip"]), cooldown_minutes=0))
        pipeline = Pipeline(store, Identity(), Spool(tmp / "spool"))
        pipeline.listeners.append(engine.on_batch)
        lat = []
        for i in range(n):
            post = Post(source="bench", native_id=str(i), text=f"Awas vaksin chip di KTT ASEAN nomor {i}",
                        author=f"u{i}", created_at=T0 + timedelta(minutes=i))
            t0 = time.perf_counter()
            pipeline.process([post])
            hook.wait(i + 1, timeout=10)
            lat.append((hook.received_at[i] - t0) * 1000)
            for a in engine.alerts.list_alerts(status="open"):
                engine.alerts.transition(a.id, "bench", "resolve", status="resolved")
        engine.close()
    return {"alerts": n, "p50_ms": round(pct(lat, 0.5), 2), "p95_ms": round(pct(lat, 0.95), 2),
            "max_ms": round(max(lat), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=100)
    args = ap.parse_args()
    print("latency ingest->webhook:", bench_latency(args.alerts))


if __name__ == "__main__":
    main()
