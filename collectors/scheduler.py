"""Runs every configured collector in rounds; persists cursors only after the sink accepted a batch.

A source that fails `unhealthy_after` times in a row is marked unhealthy and backs off exponentially
(interval · 2^(n-1), capped), while the other sources keep running on their own intervals. A failure that says when
to come back (`retry_at`: a spent daily quota, a platform's rate-limit window) waits until then instead, and one
marked `unhealthy` (a refused configuration, an expired token) is unhealthy at once.
A collector with a `quota` (collectors.quota.Quota) gets it bound to its row of the state DB before each run.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from collectors.base import Collector
from core.quarantine import Quarantine
from collectors.state import StateStore
from core.domain import Campaign, Post
from core.redact import redact

log = logging.getLogger("collectors.scheduler")

Sink = Callable[[list[Post]], None]
ClaimSink = Callable[[list[dict]], None]


def _collectors_from(sources: Sequence[Any], campaigns: Sequence[Campaign], http) -> list[Collector]:
    ready = [s for s in sources if hasattr(s, "collect")]
    configs = [s for s in sources if not hasattr(s, "collect")]
    if configs:
        from collectors.config import build_collectors, parse_sources
        if http is None:
            from collectors.http import HttpClient
            http = HttpClient()
        ready += build_collectors(parse_sources(configs), campaigns, http)
    names = [c.name for c in ready]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"duplicate collector names: {sorted(dupes)}")
    return ready


def run_collector(collector: Collector, *, state: StateStore, quarantine: Quarantine, sink: Sink,
                  claim_sink: ClaimSink | None, unhealthy_after: int = 3, max_backoff: float = 3600.0,
                  clock: Callable[[], float] = time.time, stop_event: threading.Event | None = None) -> dict:
    """One pass of one collector. Never raises: failures go to the state DB."""
    name = collector.name
    state.ensure(name, getattr(collector, "type", ""))
    state.record_attempt(name)
    cursor = state.cursor(name)
    quota = getattr(collector, "quota", None)
    if quota is not None:
        quota.bind(state.quota(name), lambda spent: state.save_quota(name, spent))
    items = claims = batches = 0
    gen = collector.collect(cursor)
    try:
        for batch in gen:
            for rej in batch.rejects:
                quarantine.put(name, rej.reason, rej.payload)
            if batch.posts:
                sink(list(batch.posts))  # may raise: the cursor is then not advanced
            if batch.claims and claim_sink is not None:
                claim_sink(list(batch.claims))
            state.commit_batch(name, batch.cursor, len(batch.posts), batch.skipped)
            items += len(batch.posts)
            claims += len(batch.claims)
            batches += 1
            if stop_event is not None and stop_event.is_set():
                break
        state.record_success(name, clock() + float(collector.interval_seconds))
        return {"name": name, "ok": True, "items": items, "claims": claims, "batches": batches, "error": None}
    except Exception as exc:  # noqa: BLE001 — a collector failure must never stop the others
        row = state.get(name) or {}
        n = int(row.get("consecutive_errors") or 0) + 1
        delay = min(max_backoff, float(collector.interval_seconds) * (2 ** (n - 1)))
        retry_at = getattr(exc, "retry_at", None)
        if retry_at is not None:  # the platform's window says when: then, not the exponential back-off
            delay = max(1.0, float(retry_at) - clock())
        error = redact(f"{type(exc).__name__}: {exc}")  # shown by GET /sources: no API keys in URLs
        state.record_failure(name, error, 1 if getattr(exc, "unhealthy", False) else unhealthy_after, clock() + delay)
        log.warning("collector %s failed (%d in a row): %s", name, n, error)
        return {"name": name, "ok": False, "items": items, "claims": claims, "batches": batches, "error": error}
    finally:
        gen.close()


def run(sources: Sequence[Any], campaigns: Sequence[Campaign], sink: Sink, claim_sink: ClaimSink | None = None,
        state_path: str | Path = "data/collectors.db", quarantine_path: str | Path | None = None,
        once: bool = False, stop_event: threading.Event | None = None, *, http=None,
        unhealthy_after: int = 3, max_backoff: float = 3600.0, clock: Callable[[], float] = time.time,
        max_idle: float = 30.0, idle: Callable[[float], Any] | None = None) -> list[dict]:
    """Run collectors until `stop_event` is set (or one round when `once`). Returns the last results.

    `sources`: source configs (dicts / pydantic models from collectors.config) and/or ready Collector objects.
    `idle(seconds)` waits between rounds (default: `stop_event.wait`; the 24-hour bench passes its fake clock's).
    """
    stop_event = stop_event or threading.Event()
    collectors = _collectors_from(sources, campaigns, http)
    state = StateStore(state_path)
    quarantine = Quarantine(quarantine_path)
    results: dict[str, dict] = {}
    try:
        for c in collectors:
            state.ensure(c.name, getattr(c, "type", ""))
        while not stop_event.is_set():
            now = clock()
            for c in collectors:
                if stop_event.is_set():
                    break
                row = state.get(c.name) or {}
                if not once and float(row.get("next_run_at") or 0) > now:
                    continue
                results[c.name] = run_collector(c, state=state, quarantine=quarantine, sink=sink,
                                                claim_sink=claim_sink, unhealthy_after=unhealthy_after,
                                                max_backoff=max_backoff, clock=clock, stop_event=stop_event)
            if once:
                break
            due = [float((state.get(c.name) or {}).get("next_run_at") or 0) for c in collectors]
            wait = max(0.05, min(max_idle, (min(due) if due else now + max_idle) - clock()))
            (idle or stop_event.wait)(wait)
    finally:
        state.close()
    return list(results.values())


def run_from_config(config: dict | Sequence[Any], campaigns: Sequence[Campaign], sink: Sink,
                    claim_sink: ClaimSink | None, data_dir: str | Path, *, once: bool = False,
                    stop_event: threading.Event | None = None, http=None) -> list[dict]:
    """Convenience for the CLI/worker: `config` is the project YAML dict (its `sources:` list) or the list itself.

    State goes to <data_dir>/collectors.db (read by GET /sources), quarantine to <data_dir>/quarantine/collectors.jsonl.
    """
    from collectors.config import parse_sources
    data_dir = Path(data_dir)
    return run(parse_sources(config), campaigns, sink, claim_sink, state_path=data_dir / "collectors.db",
               quarantine_path=data_dir / "quarantine" / "collectors.jsonl", once=once, stop_event=stop_event, http=http)
