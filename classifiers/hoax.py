"""Hoax suspicion, claim-first: a match against a known debunk is the evidence; the style model (classifiers/style.py,
topic-free cues such as "sebarkan", "sebelum dihapus", all-caps shouting) can flag a post on its own only when its
score is strong. A post is never flagged for its topic.
"""
from __future__ import annotations

from pathlib import Path

from core.domain import Post

from .claims import DEFAULT_THRESHOLD, ClaimIndex, shown_title
from .normalise import Normaliser, post_text
from .style import StyleModel, style_features

HOAX_THRESHOLD = 0.5
CLAIM_THRESHOLD = DEFAULT_THRESHOLD  # the seed database ships its own calibrated threshold (load_default)


def style_to_score(p: float, threshold: float) -> float:
    """Map p(hoax style) onto hoax_score so that the style threshold lands exactly on HOAX_THRESHOLD (0.5): the
    shown score and the flag never disagree."""
    if p < threshold:
        return HOAX_THRESHOLD * p / threshold
    return HOAX_THRESHOLD + (1 - HOAX_THRESHOLD) * (p - threshold) / max(1e-9, 1 - threshold)


class HoaxClassifier:
    """Chain step: fills hoax_score, hoax, hoax_reasons and matched_claim_*.

    hoax is true only for a debunked-claim match (score >= 0.5 + 0.5 * similarity) or a strong style score (p at or
    above the style model's shipped threshold). hoax_reasons: "matches debunk 'X' (turnbackhoax.id, 2025-11-03,
    similarity 0.91) URL" and/or "hoax-style cues: call to spread, all-caps words (style score 0.97; flags at 0.95)".
    """

    # what analysts taught it (service.corrections.HoaxFeedback; None outside the service): per-workspace style
    # heads, claim matches rejected for a post and its near-identical reposts, confirmed posts as claim aliases
    feedback = None

    def __init__(self, style: StyleModel, claims: ClaimIndex | None = None, normaliser: Normaliser | None = None,
                 claim_threshold: float = CLAIM_THRESHOLD, space=None):
        self.style = style
        self.claims = claims if claims is not None else ClaimIndex()
        self.normaliser = normaliser or Normaliser()
        self.claim_threshold = claim_threshold
        self.space = space

    @classmethod
    def load(cls, model_dir: Path, claims: ClaimIndex | None = None, normaliser: Normaliser | None = None,
             claim_threshold: float = CLAIM_THRESHOLD, space=None) -> "HoaxClassifier":
        return cls(StyleModel.load(model_dir), claims, normaliser, claim_threshold, space)

    def classify(self, posts: list[Post]) -> list[Post]:
        if not posts:
            return posts
        raws = [post_text(p) for p in posts]
        feats = style_features(raws)
        probs, contrib = self.style.proba(raws, feats)
        fb = self.feedback
        if fb is not None:
            fb.sync(self.claims)
            probs, contrib = fb.style(self.style, posts, raws, probs, contrib)
        matches = [[] for _ in posts]
        norms = None
        if len(self.claims):
            norms = self.normaliser.get_many(posts)
            self.claims.prepare()  # may add the claims' terms to the shared space: do it before featurising
            doc_feats = self.normaliser.features_many(posts, self.space) if self.space is not None else None
            matches = self.claims.match_many([p.text for p in posts], self.claim_threshold,
                                             top_k=1 if fb is None else 3, normalised=norms, features=doc_feats)
        if fb is not None:  # rejected matches out (the next candidate may take over), confirmed aliases in
            matches = fb.matches(self, posts, norms if norms is not None else self.normaliser.get_many(posts),
                                 matches)
        th = self.style.threshold
        explained = self.style.explain(feats, contrib)
        for i, (post, prob, ms) in enumerate(zip(posts, probs, matches)):
            c = post.classification
            score = style_to_score(float(prob), th)
            reasons: list[str] = []
            if ms:
                m = ms[0]
                score = max(score, min(1.0, 0.5 + 0.5 * m.score))
                c.matched_claim_id, c.matched_claim_url = m.claim_id, m.url
                c.matched_claim_title = shown_title(m.title) or None
                c.matched_claim_score = min(1.0, max(0.0, round(m.score, 4)))
                reasons.append(m.reason())
            cues = explained[i]
            if prob >= th:
                reasons.append(f"hoax-style cues: {', '.join(cues) or 'several weak cues'} "
                               f"(style score {prob:.2f}; flags at {th:.2f})")
            elif cues:
                reasons.append(f"some hoax-style cues, below the flag: {', '.join(cues)} (style score {prob:.2f}; "
                               f"flags at {th:.2f})")
            c.hoax_score = float(min(1.0, max(0.0, score)))
            c.hoax = bool(ms) or bool(prob >= th)  # a numpy bool would not serialise in the alert engine
            c.hoax_reasons = reasons
        return posts
