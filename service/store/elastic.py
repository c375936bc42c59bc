"""Elasticsearch 8 backend: index template with Indonesian + English analysis, bulk upserts by stable id."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError, helpers

from service.domain import Campaign, Post
from service.store.base import (Interval, Page, PostQuery, SearchResult, Store, StoreUnavailable, TermField,
                                merge_existing)

log = logging.getLogger(__name__)

_FIELDS: dict[str, str] = {"platform": "platform", "lang": "lang", "sentiment": "classification.sentiment",
                           "author": "author", "source": "source", "campaigns": "campaigns", "hashtags": "hashtags"}

# Full chain (analysis-common module, present in every Elasticsearch distribution and the docker image).
FULL_ANALYSIS = {
    "filter": {
        "id_stop": {"type": "stop", "stopwords": "_indonesian_"},
        "id_stem": {"type": "stemmer", "language": "indonesian"},
        "en_stop": {"type": "stop", "stopwords": "_english_"},
        "en_stem": {"type": "stemmer", "language": "light_english"},
    },
    "analyzer": {
        "nw_id": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding", "id_stop", "id_stem"]},
        "nw_en": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding", "en_stop", "en_stem"]},
    },
}
# Server-only chain, for a node built without analysis-common (the embedded test node): still
# language-aware stopwords, no stemming.
CORE_ANALYSIS = {
    "analyzer": {
        "nw_id": {"type": "standard", "stopwords": "_indonesian_"},
        "nw_en": {"type": "standard", "stopwords": "_english_"},
    },
}

KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}
TEXT = {"type": "text", "analyzer": "nw_id", "fields": {"en": {"type": "text", "analyzer": "nw_en"}}}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": KEYWORD, "source": KEYWORD, "native_id": KEYWORD, "platform": KEYWORD, "url": KEYWORD,
        "author": KEYWORD, "lang": KEYWORD, "title": TEXT, "text": TEXT, "truncated": {"type": "boolean"},
        "created_at": DATE, "collected_at": DATE, "first_seen_at": DATE,
        "campaigns": KEYWORD, "hashtags": KEYWORD, "links": KEYWORD,
        "engagement": {"properties": {k: {"type": "long"} for k in ("likes", "reposts", "replies", "views")}},
        "engagement_total": {"type": "long"},
        "classification": {"properties": {
            "sentiment": KEYWORD, "sentiment_score": {"type": "float"}, "hoax_score": {"type": "float"},
            "hoax": {"type": "boolean"}, "hoax_reasons": {"type": "keyword", "index": False},
            "matched_claim_id": KEYWORD, "matched_claim_url": KEYWORD, "entities": KEYWORD,
        }},
        "raw": {"type": "object", "enabled": False},  # kept for provenance, never indexed
    },
}


def _unavailable(exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"elasticsearch: {type(exc).__name__}: {exc}")


class ElasticStore(Store):
    def __init__(self, url: str, index: str = "narrawatch", refresh: bool = False, client: Elasticsearch | None = None):
        self.es = client or Elasticsearch(url, request_timeout=30, retry_on_timeout=True, max_retries=2)
        self.index = index
        self.campaign_index = f"{index}-campaigns"
        self.tombstone_index = f"{index}-campaign-tombstones"
        self.refresh: Any = "wait_for" if refresh else False  # tests read their own writes
        self.analysis = "full"

    # -- setup --
    def init(self) -> None:
        try:
            self._put_template(FULL_ANALYSIS)
        except BadRequestError as exc:
            if "analyzer" not in str(exc) and "filter" not in str(exc):
                raise
            log.warning("analysis-common module missing on this node; using core analyzers (no stemming)")
            self.analysis = "core"
            self._put_template(CORE_ANALYSIS)
        for name in (self.index, self.campaign_index, self.tombstone_index):
            if not self.es.indices.exists(index=name):
                try:
                    self.es.indices.create(index=name, **({} if name == self.index else {"mappings": {
                        "dynamic": False, "properties": {"id": KEYWORD, "workspace": KEYWORD}}}))
                except BadRequestError as exc:  # created concurrently by another process
                    if "resource_already_exists" not in str(exc):
                        raise
        # an index created by an older version lacks fields added since (the mapping is strict); adding is idempotent
        self.es.indices.put_mapping(index=self.index, properties={"truncated": MAPPINGS["properties"]["truncated"]})

    def _put_template(self, analysis: dict) -> None:
        # Elasticsearch validates the analysis chain here, so a node lacking a filter rejects the template.
        self.es.indices.put_index_template(
            name=self.index, index_patterns=[self.index], priority=200,
            template={"settings": {"number_of_shards": 1, "number_of_replicas": 0, "analysis": analysis},
                      "mappings": MAPPINGS})

    def drop(self) -> None:
        self.es.indices.delete(index=[self.index, self.campaign_index, self.tombstone_index], ignore_unavailable=True)
        self.es.options(ignore_status=404).indices.delete_index_template(name=self.index)

    def ping(self) -> bool:
        try:
            return bool(self.es.ping())
        except Exception:  # noqa: BLE001 - ping answers, never raises
            return False

    def close(self) -> None:
        self.es.close()

    # -- writes --
    def upsert(self, posts: Iterable[Post]) -> int:
        batch = {p.id: p for p in posts}
        if not batch:
            return 0
        try:
            existing = self._existing(list(batch))
            actions = [self._action(merge_existing(p, existing[p.id]) if p.id in existing else p)
                       for p in batch.values()]
            ok, errors = helpers.bulk(self.es, actions, refresh=self.refresh, raise_on_error=False,
                                      max_retries=3, initial_backoff=1)
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        if errors:
            raise StoreUnavailable(f"elasticsearch rejected {len(errors)} documents, first: {errors[0]}")
        return ok

    def _existing(self, ids: list[str]) -> dict[str, Post]:
        found: dict[str, Post] = {}
        resp = self.es.mget(index=self.index, ids=ids, source_includes=["first_seen_at", "collected_at", "campaigns"])
        for doc in resp["docs"]:
            if doc.get("found"):
                src = doc["_source"]
                found[doc["_id"]] = Post.model_construct(first_seen_at=_dt(src.get("first_seen_at")),
                                                         collected_at=_dt(src.get("collected_at")),
                                                         campaigns=src.get("campaigns") or [])
        return found

    def _action(self, post: Post) -> dict:
        doc = post.model_dump(mode="json")
        doc["engagement_total"] = post.engagement.total
        return {"_op_type": "index", "_index": self.index, "_id": post.id, "_source": doc}

    def delete_by_campaign(self, campaign: str) -> int:
        actions = []
        for hit in helpers.scan(self.es, index=self.index, query={"query": {"term": {"campaigns": campaign}}},
                                _source=["campaigns"]):
            rest = [c for c in hit["_source"]["campaigns"] if c != campaign]
            actions.append({"_op_type": "update", "_index": self.index, "_id": hit["_id"], "doc": {"campaigns": rest}}
                           if rest else {"_op_type": "delete", "_index": self.index, "_id": hit["_id"]})
        helpers.bulk(self.es, actions, refresh="wait_for")
        return len(actions)

    # -- reads --
    def _query(self, q: PostQuery) -> dict:
        filters: list[dict] = [{"term": {_FIELDS[f]: getattr(q, f)}}
                               for f in ("platform", "lang", "sentiment", "author") if getattr(q, f) is not None]
        if q.campaign:
            filters.append({"term": {"campaigns": q.campaign}})
        if q.campaigns is not None:
            filters.append({"terms": {"campaigns": q.campaigns}})
        if q.hoax is not None:
            filters.append({"term": {"classification.hoax": q.hoax}})
        if q.since or q.until:
            rng = {k: v.isoformat() for k, v in (("gte", q.since), ("lt", q.until)) if v}
            filters.append({"range": {"created_at": rng}})
        must = [{"simple_query_string": {"query": q.text, "fields": ["title^2", "text", "title.en", "text.en"],
                                         "default_operator": "and", "lenient": True}}] if q.text else []
        return {"bool": {"filter": filters, "must": must}}

    def search(self, query: PostQuery, page: Page = Page()) -> SearchResult:
        sort = {
            "newest": [{"created_at": "desc"}, {"id": "asc"}],
            "oldest": [{"created_at": "asc"}, {"id": "asc"}],
            "engagement": [{"engagement_total": "desc"}, {"created_at": "desc"}, {"id": "asc"}],
            "relevance": ["_score", {"created_at": "desc"}, {"id": "asc"}] if query.text
            else [{"created_at": "desc"}, {"id": "asc"}],
        }[page.sort]
        resp = self._call(self.es.search, index=self.index, query=self._query(query), sort=sort,
                          from_=page.offset, size=page.limit, track_total_hits=True)
        return SearchResult(total=resp["hits"]["total"]["value"],
                            posts=[_post(h["_source"]) for h in resp["hits"]["hits"]])

    def get(self, post_id: str) -> Post | None:
        try:
            return _post(self.es.get(index=self.index, id=post_id)["_source"])
        except NotFoundError:
            return None
        except TransportError as exc:
            raise _unavailable(exc) from exc

    def get_many(self, post_ids: Iterable[str]) -> dict[str, Post]:
        ids = list(dict.fromkeys(post_ids))
        if not ids:
            return {}
        docs = self._call(self.es.mget, index=self.index, ids=ids)["docs"]
        return {d["_id"]: _post(d["_source"]) for d in docs if d.get("found")}

    def count(self, query: PostQuery = PostQuery()) -> int:
        return self._call(self.es.count, index=self.index, query=self._query(query))["count"]

    def histogram(self, query: PostQuery, interval: Interval = "day") -> list[tuple[datetime, int]]:
        resp = self._call(self.es.search, index=self.index, query=self._query(query), size=0, aggs={"h": {
            "date_histogram": {"field": "created_at", "calendar_interval": interval, "min_doc_count": 1,
                               "time_zone": "UTC"}}})
        return [(_dt(b["key_as_string"]), b["doc_count"]) for b in resp["aggregations"]["h"]["buckets"]]

    def terms(self, query: PostQuery, field: TermField, size: int = 10) -> list[tuple[str, int]]:
        resp = self._call(self.es.search, index=self.index, query=self._query(query), size=0, aggs={"t": {
            "terms": {"field": _FIELDS[field], "size": size, "order": [{"_count": "desc"}, {"_key": "asc"}]}}})
        return [(b["key"], b["doc_count"]) for b in resp["aggregations"]["t"]["buckets"]]

    def scan(self, query: PostQuery) -> Iterator[Post]:
        after = None
        while True:
            resp = self._call(self.es.search, index=self.index, query=self._query(query), size=500,
                              sort=[{"created_at": "asc"}, {"id": "asc"}], search_after=after)
            hits = resp["hits"]["hits"]
            if not hits:
                return
            yield from (_post(h["_source"]) for h in hits)
            after = hits[-1]["sort"]

    def _call(self, fn, **kwargs):
        try:
            return fn(**kwargs)
        except NotFoundError:
            raise
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc

    # -- campaigns --
    def put_campaign(self, campaign: Campaign) -> None:
        self.es.index(index=self.campaign_index, id=campaign.id, document=campaign.model_dump(mode="json"),
                      refresh="wait_for")

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        try:
            return Campaign.model_validate(self.es.get(index=self.campaign_index, id=campaign_id)["_source"])
        except NotFoundError:
            return None

    def list_campaigns(self, workspace: str | None = None) -> list[Campaign]:
        query = {"term": {"workspace": workspace}} if workspace is not None else {"match_all": {}}
        resp = self.es.search(index=self.campaign_index, query=query, size=1000, sort=[{"id": "asc"}])
        return [Campaign.model_validate(h["_source"]) for h in resp["hits"]["hits"]]

    def remove_campaign(self, campaign_id: str) -> bool:
        campaign = self.get_campaign(campaign_id)
        if campaign is None:
            return False
        self.es.index(index=self.tombstone_index, id=campaign_id, refresh="wait_for",
                      document={"id": campaign_id, "workspace": campaign.workspace})  # before the delete: never lost
        try:
            self.es.delete(index=self.campaign_index, id=campaign_id, refresh="wait_for")
            return True
        except NotFoundError:
            return False

    def campaign_tombstone(self, campaign_id: str) -> str | None:
        try:
            return self.es.get(index=self.tombstone_index, id=campaign_id)["_source"]["workspace"]
        except NotFoundError:
            return None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _post(source: dict) -> Post:
    source = {k: v for k, v in source.items() if k != "engagement_total"}
    return Post.model_validate(source)
