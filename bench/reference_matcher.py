"""The naive reference for rule matching: every rule checked against every post by scanning token lists.

It states RuleQuery's semantics as plainly as possible (it is the former Python matcher), so the indexed matcher
(service.alerts.matcher.RuleMatcher) can be proven equal to it (tests/alerts/test_matcher.py) and benchmarked
against it (bench/bench_matcher.py). Not used by the service.
"""
from __future__ import annotations

from collections.abc import Iterable

from service.alerts.rules import Rule
from service.alerts.text import tokens
from core.domain import Post


def contains_phrase(haystack: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(haystack[i:i + n] == phrase for i in range(len(haystack) - n + 1))


def rule_matches(rule: Rule, post: Post, fields: list[list[str]]) -> bool:
    q = rule.query
    if rule.campaign is not None and rule.campaign not in post.campaigns:
        return False
    if q.platforms and post.platform not in q.platforms:
        return False
    if q.langs and post.lang not in q.langs:
        return False
    if q.sentiment is not None and post.classification.sentiment != q.sentiment:
        return False
    if q.hoax is not None and post.classification.hoax != q.hoax:
        return False

    def has(phrase: str) -> bool:
        words = tokens(phrase)
        return any(contains_phrase(f, words) for f in fields)

    if not all(has(p) for p in q.all):
        return False
    if q.any and not any(has(p) for p in q.any):
        return False
    return not any(has(p) for p in q.none)


class ReferenceMatcher:
    def __init__(self, rules: Iterable[Rule] = ()):
        self.load(rules)

    def load(self, rules: Iterable[Rule]) -> None:
        self.rules = [r for r in rules if r.enabled and r.kind == "keyword"]

    def match(self, posts: list[Post]) -> list[list[str]]:
        out = []
        for post in posts:
            fields = [tokens(post.title), tokens(post.text)]  # a phrase never spans the title and the text
            out.append([r.id for r in self.rules if rule_matches(r, post, fields)])
        return out
