"""Which classifier chain the pipeline runs: the trained models when their artifacts are present."""
from __future__ import annotations

from classifiers.base import PostClassifier


def default_classifier() -> PostClassifier:
    from classifiers.language import LanguageDetector

    return LanguageDetector()
