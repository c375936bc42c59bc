"""Sentiment (positive/neutral/negative) for Indonesian and English posts, from the shipped linear artifacts."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from service.domain import Post

from .linear import LinearTextModel
from .normalise import Normaliser, mark_negation, normalise_many


class SentimentModel:
    def __init__(self, models: dict[str, LinearTextModel]):
        self.models = models

    @classmethod
    def load(cls, model_dir: Path) -> "SentimentModel":
        return cls({"id": LinearTextModel.load(model_dir, "sentiment_id"),
                    "en": LinearTextModel.load(model_dir, "sentiment_en")})

    def _model(self, lang: str | None) -> LinearTextModel:
        return self.models["en"] if lang == "en" else self.models["id"]

    def classes(self, lang: str | None = "id") -> list[str]:
        return self._model(lang).classes

    def predict_proba(self, texts: list[str], lang: str | None = "id", normalised: bool = False) -> np.ndarray:
        norm = list(texts) if normalised else normalise_many(list(texts), [lang] * len(texts))
        return self._model(lang).predict_proba([mark_negation(t) for t in norm])


class SentimentClassifier:
    """Chain step: fills classification.sentiment and sentiment_score (the calibrated top-class probability)."""

    def __init__(self, model: SentimentModel, normaliser: Normaliser | None = None):
        self.model = model
        self.normaliser = normaliser or Normaliser()

    def classify(self, posts: list[Post]) -> list[Post]:
        if not posts:
            return posts
        norms = self.normaliser.get_many(posts)
        by_lang: dict[str, list[int]] = {}
        for i, p in enumerate(posts):
            by_lang.setdefault("en" if p.lang == "en" else "id", []).append(i)
        for lang, idx in by_lang.items():
            probs = self.model.predict_proba([norms[i] for i in idx], lang, normalised=True)
            classes = self.model.classes(lang)
            for i, row in zip(idx, probs):
                k = int(row.argmax())
                c = posts[i].classification
                c.sentiment = classes[k]
                c.sentiment_score = float(min(1.0, max(0.0, row[k])))
        return posts
