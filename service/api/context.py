"""What every request handler may use: one store, one pipeline, the settings. Built once per process."""
from __future__ import annotations

from dataclasses import dataclass

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

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None,
              classifier: PostClassifier | None = None) -> "AppContext":
        from service.classify import default_classifier

        store = store or open_store(settings)
        store.init()
        for campaign in settings.campaigns():  # the YAML file seeds campaigns; the API edits them afterwards
            if store.get_campaign(campaign.id) is None:
                store.put_campaign(campaign)
        pipeline = Pipeline(store, classifier or default_classifier(), Spool(settings.spool_dir),
                            batch_size=settings.batch_size)
        return cls(settings=settings, store=store, pipeline=pipeline)
