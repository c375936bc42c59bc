"""Classify stage: language, sentiment, hoax suspicion, entities. Every classifier fills Post.lang/classification.

``load_default()`` returns the production chain built from the versioned artifacts in ``classifiers/models``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .base import Chain, PostClassifier

DEFAULT_MODEL_DIR = Path(__file__).with_name("models")

__all__ = ["Chain", "PostClassifier", "load_default", "DEFAULT_MODEL_DIR"]


def load_default(model_dir: Path | str | None = None, claims=None, campaigns: Iterable | None = None,
                 extra_patterns: Iterable[dict] | None = None) -> Chain:
    """LanguageDetector -> Normaliser -> Sentiment -> Hoax(+ClaimIndex) -> Entities, from shipped artifacts.

    ``claims``: a ClaimIndex, or an iterable of dicts {id, text, url, verdict, title, date, source}, or None (empty
    index that the collectors can fill later via ``chain.claims.add``; the service passes the claim store, which
    ``narrawatch init`` seeds with the shipped debunk database). Claim matches are decided by the scorer calibrated
    with that database (``claims_seed.json.gz``: at most 1% of ordinary posts match anything). Raises ``ArtifactError`` if any artifact is missing;
    there is no silent fallback. Every model (and the claim index) reads one shared ``TermSpace``, so each post is
    normalised and analysed once per batch. Tokens come from spaCy blank("id"/"en") through a per-chunk cache
    (``nlp.tokens``); entities from spaCy EntityRulers.
    """
    from .claims import ClaimIndex, seed_scorer, seed_threshold
    from .entities import EntityTagger
    from .features import TermSpace
    from .hoax import HoaxClassifier
    from .language import LanguageDetector
    from .linear import ArtifactError
    from .normalise import Normaliser
    from .sentiment import SentimentClassifier, SentimentModel

    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    if not model_dir.is_dir():
        raise ArtifactError(f"model directory {model_dir} does not exist; run `python -m classifiers.training train`")
    space = TermSpace()
    sentiment = SentimentModel.load(model_dir, space)
    if claims is None:
        index = ClaimIndex()
    elif isinstance(claims, ClaimIndex):
        index = claims
    else:
        index = ClaimIndex.from_claims(claims)
    index.attach(space)
    if index.scorer is None:  # the seed database's calibrated match scorer decides (claims.MatchScorer)
        index.scorer = seed_scorer(model_dir)
    norm = Normaliser()
    campaigns = list(campaigns or [])
    hoax = HoaxClassifier.load(model_dir, index, norm, claim_threshold=seed_threshold(model_dir), space=space)
    chain = Chain(LanguageDetector(campaigns), norm, SentimentClassifier(sentiment, norm), hoax,
                  EntityTagger(extra_patterns=extra_patterns, campaigns=campaigns))
    chain.claims = index  # type: ignore[attr-defined]  # handle for the collectors to add fact-checks
    return chain
