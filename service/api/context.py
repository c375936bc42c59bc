"""What every request handler may use: one store, one pipeline, the settings. Built once per process."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from classifiers.base import PostClassifier
from service.config import Settings
from service.pipeline import Pipeline
from service.spool import Spool
from service.store import Store, open_store


@dataclass
class AppContext:
    settings: Settings
    store: Store
    pipeline: Pipeline
    alerts: Any = None  # service.alerts.engine.AlertEngine: rules, alerts, narratives, delivery

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None,
              classifier: PostClassifier | None = None) -> "AppContext":
        from service.classify import default_classifier

        store = store or open_store(settings)
        store.init()
        for campaign in settings.campaigns():  # the YAML file seeds campaigns; the API edits them afterwards
            if store.get_campaign(campaign.id) is None:
                store.put_campaign(campaign)
        pipeline = Pipeline(store, classifier or default_classifier(settings, store.list_campaigns()), Spool(settings.spool_dir),
                            batch_size=settings.batch_size)
        from service.alerts.engine import AlertEngine

        engine = AlertEngine.build(settings, store).start()
        pipeline.listeners.append(engine.on_batch)
        return cls(settings=settings, store=store, pipeline=pipeline, alerts=engine)
