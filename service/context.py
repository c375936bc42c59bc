"""What every request handler may use: one store, one pipeline, the alert engine, the settings. Built once per
process (the API and the worker each build one)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from classifiers.base import PostClassifier
from service.alerts.engine import AlertEngine
from service.classify import PendingClaims, default_classifier
from service.config import Settings
from core.domain import Campaign
from service.pipeline import Pipeline
from core.quarantine import Quarantine
from service.spool import Spool
from service.store import Store, StoreUnavailable, open_store
from service.store.startup import StoreStartup
from service.tipline import TipDesk, build_desk

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings: Settings
    store: Store
    pipeline: Pipeline
    alerts: AlertEngine
    startup: StoreStartup
    tipline: TipDesk

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None, classifier: PostClassifier | None = None,
              background_init: bool = True) -> "AppContext":
        """`background_init`: long-running processes (API, worker) retry an unreachable store's init with back-off;
        a one-shot command relies on the pipeline's retry before each write."""
        store = store or open_store(settings)
        engine = AlertEngine.build(settings, store)  # touches no store yet: rules load once the store is ready
        pending = PendingClaims(settings)
        startup = StoreStartup(store, on_ready=lambda: _seed(store, settings, engine, pending))
        if not startup.try_now():  # a store down at start must not stop the process: writes spool meanwhile
            log.warning("store unreachable at start; writes are spooled until it is back: %s", startup.error)
            if background_init:
                startup.retry_in_background()
        ready = startup.ready.is_set()
        campaigns = _campaigns(store, settings) if ready else settings.campaigns()
        classifier = classifier or default_classifier(settings, campaigns, None if ready else pending)
        pipeline = Pipeline(store, classifier, Spool(settings.spool_dir), batch_size=settings.batch_size,
                            quarantine=Quarantine(settings.quarantine_dir / "store.jsonl"), startup=startup,
                            known_campaigns=campaigns)
        engine.start()
        pipeline.listeners.append(engine.on_batch)  # alerts are evaluated once a batch is safely stored
        return cls(settings=settings, store=store, pipeline=pipeline, alerts=engine, startup=startup,
                   tipline=build_desk(settings, pipeline, engine.alerts))

    def close(self) -> None:
        """What the API's shutdown and the CLI's exit release: store retries, delivery thread, tipline, store."""
        self.startup.stop()  # a store still down at shutdown: stop retrying init
        self.alerts.close()  # stops the delivery thread; undelivered alerts stay in the outbox
        self.tipline.close()
        self.store.close()


def _seed(store: Store, settings: Settings, engine: AlertEngine, pending: PendingClaims) -> None:
    """Once the store is reachable (at start, or later from the background retry): the YAML file seeds campaigns
    and rules once (the API manages them afterwards), then the engine loads the rules (the only place they are
    loaded at start), and a claim matcher built while the store was down gets the stored claims."""
    for campaign in settings.campaigns():
        if store.get_campaign(campaign.id) is None and store.campaign_tombstone(campaign.id) is None:
            store.put_campaign(campaign)  # a retired id is never re-seeded (another workspace could inherit it)
    for rule in settings.rules():
        if engine.alerts.get_rule(rule.id) is None:
            engine.put_rule(rule, actor="config", action="rule.seed")
    # processes started together seed concurrently: a rule another one is storing may not show in a search yet
    engine.reload_rules(also=[rule.id for rule in settings.rules()])
    pending.fill()


def _campaigns(store: Store, settings: Settings) -> list[Campaign]:
    """The store's campaigns, or the config file's while the store is unreachable. Only once the store is set up:
    before that (another process is still creating the indices, a shard still recovering) they may not exist."""
    try:
        return store.list_campaigns()
    except StoreUnavailable:
        return settings.campaigns()
