"""Which keyword rules a post matches: one in-process matcher, whatever the store (SQLite or Elasticsearch).

Semantics (RuleQuery): a phrase is a sequence of `text.tokens`, found when its tokens are adjacent in the title or
in the text. Both sides are analysed by that one function, so `kompas.com` is the phrase "kompas com", `#Vaksin`
is "vaksin", and case and Unicode compatibility forms are folded (NFKC + casefold).

How: a field is laid out as " t1 t2 ... tn " and a phrase as " p1 ... pk ". Tokens never contain a space, so the
phrase is a substring of the field exactly when its tokens are adjacent there. One Aho-Corasick automaton
(pyahocorasick) over every distinct phrase of the loaded rules finds all of a post's phrases in one pass over
" title \\n text " (no phrase contains "\\n", so none spans the two fields). Only the rules a found phrase can
trigger (one `all` phrase, else every `any` phrase) are then checked: filters, then all / any / none.

Rules change through `load`, which builds a new immutable index and swaps one reference: a `match` call uses the
index it started with, so matching concurrently with a rule change sees the old or the new rules, never a mix.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from service.alerts.rules import Rule
from service.alerts.text import tokens
from core.domain import Post

FIELD_BREAK = " \n "


def field_layout(text: str | None) -> str:
    return " ".join(tokens(text))


@dataclass(frozen=True, slots=True)
class _Compiled:
    id: str
    campaign: str | None
    platforms: frozenset[str]
    langs: frozenset[str]
    sentiment: str | None
    hoax: bool | None
    all: frozenset[int]
    any: frozenset[int]   # left empty when an `any` phrase is what triggers the rule: then it holds already
    none: frozenset[int]
    filtered: bool

    def passes(self, post: Post, found: set[int]) -> bool:
        if self.filtered and not self._filters(post):
            return False
        return (found.issuperset(self.all) and (not self.any or not found.isdisjoint(self.any))
                and found.isdisjoint(self.none))

    def _filters(self, post: Post) -> bool:
        c = post.classification
        return ((self.campaign is None or self.campaign in post.campaigns)
                and (not self.platforms or post.platform in self.platforms)
                and (not self.langs or post.lang in self.langs)
                and (self.sentiment is None or c.sentiment == self.sentiment)
                and (self.hoax is None or c.hoax == self.hoax))


class _Index:
    """Immutable once built: the automaton, the compiled rules and which rules each phrase triggers."""

    def __init__(self, rules: Iterable[Rule]):
        phrase_ids: dict[str, int] = {}
        phrase_of: list[str] = []
        trigger: dict[int, list[int]] = {}

        def ids(phrases: list[str]) -> tuple[int, ...]:
            out = []
            for p in phrases:
                words = tokens(p)
                if not words:  # unreachable for validated rules; a phrase without words is never found
                    out.append(-1)
                    continue
                key = f" {' '.join(words)} "
                if key not in phrase_ids:
                    phrase_ids[key] = len(phrase_of)
                    phrase_of.append(key)
                out.append(phrase_ids[key])
            return tuple(out)

        self.rules: list[_Compiled] = []
        for r in rules:
            if not (r.enabled and r.kind == "keyword"):
                continue
            q = r.query
            all_, any_, none = ids(q.all), ids(q.any), ids(q.none)
            # a match needs every `all` phrase, so one (the longest: likely the rarest) is enough to trigger the
            # rule; without `all`, any `any` phrase may be the one present
            trigger[len(self.rules)] = ([max(all_, key=lambda p: len(phrase_of[p]) if p >= 0 else -1)] if all_
                                        else list(any_))
            filtered = bool(r.campaign is not None or q.platforms or q.langs or q.sentiment is not None
                            or q.hoax is not None)
            self.rules.append(_Compiled(r.id, r.campaign, frozenset(q.platforms), frozenset(q.langs), q.sentiment,
                                        q.hoax, frozenset(all_), frozenset(any_ if all_ else ()), frozenset(none),
                                        filtered))
        triggers: list[list[int]] = [[] for _ in phrase_ids]
        self.always: list[int] = []  # rules without a positive phrase (validation forbids them; kept exact)
        for i, trig in trigger.items():
            if not trig:
                self.always.append(i)
            for p in dict.fromkeys(trig):
                if p >= 0:  # a phrase without words is never found: it triggers nothing
                    triggers[p].append(i)
        self.automaton = None
        if phrase_ids:
            self.automaton = ahocorasick.Automaton()
            for phrase, pid in phrase_ids.items():
                self.automaton.add_word(phrase, (pid, tuple(triggers[pid])))
            self.automaton.make_automaton()

    def match(self, post: Post) -> list[str]:
        candidates = set(self.always)
        found: set[int] = set()
        if self.automaton is not None:
            hay = f" {field_layout(post.title)}{FIELD_BREAK}{field_layout(post.text)} "
            for _, (pid, rules) in self.automaton.iter(hay):
                if pid not in found:
                    found.add(pid)
                    candidates.update(rules)
        rules = self.rules
        return [rules[i].id for i in sorted(candidates) if rules[i].passes(post, found)]


class RuleMatcher:
    def __init__(self, rules: Iterable[Rule] = ()):
        self._index = _Index(rules)

    def load(self, rules: Iterable[Rule]) -> None:
        self._index = _Index(rules)  # built aside, then one reference swap

    def match(self, posts: list[Post]) -> list[list[str]]:
        """For each post (same order) the ids of the enabled keyword rules it matches, in load order."""
        index = self._index
        return [index.match(p) for p in posts]
