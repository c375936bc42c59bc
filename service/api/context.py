"""What every request handler may use: one store, one pipeline, the alert engine, the settings. Built once per
process (the API and the worker each build one)."""
from __future__ import annotations

from dataclasses import dataclass

from classifiers.base import PostClassifier
from service.alerts.engine import AlertEngine
from service.classify import default_classifier
from service.config import Settings
from service.pipeline import Pipeline
from service.spool import Spool
from service.store import Store, open_store


@dataclass
class AppContext:
    settings: Settings
    store: Store
    pipeline: Pipeline
    alerts: AlertEngine

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None,
              classifier: PostClassifier | None = None) -> "AppContext":
        store = store or open_store(settings)
        store.init()
        for campaign in settings.campaigns():  # the YAML file seeds campaigns; the API edits them afterwards
            if store.get_campaign(campaign.id) is None and store.campaign_tombstone(campaign.id) is None:
                store.put_campaign(campaign)
        classifier = classifier or default_classifier(settings, store.list_campaigns())
        pipeline = Pipeline(store, classifier, Spool(settings.spool_dir), batch_size=settings.batch_size)
        engine = AlertEngine.build(settings, store).start()
        for rule in settings.rules():  # like campaigns: the YAML seeds rules once, /rules manages them afterwards
            if engine.alerts.get_rule(rule.id) is None:
                engine.put_rule(rule, actor="config", action="rule.seed")
        pipeline.listeners.append(engine.on_batch)  # alerts are evaluated once a batch is safely stored
        return cls(settings=settings, store=store, pipeline=pipeline, alerts=engine)
