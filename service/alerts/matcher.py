"""Which keyword rules a post matches. Two implementations with the same semantics (see RuleQuery):

* PythonMatcher: in-process, used on SQLite and on Elasticsearch nodes without the percolator module.
* PercolatorMatcher: rules stored as percolator queries in `<index>-rules`, one percolate search per batch.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from service.alerts.rules import Rule, RuleQuery
from service.alerts.text import contains_phrase, tokens
from service.domain import Post

log = logging.getLogger(__name__)


class Matcher(Protocol):
    name: str

    def load(self, rules: Iterable[Rule]) -> None: ...

    def match(self, posts: list[Post]) -> list[list[str]]:
        """For each post (same order) the ids of the keyword rules it matches."""


def _applies(rule: Rule) -> bool:
    return rule.enabled and rule.kind == "keyword"


def query_matches(q: RuleQuery, post: Post, campaign: str | None = None,
                  fields: list[list[str]] | None = None, vocab: set[str] | None = None) -> bool:
    if campaign is not None and campaign not in post.campaigns:
        return False
    if q.platforms and post.platform not in q.platforms:
        return False
    if q.langs and post.lang not in q.langs:
        return False
    if q.sentiment is not None and post.classification.sentiment != q.sentiment:
        return False
    if q.hoax is not None and post.classification.hoax != q.hoax:
        return False
    if fields is None:
        fields = [tokens(post.title), tokens(post.text)]
    if vocab is None:
        vocab = set().union(*fields)

    def has(phrase: str) -> bool:
        words = phrase.split(" ")
        if not all(w in vocab for w in words):  # cheap pre-check before the positional scan
            return False
        return any(contains_phrase(f, words) for f in fields)

    if not all(has(p) for p in q.all):
        return False
    if q.any and not any(has(p) for p in q.any):
        return False
    return not any(has(p) for p in q.none)


class PythonMatcher:
    name = "python"

    def __init__(self) -> None:
        self.rules: list[Rule] = []

    def load(self, rules: Iterable[Rule]) -> None:
        self.rules = [r for r in rules if _applies(r)]

    def match(self, posts: list[Post]) -> list[list[str]]:
        rules = self.rules
        out = []
        for post in posts:
            fields = [tokens(post.title), tokens(post.text)]
            vocab = set().union(*fields)
            out.append([r.id for r in rules if query_matches(r.query, post, r.campaign, fields, vocab)])
        return out


# -- Elasticsearch percolator --------------------------------------------------------------------------------
PERCOLATOR_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "query": {"type": "percolator"},
        "rule_id": {"type": "keyword"},
        # the fields a rule can look at, analysed like the Python tokenizer (standard: lowercase, no stemming)
        "title": {"type": "text", "analyzer": "standard"},
        "text": {"type": "text", "analyzer": "standard"},
        "campaigns": {"type": "keyword"}, "platform": {"type": "keyword"}, "lang": {"type": "keyword"},
        "sentiment": {"type": "keyword"}, "hoax": {"type": "boolean"},
    },
}


def _phrase(p: str) -> dict:
    return {"multi_match": {"query": p, "type": "phrase", "fields": ["title", "text"], "slop": 0}}


def percolator_query(rule: Rule) -> dict:
    q = rule.query
    filters: list[dict] = []
    if rule.campaign:
        filters.append({"term": {"campaigns": rule.campaign}})
    if q.platforms:
        filters.append({"terms": {"platform": q.platforms}})
    if q.langs:
        filters.append({"terms": {"lang": q.langs}})
    if q.sentiment is not None:
        filters.append({"term": {"sentiment": q.sentiment}})
    if q.hoax is not None:
        filters.append({"term": {"hoax": q.hoax}})
    must: list[dict] = [_phrase(p) for p in q.all]
    if q.any:
        must.append({"bool": {"should": [_phrase(p) for p in q.any], "minimum_should_match": 1}})
    return {"bool": {"filter": filters, "must": must, "must_not": [_phrase(p) for p in q.none]}}


def percolator_doc(post: Post) -> dict:
    return {"title": post.title or "", "text": post.text, "campaigns": post.campaigns, "platform": post.platform,
            "lang": post.lang, "sentiment": post.classification.sentiment, "hoax": post.classification.hoax}


class PercolatorMatcher:
    name = "percolator"

    def __init__(self, es, index: str):
        self.es = es
        self.index = index
        self.count = 0

    @classmethod
    def probe(cls, es, index: str) -> "PercolatorMatcher | None":
        """A matcher when the node supports the percolator field type, else None (caller falls back)."""
        try:
            if not es.indices.exists(index=index):
                es.indices.create(index=index, settings={"number_of_shards": 1, "number_of_replicas": 0},
                                  mappings=PERCOLATOR_MAPPINGS)
            return cls(es, index)
        except Exception as exc:  # noqa: BLE001 - any refusal means "no percolator here"
            if "percolator" not in str(exc) and "resource_already_exists" not in str(exc):
                log.warning("percolator probe failed: %s", exc)
            if "resource_already_exists" in str(exc):
                return cls(es, index)
            return None

    def load(self, rules: Iterable[Rule]) -> None:
        from elasticsearch import helpers

        rules = [r for r in rules if _applies(r)]
        self.es.delete_by_query(index=self.index, query={"match_all": {}}, refresh=True, conflicts="proceed")
        actions = [{"_op_type": "index", "_index": self.index, "_id": r.id,
                    "_source": {"rule_id": r.id, "query": percolator_query(r)}} for r in rules]
        if actions:
            helpers.bulk(self.es, actions, refresh="wait_for")
        self.count = len(actions)

    def match(self, posts: list[Post]) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in posts]
        if not posts or not self.count:
            return out
        resp = self.es.search(index=self.index, size=max(self.count, 10), _source=["rule_id"],
                              query={"percolate": {"field": "query",
                                                   "documents": [percolator_doc(p) for p in posts]}})
        for hit in resp["hits"]["hits"]:
            slots = hit.get("fields", {}).get("_percolator_document_slot", [0])
            for slot in slots:
                out[slot].append(hit["_source"]["rule_id"])
        return out


def make_matcher(store=None, use_percolator: bool = True) -> Matcher:
    """The percolator on an Elasticsearch store when the node has it, else the Python matcher."""
    es = getattr(store, "es", None)
    if es is not None and use_percolator:
        matcher = PercolatorMatcher.probe(es, f"{store.index}-rules")
        if matcher is not None:
            return matcher
        log.info("percolator unavailable on this node: rules are matched in Python")
    return PythonMatcher()
