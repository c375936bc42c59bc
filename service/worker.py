"""The long-running worker: collectors feed the pipeline; the spool is replayed whenever the store is back.

Any number of workers may run against one store: they split the sources by leases (collectors/sharing.py)."""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from service.context import AppContext
from service.classify import claim_store, keep_claims
from service.store.base import StoreUnavailable
from service.store.events import EventPruner
from service.store.leases import Leases
from service.store.sources import SourceState
from service.tipline.poller import start_poller

log = logging.getLogger(__name__)


def drain_forever(ctx: AppContext, stop: threading.Event, every: float = 10.0,
                  ticks: Sequence[Callable[[], object]] = ()) -> None:
    """Replay the spool every `every` seconds; then run each periodic `tick` (e.g. the daily digest scheduler)."""
    while not stop.wait(every):
        if ctx.pipeline.spool.batches():
            try:
                log.info("replayed %d spooled posts", ctx.pipeline.drain())
            except StoreUnavailable as exc:
                log.warning("store still unavailable: %s", exc)
        for tick in ticks:
            try:
                tick()
            except StoreUnavailable as exc:  # an outage: the job runs again on a later tick
                log.warning("periodic job %s waits for the store: %s", getattr(tick, "__qualname__", tick), exc)
            except Exception:  # noqa: BLE001 - a periodic job must not stop the spool replay
                log.exception("periodic job %r failed", tick)


def periodic_jobs(ctx: AppContext, clock: Callable[[], datetime] | None = None) -> list[Callable[[], object]]:
    """Jobs the worker ticks from its drain loop: pruning the live-event log (one worker an hour, by lease) and the
    daily digest e-mail when `alerts.digest.enabled`."""
    jobs: list[Callable[[], object]] = [EventPruner.open(ctx.settings).tick]
    engine = ctx.alerts
    if engine.settings.digest.enabled:
        from service.alerts.digest_schedule import DigestScheduler

        jobs.append(DigestScheduler.for_engine(engine, **({"clock": clock} if clock else {})).tick)
    return jobs


def warm_up(ctx: AppContext) -> None:
    """Load the models' lazy parts (claim index, entity rules) before claiming sources: a first batch that spends
    seconds building them must not starve the lease renewals and hand this worker's sources to another."""
    from core.domain import Post

    try:
        ctx.pipeline.classifier.classify([Post(source="warm-up", native_id="0", text="kabar vaksin hoaks ktt asean",
                                               created_at=datetime(2026, 1, 1))])
    except Exception:  # noqa: BLE001 - the first real batch will build them instead
        log.exception("model warm-up failed")


def run_worker(ctx: AppContext, once: bool = False, stop: threading.Event | None = None) -> list[dict]:
    """Collect from every configured source; `once` runs a single round (cron-style), else until SIGTERM/SIGINT."""
    from collectors.scheduler import run_from_config

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    claims = claim_store(ctx.settings)
    leases = Leases.open(ctx.settings)  # this process's share of the sources, agreed with the other workers
    workers = Leases.open(ctx.settings, leases.owner, kind="workers", searchable=True)
    index = getattr(ctx.pipeline.classifier, "claims", None)

    warm_up(ctx)
    drainer = poller = None
    if not once:
        drainer = threading.Thread(target=drain_forever, args=(ctx, stop), kwargs={"ticks": periodic_jobs(ctx)},
                                   daemon=True, name="spool-drain")
        drainer.start()
        poller = start_poller(ctx.tipline, ctx.settings, leases, stop)  # Telegram tipline by long polling
    try:
        return run_from_config(ctx.settings.file_config, ctx.pipeline.current_campaigns(),  # store may be down
                               sink=lambda posts: ctx.pipeline.process(posts),
                               claim_sink=lambda items: keep_claims(claims, index, items),
                               state=SourceState.open(ctx.settings, leases.owner), leases=leases, workers=workers,
                               quarantine_path=ctx.settings.quarantine_dir / "collectors.jsonl", once=once,
                               stop_event=stop)
    finally:
        stop.set()
        for thread in (drainer, poller):
            if thread:
                thread.join(5)
