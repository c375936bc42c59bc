"""Hoax suspicion: the shipped linear model's probability combined with claim matches, with reasons."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from service.domain import Post

from .claims import ClaimIndex
from .features import DocFeatures, TermSpace
from .linear import LinearTextModel
from .normalise import Normaliser

HOAX_THRESHOLD = 0.5
CLAIM_THRESHOLD = 0.45
MODEL_LANGS = {None, "id", "ms", "jv", "su"}  # the model is trained on Indonesian text only
MODEL_WEIGHT = 0.6  # the model alone is a weak, topic-level signal: it can raise suspicion but not reach 1.0


class HoaxModel:
    def __init__(self, model: LinearTextModel, space: TermSpace | None = None):
        self.model = model
        self.space = space if space is not None else TermSpace()
        self.head = model.fast_head(self.space)
        self._names = np.array([n.split(":", 1)[1] for n in model.feature_names()], dtype=object)
        classes = list(model.classes)
        # binary LogisticRegression: one coefficient row scoring classes[1]
        self._sign = 1.0 if classes.index("1" if "1" in classes else classes[1]) == 1 else -1.0

    @classmethod
    def load(cls, model_dir: Path, space: TermSpace | None = None) -> "HoaxModel":
        return cls(LinearTextModel.load(model_dir, "hoax_id"), space)

    def score(self, norm_texts: list[str], n_reasons: int = 3) -> tuple[np.ndarray, list[list[str]]]:
        return self.score_features(self.space.featurise(norm_texts), n_reasons)

    def score_features(self, feats: DocFeatures, n_reasons: int = 3) -> tuple[np.ndarray, list[list[str]]]:
        mats = self.head.matrices(feats)
        z = self.head.decision(feats, mats=mats)[:, 0]
        probs = 1.0 / (1.0 + np.exp(-self._sign * z))
        # reasons: per row, the n-grams with the largest positive contribution, vectorised over the batch
        X = sp.hstack(mats, format="csr") if len(mats) > 1 else mats[0]
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        contrib = self._sign * X.data * self.head.coef[0, X.indices]
        order = np.lexsort((-contrib, rows))
        starts = X.indptr[:-1]
        reasons: list[list[str]] = []
        names, cols_sorted, contrib_sorted = self._names, X.indices[order], contrib[order]
        for i in range(X.shape[0]):
            lo = starts[i]
            hi = min(lo + n_reasons, X.indptr[i + 1])
            reasons.append([names[cols_sorted[j]] for j in range(lo, hi) if contrib_sorted[j] > 0])
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
        if len(self.claims):
            self.claims.prepare()  # may add the claims' terms to the shared space: do it before featurising
        doc_feats = self.normaliser.features_many(posts, self.model.space)
        probs, feats = self.model.score_features(doc_feats)
        matches = self.claims.match_many([p.text for p in posts], self.claim_threshold, top_k=1, normalised=norms,
                                         features=doc_feats) if len(self.claims) else [[] for _ in posts]
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
