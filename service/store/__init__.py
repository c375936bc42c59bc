"""Store stage: one contract (base.Store), an embedded SQLite default and Elasticsearch at scale."""
from __future__ import annotations

from service.config import Settings
from service.store.base import Page, PostQuery, SearchResult, Store, StoreRejected, StoreUnavailable

__all__ = ["Page", "PostQuery", "SearchResult", "Store", "StoreRejected", "StoreUnavailable", "open_store"]


def open_store(settings: Settings) -> Store:
    if settings.store == "elasticsearch":
        from service.store.elastic import ElasticStore

        return ElasticStore(settings.es_url, index=settings.es_index, shards=settings.es_shards,
                            replicas=settings.es_replicas)
    from service.store.sqlite import SQLiteStore

    return SQLiteStore(settings.sqlite_path)
