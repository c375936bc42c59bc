"""Runs the configured collectors (this worker's share of them) in rounds; moves a cursor only after the sink
accepted its batch.

A source that fails `unhealthy_after` times in a row is marked unhealthy and backs off exponentially
(interval · 2^(n-1), capped), while the other sources keep running on their own intervals. A failure that says when
to come back (`retry_at`: a spent daily quota, a platform's rate-limit window) waits until then instead, and one
marked `unhealthy` (a refused configuration, an expired token) is unhealthy at once. A collector whose rate-limit
window ran dry ends its run early and sets `not_before`: it comes back at the reset, and no collector sleeps
through a window while the others wait.
A collector with a `quota` (collectors.quota.Quota) gets it bound to its source's state before each run.
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
from collectors.sharing import Share
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


class LeaseLost(RuntimeError):
    """Another worker has taken this source over (our lease expired): stop; the cursor is that worker's now."""


def run_collector(collector: Collector, *, state, quarantine: Quarantine, sink: Sink,
                  claim_sink: ClaimSink | None, unhealthy_after: int = 3, max_backoff: float = 3600.0,
                  clock: Callable[[], float] = time.time, stop_event: threading.Event | None = None,
                  still_held: Callable[[], bool] = lambda: True) -> dict:
    """One pass of one collector. Never raises: failures go to the source's state.

    `state` is the source-state store (service/store/sources.py): the pass resumes from the cursor it read when it
    stamped the attempt, and moves the cursor only after the sink accepted each batch."""
    name = collector.name
    items = claims = batches = 0
    gen = None
    try:
        row = state.record_attempt(name, getattr(collector, "type", ""))
        quota = getattr(collector, "quota", None)
        if quota is not None:
            quota.bind(row.get("quota"), lambda spent: state.save_quota(name, spent))
        gen = collector.collect(row.get("cursor"))
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
            if (stop_event is not None and stop_event.is_set()) or not still_held():
                break
        # a collector may ask to come back no sooner than `not_before` (a rate-limit window's reset)
        state.record_success(name, max(clock() + float(collector.interval_seconds),
                                       float(getattr(collector, "not_before", 0) or 0)))
        return {"name": name, "ok": True, "items": items, "claims": claims, "batches": batches, "error": None}
    except LeaseLost as exc:
        log.warning("stopped %s: %s", name, exc)
        return {"name": name, "ok": False, "items": items, "claims": claims, "batches": batches, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 — a collector failure must never stop the others
        error = redact(f"{type(exc).__name__}: {exc}")  # shown by GET /sources: no API keys in URLs
        try:
            row = state.get(name) or {}
            n = int(row.get("consecutive_errors") or 0) + 1
            delay = min(max_backoff, float(collector.interval_seconds) * (2 ** (n - 1)))
            retry_at = getattr(exc, "retry_at", None)
            if retry_at is not None:  # the platform's window says when: then, not the exponential back-off
                delay = max(1.0, float(retry_at) - clock())
            state.record_failure(name, error, 1 if getattr(exc, "unhealthy", False) else unhealthy_after,
                                 clock() + delay)
        except Exception as record_exc:  # noqa: BLE001 - store down or source lost: the next pass retries
            log.warning("could not record the failure of %s: %s", name, record_exc)
            n = 0
        log.warning("collector %s failed (%d in a row): %s", name, n, error)
        return {"name": name, "ok": False, "items": items, "claims": claims, "batches": batches, "error": error}
    finally:
        if gen is not None:
            gen.close()


def run(sources: Sequence[Any], campaigns: Sequence[Campaign], sink: Sink, claim_sink: ClaimSink | None = None,
        *, state, leases=None, workers=None, quarantine_path: str | Path | None = None, once: bool = False,
        stop_event: threading.Event | None = None, http=None, unhealthy_after: int = 3, max_backoff: float = 3600.0,
        clock: Callable[[], float] = time.time, max_idle: float = 30.0,
        idle: Callable[[float], Any] | None = None) -> list[dict]:
    """Run collectors until `stop_event` is set (or one round when `once`). Returns the last results.

    `sources`: source configs (dicts / pydantic models from collectors.config) and/or ready Collector objects.
    `state`: where cursors and health live (service/store/sources.py). `leases` (service/store/leases.py): run only
    the sources this process holds a lease on, sharing them with the other workers (collectors/sharing.py);
    None runs every source (a single process, e.g. tests).
    `idle(seconds)` waits between rounds (default: `stop_event.wait`; the 24-hour bench passes its fake clock's).
    """
    stop_event = stop_event or threading.Event()
    collectors = _collectors_from(sources, campaigns, http)
    quarantine = Quarantine(quarantine_path)
    results: dict[str, dict] = {}
    share = Share(leases, [c.name for c in collectors], everything=once, workers=workers) if leases else None
    known = False
    try:
        if share is not None:
            share.start()
        while not stop_event.is_set():
            try:  # the store may be down (at start or later): cursors and leases live there, so wait for it
                if not known:
                    for c in collectors:
                        state.ensure(c.name, getattr(c, "type", ""))
                    known = True
                due = {c.name: float((state.get(c.name) or {}).get("next_run_at") or 0) for c in collectors
                       if share is None or share.holds(c.name)}
            except Exception as exc:  # noqa: BLE001 - StoreUnavailable (collectors do not import the store)
                log.warning("collector state unreachable, collecting nothing until it is back: %s", exc)
                if once:
                    break
                stop_event.wait(min(max_idle, share.interval if share is not None else 5.0))
                continue
            now = clock()
            for c in collectors:
                if stop_event.is_set():
                    break
                if c.name not in due or not (once or due[c.name] <= now):
                    continue
                if share is not None and not share.begin(c.name):
                    continue
                try:
                    held = (lambda n=c.name: share.holds(n)) if share is not None else (lambda: True)
                    results[c.name] = run_collector(c, state=state, quarantine=quarantine, sink=sink,
                                                    claim_sink=claim_sink, unhealthy_after=unhealthy_after,
                                                    max_backoff=max_backoff, clock=clock, stop_event=stop_event,
                                                    still_held=held)
                finally:
                    if share is not None:
                        share.end()
            if once:
                break
            # sleep until our next source is due; with leases, wake every renewal interval at least, so a source
            # taken over from a dead worker starts promptly
            limit = min(max_idle, share.interval) if share is not None else max_idle
            try:
                soonest = min((float((state.get(n) or {}).get("next_run_at") or 0) for n in due),
                              default=clock() + limit)
            except Exception:  # noqa: BLE001 - store down: the next round waits for it
                soonest = clock() + limit
            (idle or stop_event.wait)(max(0.05, min(limit, soonest - clock())))
    finally:
        if share is not None:
            share.stop()
        state.close()
    return list(results.values())


def run_from_config(config: dict | Sequence[Any], campaigns: Sequence[Campaign], sink: Sink,
                    claim_sink: ClaimSink | None, *, state, leases, workers, quarantine_path: str | Path,
                    once: bool = False, stop_event: threading.Event | None = None, http=None) -> list[dict]:
    """For the CLI/worker: `config` is the project YAML dict (its `sources:` list) or the list itself."""
    from collectors.config import parse_sources
    return run(parse_sources(config), campaigns, sink, claim_sink, state=state, leases=leases,
               workers=workers, quarantine_path=quarantine_path, once=once, stop_event=stop_event, http=http)
