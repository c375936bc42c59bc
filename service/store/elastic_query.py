"""The search language (service/store/query.py) compiled to an Elasticsearch bool query over the analysed fields
the store writes beside each post (service/store/analysis.py), so it matches exactly what SQLite matches."""
from __future__ import annotations

from service.store.query import And, Const, Field, Node, Not, Or, Prefix, Terms

STEMS, WORDS = "search_stems", "search_words"
_FIELD = {"author": "author", "platform": "platform", "lang": "lang", "hashtag": "hashtags", "domain": "domains",
          "campaign": "campaigns"}


def es_query(node: Node) -> dict:
    if isinstance(node, Terms):
        if len(node.stems) == 1:
            return {"term": {STEMS: node.stems[0]}}
        return {"match_phrase": {STEMS: " ".join(node.stems)}}  # the field's whitespace analyser: same tokens
    if isinstance(node, Prefix):
        return {"prefix": {WORDS: node.prefix}}
    if isinstance(node, Field):
        return {"terms": {_FIELD[node.name]: list(node.values)}}
    if isinstance(node, Const):
        return {"match_all": {}} if node.value else {"match_none": {}}
    if isinstance(node, Not):
        return {"bool": {"must_not": [es_query(node.child)]}}
    if isinstance(node, Or):
        return {"bool": {"should": [es_query(c) for c in node.children], "minimum_should_match": 1}}
    assert isinstance(node, And)
    return {"bool": {"must": [es_query(c) for c in node.children if not isinstance(c, Not)],
                     "must_not": [es_query(c.child) for c in node.children if isinstance(c, Not)]}}
