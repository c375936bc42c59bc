"""Elasticsearch 8 backend: index template with Indonesian + English analysis, bulk upserts by stable id."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any

from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError, helpers

from core.periods import check_zone, zone
from core.domain import Campaign, Post
from service.store.analysis import SEARCH_VERSION, indexed, link_domains
from service.store.elastic_query import es_query
from service.store.query import parse, scoped
from service.store.base import (Interval, Page, PostQuery, SearchResult, Sort, Store, StoreRejected,
                                StoreUnavailable, TermField, id_problem, merge_existing)

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

# Lucene refuses a term over 32,766 UTF-8 bytes and fails the whole document ("immense term"): one 40 kB url used
# to poison its batch. `ignore_above` (characters; x4 bytes worst case stays under the limit) keeps a longer value in
# _source, untouched, but does not index it, so a filter or bucket on such a value finds nothing on this backend.
KEYWORD = {"type": "keyword", "ignore_above": 1024}  # names, tags, slugs, ids, enums
LONG_KEYWORD = {"type": "keyword", "ignore_above": 4096}  # urls and free-form reasons
DATE = {"type": "date"}
TEXT = {"type": "text", "analyzer": "nw_id", "fields": {"en": {"type": "text", "analyzer": "nw_en"}}}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": KEYWORD, "source": KEYWORD, "native_id": LONG_KEYWORD, "platform": KEYWORD, "url": LONG_KEYWORD,
        "author": KEYWORD, "lang": KEYWORD, "title": TEXT, "text": TEXT, "truncated": {"type": "boolean"},
        "created_at": DATE, "collected_at": DATE, "first_seen_at": DATE,
        "campaigns": KEYWORD, "hashtags": KEYWORD, "links": LONG_KEYWORD,
        "engagement": {"properties": {k: {"type": "long"} for k in ("likes", "reposts", "replies", "views")}},
        "engagement_total": {"type": "long"},
        "classification": {"properties": {
            "sentiment": KEYWORD, "sentiment_score": {"type": "float"}, "hoax_score": {"type": "float"},
            "hoax": {"type": "boolean"}, "hoax_reasons": {**LONG_KEYWORD, "index": False},
            "matched_claim_id": KEYWORD, "matched_claim_url": LONG_KEYWORD, "entities": KEYWORD,
            "matched_claim_title": {"type": "text", "index": False}, "matched_claim_score": {"type": "float"},
        }},
        "raw": {"type": "object", "enabled": False},  # kept for provenance, never indexed
        # Written by the store, not part of a Post: the search language's analysed text (service/store/analysis.py
        # tokenises and stems in Python for both backends, so ES only splits on spaces) and the links' domains.
        "search_stems": {"type": "text", "analyzer": "whitespace"},
        "search_words": {"type": "text", "analyzer": "whitespace", "index_options": "docs", "norms": False},
        "domains": KEYWORD,
        "search_version": {"type": "short"},
    },
}
_DERIVED = ("engagement_total", "search_stems", "search_words", "domains", "search_version")


PIT_KEEP_ALIVE = "2m"  # between two requests of one walk; a walk's own duration is unbounded
# The orders of service/store/base.py: Sort, ending in the unique id so search_after resumes after any hit.
_NEWEST = [{"created_at": "desc"}, {"id": "asc"}]
SORTS: dict[str, list] = {
    "newest": _NEWEST,
    "oldest": [{"created_at": "asc"}, {"id": "asc"}],
    "engagement": [{"engagement_total": "desc"}, *_NEWEST],
    "hoax": [{"classification.hoax_score": {"order": "desc", "missing": "_last"}}, *_NEWEST],
    "relevance": ["_score", *_NEWEST],
}

# Per-item bulk errors that are about the index or the cluster, not the document: retrying later can succeed.
_NOT_THE_DOCUMENT = {"index_closed_exception", "index_not_found_exception", "cluster_block_exception",
                     "es_rejected_execution_exception", "circuit_breaking_exception"}


def _unavailable(exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"elasticsearch: {type(exc).__name__}: {exc}")


def _document_error(item: dict) -> bool:
    """A 400 about this document (mapping, parse, immense term) is permanent: quarantine it. Anything else (429,
    5xx, a closed or read-only index) is the store's state: spool the batch and retry."""
    return item.get("status") == 400 and (item.get("error") or {}).get("type") not in _NOT_THE_DOCUMENT


def _reason(item: dict) -> str:
    error = item.get("error") or {}
    if not isinstance(error, dict):
        return f"elasticsearch {item.get('status')}: {error}"[:1000]
    cause = error.get("caused_by") or {}
    detail = f" ({cause.get('type')}: {cause.get('reason')})" if cause else ""
    return f"elasticsearch {item.get('status')} {error.get('type')}: {error.get('reason')}{detail}"[:1000]


def call(fn, **kwargs):
    """The one mapping of Elasticsearch failures (posts and state documents alike). Unreachable, overloaded or failing
    node: StoreUnavailable (503, retry). A 4xx refusal is a query this code should not have built: it propagates as a
    bug instead of passing for an outage (409 included: the caller decides what a conflict means)."""
    try:
        return fn(**kwargs)
    except TransportError as exc:
        raise _unavailable(exc) from exc
    except ApiError as exc:
        if exc.meta.status >= 500 or exc.meta.status == 429:
            raise _unavailable(exc) from exc
        raise


class ElasticStore(Store):
    scan_page = 500  # hits read per request of a scan

    def __init__(self, url: str, index: str = "narrawatch", refresh: bool = False, client: Elasticsearch | None = None,
                 shards: int = 1, replicas: int = 0):
        self.es = client or Elasticsearch(url, request_timeout=30, retry_on_timeout=True, max_retries=2)
        self.index = index
        self.shards, self.replicas = shards, replicas  # the template's: an existing index keeps its own
        self.campaign_index = f"{index}-campaigns"
        self.tombstone_index = f"{index}-campaign-tombstones"
        self.refresh: Any = "wait_for" if refresh else False  # tests read their own writes
        self.analysis = "full"

    # -- setup --
    def init(self) -> None:
        self._call(self._init)  # node not there (yet), 429 or 5xx: StoreUnavailable, retried by StoreStartup

    def _init(self) -> None:
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
            elif name == self.index:
                self._upgrade_mapping()
                self._reindex_search()

    def _upgrade_mapping(self) -> None:
        """An index created by an older version keeps its mapping: bring in the keyword limits (ignore_above may
        change on a live index), so an existing deployment is protected from immense terms too."""
        try:
            self.es.indices.put_mapping(index=self.index, properties=MAPPINGS["properties"])
        except BadRequestError as exc:
            log.warning("could not update the mapping of %s (%s); long keyword values will be quarantined",
                        self.index, exc)

    def _reindex_search(self) -> None:
        """Posts written before the search language (or an older analysis) lack the analysed fields: rewrite them
        once from their own source, so every post is found by the same query on both backends."""
        stale = {"bool": {"must_not": [{"term": {"search_version": SEARCH_VERSION}}]}}
        hits = helpers.scan(self.es, index=self.index, query={"query": stale})
        actions = (self._action(_post(h["_source"])) for h in hits)
        done, _ = helpers.bulk(self.es, actions, refresh="wait_for", raise_on_error=True)
        if done:
            log.warning("re-analysed %d posts of %s for the search language", done, self.index)

    def _put_template(self, analysis: dict) -> None:
        # Elasticsearch validates the analysis chain here, so a node lacking a filter rejects the template.
        self.es.indices.put_index_template(
            name=self.index, index_patterns=[self.index], priority=200,
            template={"settings": {"number_of_shards": self.shards, "number_of_replicas": self.replicas,
                                   "analysis": analysis},
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
        # An over-long _id fails the whole bulk request (action_request_validation_exception): refuse it up front.
        rejected = {pid: why for pid, post in batch.items() if (why := id_problem(post))}
        todo = [post for pid, post in batch.items() if pid not in rejected]
        ok, errors = 0, []
        if todo:
            try:
                existing = self._existing([p.id for p in todo])
                actions = [self._action(merge_existing(p, existing[p.id]) if p.id in existing else p) for p in todo]
                # helpers.bulk retries items answered 429 itself; what still fails comes back per item.
                ok, errors = helpers.bulk(self.es, actions, refresh=self.refresh, raise_on_error=False,
                                          max_retries=3, initial_backoff=1)
            except (TransportError, ApiError) as exc:
                raise _unavailable(exc) from exc
        items = [next(iter(e.values())) for e in errors]
        if retry := [i for i in items if not _document_error(i)]:
            # the documents ES did take are rewritten on replay: harmless, ids are stable
            raise StoreUnavailable(f"elasticsearch could not take {len(retry)} documents now, "
                                   f"first: {_reason(retry[0])}")
        rejected.update((i.get("_id"), _reason(i)) for i in items)
        if rejected:
            raise StoreRejected(rejected, ok)
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
        doc["search_stems"], doc["search_words"] = indexed(post.title, post.text)
        doc["domains"], doc["search_version"] = link_domains(post.links), SEARCH_VERSION
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
        must = [es_query(scoped(parse(q.text), q.campaigns))] if q.text else []
        return {"bool": {"filter": filters, "must": must}}

    @staticmethod
    def _sort(query: PostQuery, sort: Sort) -> list:
        return SORTS["newest" if sort == "relevance" and not query.text else sort]

    def search(self, query: PostQuery, page: Page = Page()) -> SearchResult:
        sort = self._sort(query, page.sort)
        if page.offset + page.limit > self.result_window:
            return self._deep_page(query, sort, page)
        resp = self._call(self.es.search, index=self.index, query=self._query(query), sort=sort,
                          from_=page.offset, size=page.limit, track_total_hits=True)
        return SearchResult(total=resp["hits"]["total"]["value"],
                            posts=[_post(h["_source"]) for h in resp["hits"]["hits"]])

    @cached_property
    def result_window(self) -> int:
        """The index's max_result_window: the deepest hit from/size may reach (10,000 unless configured)."""
        resp = self._call(self.es.indices.get_settings, index=self.index, name="index.max_result_window",
                          include_defaults=True, flat_settings=True)
        found = next(iter(resp.values()), {})
        value = (found.get("settings", {}).get("index.max_result_window")
                 or found.get("defaults", {}).get("index.max_result_window") or 10_000)
        return int(value)

    def _deep_page(self, query: PostQuery, sort: list, page: Page) -> SearchResult:
        """A page past the result window (from/size is refused there): walk the same sort with search_after in one
        point in time, skipping `offset` hits by their sort values only, then reading `limit` hits with sources.
        Same posts as from/size would give, so paging limits are the same on both backends."""
        want, seen, total, after, posts = page.offset + page.limit, 0, None, None, []
        with self._pit() as pit:
            while seen < want:
                reading = seen >= page.offset
                size = min((want if reading else page.offset) - seen, self.result_window)
                resp = self._after(pit, query, sort, size, after, source=reading, track_total_hits=total is None)
                if total is None:
                    total = resp["hits"]["total"]["value"]
                hits = resp["hits"]["hits"]
                if not hits:
                    break
                if reading:
                    posts += [_post(h["_source"]) for h in hits]
                seen, after = seen + len(hits), hits[-1]["sort"]
        return SearchResult(total=total or 0, posts=posts)

    @contextmanager
    def _pit(self) -> Iterator[dict]:
        """A point in time: every request of a walk reads the same snapshot, whatever is written meanwhile."""
        opened = self._call(self.es.open_point_in_time, index=self.index, keep_alive=PIT_KEEP_ALIVE)
        pit = {"id": opened["id"], "keep_alive": PIT_KEEP_ALIVE}
        try:
            yield pit
        finally:
            try:
                self.es.close_point_in_time(id=pit["id"])
            except (TransportError, ApiError) as exc:  # it expires by itself after PIT_KEEP_ALIVE
                log.warning("could not close a point in time: %s", exc)

    def _after(self, pit: dict, query: PostQuery, sort: list, size: int, after: list | None, **kwargs) -> dict:
        resp = self._call(self.es.search, pit=pit, query=self._query(query), sort=sort, size=size,
                          search_after=after, **kwargs)
        pit["id"] = resp.get("pit_id", pit["id"])  # Elasticsearch may hand back a new id for the same snapshot
        return resp

    def get(self, post_id: str) -> Post | None:
        if not post_id:  # no document has an empty id (the client refuses to send one): absent, like on SQLite
            return None
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

    def histogram(self, query: PostQuery, interval: Interval = "day", tz: str = "UTC") -> list[tuple[datetime, int]]:
        resp = self._call(self.es.search, index=self.index, query=self._query(query), size=0, aggs={"h": {
            "date_histogram": {"field": "created_at", "calendar_interval": interval, "min_doc_count": 1,
                               "time_zone": check_zone(tz)}}})
        # the key is the epoch millisecond at which the local bucket starts
        return [(datetime.fromtimestamp(b["key"] / 1000, zone(tz)), b["doc_count"])
                for b in resp["aggregations"]["h"]["buckets"]]

    def terms(self, query: PostQuery, field: TermField, size: int = 10) -> list[tuple[str, int]]:
        resp = self._call(self.es.search, index=self.index, query=self._query(query), size=0, aggs={"t": {
            "terms": {"field": _FIELDS[field], "size": size, "order": [{"_count": "desc"}, {"_key": "asc"}]}}})
        return [(b["key"], b["doc_count"]) for b in resp["aggregations"]["t"]["buckets"]]

    def scan(self, query: PostQuery, sort: Sort = "oldest") -> Iterator[Post]:
        order = self._sort(query, sort)
        with self._pit() as pit:  # an export is one snapshot: posts written meanwhile neither shift nor repeat it
            after = None
            while hits := self._after(pit, query, order, self.scan_page, after)["hits"]["hits"]:
                yield from (_post(h["_source"]) for h in hits)
                after = hits[-1]["sort"]

    def _call(self, fn, **kwargs):
        return call(fn, **kwargs)

    # -- campaigns --
    def put_campaign(self, campaign: Campaign) -> None:
        self._call(self.es.index, index=self.campaign_index, id=campaign.id,
                   document=campaign.model_dump(mode="json"), refresh="wait_for")

    def get_campaign(self, campaign_id: str) -> Campaign | None:
        if not campaign_id:  # e.g. `?campaign=`: absent, like on SQLite (the client refuses an empty id)
            return None
        try:
            return Campaign.model_validate(self._call(self.es.get, index=self.campaign_index,
                                                      id=campaign_id)["_source"])
        except NotFoundError:
            return None

    def list_campaigns(self, workspace: str | None = None) -> list[Campaign]:
        query = {"term": {"workspace": workspace}} if workspace is not None else {"match_all": {}}
        resp = self._call(self.es.search, index=self.campaign_index, query=query, size=1000, sort=[{"id": "asc"}])
        return [Campaign.model_validate(h["_source"]) for h in resp["hits"]["hits"]]

    def remove_campaign(self, campaign_id: str) -> bool:
        if not campaign_id:
            return False
        campaign = self.get_campaign(campaign_id)
        if campaign is None:
            return False
        self._call(self.es.index, index=self.tombstone_index, id=campaign_id, refresh="wait_for",
                   document={"id": campaign_id, "workspace": campaign.workspace})  # before the delete: never lost
        try:
            self._call(self.es.delete, index=self.campaign_index, id=campaign_id, refresh="wait_for")
            return True
        except NotFoundError:
            return False

    def campaign_tombstone(self, campaign_id: str) -> str | None:
        try:
            return self._call(self.es.get, index=self.tombstone_index, id=campaign_id)["_source"]["workspace"]
        except NotFoundError:
            return None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _post(source: dict) -> Post:
    source = {k: v for k, v in source.items() if k not in _DERIVED}
    return Post.model_validate(source)
