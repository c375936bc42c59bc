"""Hoax suspicion: the shipped linear model's probability combined with claim matches, with reasons."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from service.domain import Post

from .claims import ClaimIndex
from .linear import LinearTextModel
from .normalise import Normaliser, mark_negation

HOAX_THRESHOLD = 0.5
CLAIM_THRESHOLD = 0.45
MODEL_LANGS = {None, "id", "ms", "jv", "su"}  # the model is trained on Indonesian text only
MODEL_WEIGHT = 0.6  # the model alone is a weak, topic-level signal: it can raise suspicion but not reach 1.0


class HoaxModel:
    def __init__(self, model: LinearTextModel):
        self.model = model
        self._names = model.feature_names()
        self._coef = model.clf.coef_[0]

    @classmethod
    def load(cls, model_dir: Path) -> "HoaxModel":
        return cls(LinearTextModel.load(model_dir, "hoax_id"))

    def score(self, norm_texts: list[str], n_reasons: int = 3) -> tuple[np.ndarray, list[list[str]]]:
        texts = [mark_negation(t) for t in norm_texts]
        X = self.model.features.transform(texts)
        probs = self.model.clf.predict_proba(X)[:, list(self.model.classes).index("1")] \
            if "1" in self.model.classes else self.model.clf.predict_proba(X)[:, 1]
        X = X.tocsr()
        reasons: list[list[str]] = []
        for i in range(X.shape[0]):
            lo, hi = X.indptr[i], X.indptr[i + 1]
            cols, vals = X.indices[lo:hi], X.data[lo:hi]
            contrib = vals * self._coef[cols]
            top = np.argsort(-contrib)[:n_reasons]
            reasons.append([self._names[cols[j]].split(":", 1)[1] for j in top if contrib[j] > 0])
        return probs, reasons


class HoaxClassifier:
    """Chain step: fills hoax_score, hoax, hoax_reasons and matched_claim_* from the model and the ClaimIndex.

    hoax_score = MODEL_WEIGHT * p(hoax) from the model (so the topic-level model alone flags a post only when
    p >= 0.83); a debunked-claim match (the strong evidence) lifts it to at least 0.5 + 0.5 * similarity.
    hoax = hoax_score >= HOAX_THRESHOLD. hoax_reasons lists the matched claim, then p(hoax) and the n-grams that
    pushed the model's score up most.
    """

    def __init__(self, model: HoaxModel, claims: ClaimIndex | None = None, normaliser: Normaliser | None = None,
                 claim_threshold: float = CLAIM_THRESHOLD):
        self.model = model
        self.claims = claims if claims is not None else ClaimIndex()
        self.normaliser = normaliser or Normaliser()
        self.claim_threshold = claim_threshold

    def classify(self, posts: list[Post]) -> list[Post]:
        if not posts:
            return posts
        norms = self.normaliser.get_many(posts)
        probs, feats = self.model.score(norms)
        matches = self.claims.match_many([p.text for p in posts], self.claim_threshold, top_k=1, normalised=norms) \
            if len(self.claims) else [[] for _ in posts]
        for post, prob, top, ms in zip(posts, probs, feats, matches):
            c = post.classification
            applies = post.lang in MODEL_LANGS
            model_score = MODEL_WEIGHT * float(prob) if applies else 0.0
            reasons: list[str] = []
            score = model_score
            if ms:
                m = ms[0]
                score = max(score, m.score, min(1.0, 0.5 + 0.5 * m.score))
                c.matched_claim_id, c.matched_claim_url = m.claim_id, m.url
                reasons.append(f"matched debunked claim {m.claim_id} ({m.method}, similarity {m.score:.2f})"
                               + (f": {m.title}" if m.title else ""))
            if applies:
                reasons.append(f"model p(hoax)={prob:.2f}" + (f"; top features: {', '.join(top)}" if top else ""))
            else:
                reasons.append(f"hoax model not applied to lang={post.lang} (trained on Indonesian)")
            c.hoax_score = float(min(1.0, max(0.0, score)))
            c.hoax = c.hoax_score >= HOAX_THRESHOLD
            c.hoax_reasons = reasons
        return posts
