"""The one interface of the classify stage (scikit-learn style: stateless at predict time, batch in, batch out)."""
from __future__ import annotations

from typing import Protocol

from core.domain import Post


class PostClassifier(Protocol):
    def classify(self, posts: list[Post]) -> list[Post]:
        """Return the posts with lang and/or classification filled in (may mutate and return the same objects)."""


class Chain:
    """Runs classifiers in order; the pipeline holds exactly one of these."""

    def __init__(self, *steps: PostClassifier):
        self.steps = steps

    def classify(self, posts: list[Post]) -> list[Post]:
        for step in self.steps:
            posts = step.classify(posts)
        return posts
