"""Sentiment (positive/neutral/negative) for Indonesian and English posts, from the shipped linear artifacts."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.domain import Post

from scipy.special import softmax

from .features import DocFeatures, TermSpace
from .linear import LinearTextModel
from .normalise import Normaliser, normalise_many


class SentimentModel:
    """Per-language linear models. Prediction runs through ``FastLinearHead``s over a shared ``TermSpace`` (same
    scores as the scikit-learn pipelines, without re-analysing the text per vectorizer)."""

    def __init__(self, models: dict[str, LinearTextModel], space: TermSpace | None = None):
        self.models = models
        self.space = space if space is not None else TermSpace()
        self.heads = {lang: m.fast_head(self.space) for lang, m in models.items()}

    @classmethod
    def load(cls, model_dir: Path, space: TermSpace | None = None) -> "SentimentModel":
        return cls({"id": LinearTextModel.load(model_dir, "sentiment_id"),
                    "en": LinearTextModel.load(model_dir, "sentiment_en")}, space)

    def _model(self, lang: str | None) -> LinearTextModel:
        return self.models["en"] if lang == "en" else self.models["id"]

    def classes(self, lang: str | None = "id") -> list[str]:
        return self._model(lang).classes

    def predict_proba(self, texts: list[str], lang: str | None = "id", normalised: bool = False) -> np.ndarray:
        norm = list(texts) if normalised else normalise_many(list(texts), [lang] * len(texts))
        return self.predict_proba_features(self.space.featurise(norm), lang)

    def predict_proba_features(self, feats: DocFeatures, lang: str | None = "id") -> np.ndarray:
        head = self.heads["en" if lang == "en" else "id"]
        return softmax(head.decision(feats), axis=1)


class SentimentClassifier:
    """Chain step: fills classification.sentiment and sentiment_score (the calibrated top-class probability)."""

    def __init__(self, model: SentimentModel, normaliser: Normaliser | None = None):
        self.model = model
        self.normaliser = normaliser or Normaliser()

    def classify(self, posts: list[Post]) -> list[Post]:
        if not posts:
            return posts
        feats = self.normaliser.features_many(posts, self.model.space)
        by_lang: dict[str, list[int]] = {}
        for i, p in enumerate(posts):
            by_lang.setdefault("en" if p.lang == "en" else "id", []).append(i)
        for lang, idx in by_lang.items():
            probs = self.model.predict_proba_features(feats if len(idx) == len(posts) else feats.subset(idx), lang)
            classes = self.model.classes(lang)
            for i, row in zip(idx, probs):
                k = int(row.argmax())
                c = posts[i].classification
                c.sentiment = classes[k]
                c.sentiment_score = float(min(1.0, max(0.0, row[k])))
        return posts
