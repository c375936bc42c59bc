"""Gazetteer entities: institutions (ORG), officials by role (ROLE), public figures (PER),
places (LOC) and campaign terms (CAMPAIGN). Fills ``classification.entities`` with ``"LABEL:text"`` strings.

The base gazetteer is ``resources/gazetteer_id.json``; campaigns add their own terms via ``extra_patterns``
(``{"label": ..., "pattern": "text" | [token dicts], "id": optional}``) or ``campaigns=[Campaign, ...]``.
Short all-caps acronyms (MA, BI, PAN, NU...) match case-sensitively; everything else matches case-insensitively.

Matching works on tokens (a compiled regex tokenizer; ``#tag``/``@user`` stay one token) with the semantics of the
two spaCy EntityRulers it replaces: phrase matches on whole tokens; the case-insensitive matches are resolved first
(longest, then earliest, wins), then case-sensitive matches that do not overlap them. The entity text is the
original span. Token-dict patterns (``{"pattern": [{...}, ...]}``) still go through a spaCy EntityRuler, built
lazily only when such patterns exist.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from service.domain import Campaign, Post

_GAZETTEER = Path(__file__).with_name("resources") / "gazetteer_id.json"
# URLs stay one token (no entities inside links); hyphens are separate tokens (Wamena-Papua -> LOC:Papua), as in
# spaCy's tokenizer for proper nouns
ENT_TOKEN_RE = re.compile(r"(?:https?://|www\.)\S+|[#@]\w+|\d+(?:[.,:]\d+)*(?!\w)|\w+(?:['\u2019]\w+)*|\.{2,}|[^\w\s]",
                          re.I)


def _tokens(text: str) -> tuple[list[str], list[int], list[int]]:
    toks, starts, ends = [], [], []
    for m in ENT_TOKEN_RE.finditer(text):
        toks.append(m.group())
        starts.append(m.start())
        ends.append(m.end())
    return toks, starts, ends


def _is_acronym(term: str) -> bool:
    letters = term.replace("-", "").replace(" ", "")
    return letters.isupper() and len(letters) <= 5


def load_gazetteer(path: Path = _GAZETTEER) -> dict[str, list[str]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class _Phrases:
    """Token-sequence gazetteer: key (tuple of tokens) -> label; ``first`` indexes candidate lengths by first token."""

    def __init__(self, lower: bool):
        self.lower = lower
        self.table: dict[tuple[str, ...], str] = {}
        self.first: dict[str, list[int]] = {}

    def add(self, label: str, term: str) -> None:
        toks = _tokens(term.lower() if self.lower else term)[0]
        if not toks:
            return
        key = tuple(toks)
        self.table.setdefault(key, label)
        lens = self.first.setdefault(key[0], [])
        if len(key) not in lens:
            lens.append(len(key))
            lens.sort(reverse=True)

    def matches(self, toks: list[str]) -> list[tuple[int, int, str]]:
        first, table = self.first, self.table
        out = []
        n = len(toks)
        for i, t in enumerate(toks):
            lens = first.get(t)
            if lens is None:
                continue
            for L in lens:
                if i + L <= n:
                    lab = table.get(tuple(toks[i:i + L])) if L > 1 else table.get((t,))
                    if lab is not None:
                        out.append((i, i + L, lab))
        return out


def _filter(matches: list[tuple[int, int, str]], taken: list[bool]) -> list[tuple[int, int, str]]:
    """spaCy's filter_spans: longest first, then earliest; skip spans overlapping ``taken`` tokens."""
    kept = []
    for s, e, lab in sorted(matches, key=lambda m: (-(m[1] - m[0]), m[0])):
        if not any(taken[s:e]):
            kept.append((s, e, lab))
            for k in range(s, e):
                taken[k] = True
    return kept


class EntityTagger:
    def __init__(self, extra_patterns: Iterable[dict] | None = None, campaigns: Iterable[Campaign] | None = None,
                 gazetteer: dict[str, list[str]] | None = None, max_chars: int = 5000):
        self.max_chars = max_chars
        self._ci, self._cs = _Phrases(lower=True), _Phrases(lower=False)
        self._token_patterns: list[dict] = []
        self._ruler = None
        for label, terms in (gazetteer or load_gazetteer()).items():
            self.add_terms(label, terms)
        for c in campaigns or []:
            self.add_campaign(c)
        if extra_patterns:
            self.add_patterns(extra_patterns)

    def add_terms(self, label: str, terms: Iterable[str]) -> None:
        for t in terms:
            t = t.strip()
            if t:
                (self._cs if _is_acronym(t) else self._ci).add(label, t)

    def add_patterns(self, patterns: Iterable[dict]) -> None:
        """String patterns follow the acronym/case rule; token-dict patterns go to a spaCy EntityRuler as given."""
        for p in patterns:
            if isinstance(p.get("pattern"), str):
                self.add_terms(p["label"], [p["pattern"]])
            else:
                self._token_patterns.append(p)
                self._ruler = None

    def add_campaign(self, campaign: Campaign) -> None:
        self.add_terms("CAMPAIGN", [*campaign.keywords, *(f"#{h}" for h in campaign.hashtags)])

    def _spacy_ents(self, text: str) -> list[tuple[int, int, str]]:
        if self._ruler is None:
            from spacy.pipeline import EntityRuler

            from .nlp import get_nlp

            self._nlp = get_nlp("id")
            self._ruler = EntityRuler(self._nlp, name="ruler_tokens")
            self._ruler.add_patterns(self._token_patterns)
        doc = self._ruler(self._nlp.tokenizer(text))
        return [(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def entities(self, texts: list[str]) -> list[list[str]]:
        out = []
        for text in texts:
            text = text[: self.max_chars]
            toks = ENT_TOKEN_RE.findall(text)
            ci = self._ci.matches(text.lower() and [t.lower() for t in toks])
            cs = self._cs.matches(toks) if self._cs.table else []
            found = []
            if ci or cs:
                taken = [False] * len(toks)
                spans = _filter(ci, taken) + _filter(cs, taken)
                _, starts, ends = _tokens(text)  # character offsets, only for texts with a match
                found = [(starts[s], ends[e - 1], lab) for s, e, lab in spans]
            if self._token_patterns:
                for cs, ce, lab in self._spacy_ents(text):
                    if not any(cs < fe and fs < ce for fs, fe, _ in found):
                        found.append((cs, ce, lab))
            seen: dict[str, None] = {}
            for cs, ce, lab in sorted(found):
                seen.setdefault(f"{lab}:{text[cs:ce]}", None)
            out.append(list(seen))
        return out

    def classify(self, posts: list[Post]) -> list[Post]:
        texts = [f"{p.title}. {p.text}" if p.title else p.text for p in posts]
        for post, ents in zip(posts, self.entities(texts)):
            post.classification.entities = ents
        return posts
