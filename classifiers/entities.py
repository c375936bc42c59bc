"""Gazetteer entities with spaCy EntityRulers: institutions (ORG), officials by role (ROLE), public figures (PER),
places (LOC) and campaign terms (CAMPAIGN). Fills ``classification.entities`` with ``"LABEL:text"`` strings.

The base gazetteer is ``resources/gazetteer_id.json``; campaigns add their own terms via ``extra_patterns``
(``{"label": ..., "pattern": "text" | [token dicts], "id": optional}``) or ``campaigns=[Campaign, ...]``.
Short all-caps acronyms (MA, BI, PAN, NU...) match case-sensitively; everything else matches case-insensitively,
so there are two rulers: ``ruler_ci`` (phrase matching on LOWER) first, then ``ruler_cs``, which only adds entities
that do not overlap the first's. Docs come from ``nlp.doc`` over ``nlp.chunks`` (the blank("id") tokenizer's
output, cached per chunk), which the first-token shortcut below reads too.

Most posts name no gazetteer term, so a post in which no phrase pattern's tokens occur in a row (lower-cased) skips
the Doc and the rulers: a phrase match is such a run (exactly, or case-sensitively for the acronyms), so the result
is the same (token-dict patterns can match anything and turn this shortcut off).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from core.domain import Campaign, Post

_GAZETTEER = Path(__file__).with_name("resources") / "gazetteer_id.json"


def _is_acronym(term: str) -> bool:
    letters = term.replace("-", "").replace(" ", "")
    return letters.isupper() and len(letters) <= 5


def load_gazetteer(path: Path = _GAZETTEER) -> dict[str, list[str]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _has_run(phrases: dict[str, set[tuple[str, ...]]], low: list[str]) -> bool:
    """Whether one of the token runs occurs in ``low`` (the text's lower-cased tokens)."""
    for i, t in enumerate(low):
        runs = phrases.get(t)
        if runs is not None and any(len(r) == 1 or tuple(low[i:i + len(r)]) == r for r in runs):
            return True
    return False


class EntityTagger:
    def __init__(self, extra_patterns: Iterable[dict] | None = None, campaigns: Iterable[Campaign] | None = None,
                 gazetteer: dict[str, list[str]] | None = None, max_chars: int = 5000):
        self.max_chars = max_chars
        self._pending: list[tuple[bool, dict]] = []  # (case_sensitive, pattern) until the rulers are built
        self._ci = self._cs = None
        # lower-cased first token -> the lower-cased token runs of the phrase patterns starting with it; None: no
        # shortcut (a token-dict pattern)
        self._phrases: dict[str, set[tuple[str, ...]]] | None = {}
        for label, terms in (gazetteer or load_gazetteer()).items():
            self.add_terms(label, terms)
        for c in campaigns or []:
            self.add_campaign(c)
        if extra_patterns:
            self.add_patterns(extra_patterns)

    def _ensure(self) -> None:
        """Build the rulers on first use: the shared blank("id") pipeline may still be warming up at load time."""
        if self._ci is not None:
            return
        from spacy.pipeline import EntityRuler

        from .nlp import get_nlp

        # the shared pipeline lends its vocab and tokenizer; the rulers are applied by hand, so each tagger (one per
        # campaign set) has its own patterns without building another pipeline
        nlp = get_nlp("id")
        ci = EntityRuler(nlp, name="ruler_ci", phrase_matcher_attr="LOWER")
        cs = EntityRuler(nlp, name="ruler_cs")
        ci.add_patterns([p for case, p in self._pending if not case])
        cs.add_patterns([p for case, p in self._pending if case])
        for _, p in self._pending:
            self._note_first(p)
        self._ci, self._cs = ci, cs
        self._pending = []

    def _note_first(self, pattern: dict) -> None:
        from .nlp import tokens

        if not isinstance(pattern["pattern"], str):
            self._phrases = None
        elif self._phrases is not None:
            run = tuple(t.lower() for t in tokens(pattern["pattern"]))
            if run:
                self._phrases.setdefault(run[0], set()).add(run)

    def _add(self, case_sensitive: bool, pattern: dict) -> None:
        if self._ci is None:
            self._pending.append((case_sensitive, pattern))
        else:
            self._note_first(pattern)
            (self._cs if case_sensitive else self._ci).add_patterns([pattern])

    def add_terms(self, label: str, terms: Iterable[str]) -> None:
        for t in terms:
            t = t.strip()
            if t:
                self._add(_is_acronym(t), {"label": label, "pattern": t})

    def add_patterns(self, patterns: Iterable[dict]) -> None:
        """spaCy EntityRuler patterns; string patterns follow the acronym/case rule, token patterns go as given."""
        for p in patterns:
            if isinstance(p.get("pattern"), str):
                self.add_terms(p["label"], [p["pattern"]])
            else:
                self._add(False, p)

    def add_campaign(self, campaign: Campaign) -> None:
        self.add_terms("CAMPAIGN", [*campaign.keywords, *(f"#{h}" for h in campaign.hashtags)])

    def entities(self, texts: list[str]) -> list[list[str]]:
        from .nlp import chunks, doc

        self._ensure()
        phrases = self._phrases
        rulers = [r for r in (self._ci, self._cs) if len(r)]  # an empty ruler only warns (spaCy W036)
        out = []
        for text in texts:
            chunked = chunks(text[: self.max_chars])
            if phrases is not None and not _has_run(phrases, [t.lower() for toks in chunked for t in toks]):
                out.append([])
                continue
            d = doc(chunked)
            for ruler in rulers:
                d = ruler(d)
            seen: dict[str, None] = {}
            for ent in d.ents:
                seen.setdefault(f"{ent.label_}:{ent.text}", None)
            out.append(list(seen))
        return out

    def classify(self, posts: list[Post]) -> list[Post]:
        texts = [f"{p.title}. {p.text}" if p.title else p.text for p in posts]
        for post, ents in zip(posts, self.entities(texts)):
            post.classification.entities = ents
        return posts
