"""Which classifier chain the pipeline runs: the trained models shipped in classifiers/models, with the known
debunked claims in the store (service.claim_store) loaded into claim matching, then each workspace's adapted
sentiment head (classifiers/adapt.py) and, last, the analysts' corrections (service/corrections.py); the hoax step
reads the analysts' claim decisions and each workspace's adapted style head (service.corrections.HoaxFeedback)."""
from __future__ import annotations

import threading
from pathlib import Path

from classifiers import load_default
from classifiers.base import Chain, PostClassifier
from service.claim_store import ClaimStore
from service.config import Settings
from service.corrections import CorrectionOverlay, CorrectionStore, HoaxFeedback
from core.domain import Campaign, Post


def claim_store(settings: Settings) -> ClaimStore:
    return ClaimStore(settings)


def keep_claims(store: ClaimStore, index, items: list[dict]) -> None:
    """Persist debunked claims (fact-check feeds, officers' own), then let this process's claim matcher (`index`,
    the chain's ClaimIndex, or None) use them at once."""
    store.put(items)
    match_claims(index, items)


def match_claims(index, items: list[dict]) -> None:
    """Add claims to this process's claim matcher (`index`: the chain's ClaimIndex, or None)."""
    for c in items if index is not None else []:
        index.add(str(c["id"]), c.get("claim") or c.get("title") or "", c.get("url"), c.get("verdict"), c.get("title"),
                  c.get("date"), c.get("source"))


def adapted_dir(settings: Settings) -> Path:
    """Per-workspace adapted heads: <data_dir>/models/<workspace>/<version>/, `current` names the active one."""
    return Path(settings.data_dir) / "models"


class PendingClaims:
    """Claim matchers built while the store was down: each starts empty and gets the stored claims once the store is
    up (`fill`, from the app context's on-ready hook), or at once if it already is."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._waiting: list = []
        self._filled = False

    def index(self):
        from classifiers.claims import ClaimIndex

        index = ClaimIndex()
        with self._lock:
            if not self._filled:
                self._waiting.append(index)
                return index
        match_claims(index, claim_store(self.settings).all())
        return index

    def fill(self) -> None:
        claims = claim_store(self.settings).all()  # StoreUnavailable: the on-ready hook is run again later
        with self._lock:
            waiting, self._waiting, self._filled = self._waiting, [], True
        for index in waiting:
            match_claims(index, claims)


def default_classifier(settings: Settings, campaigns: list[Campaign],
                       pending: PendingClaims | None = None) -> PostClassifier:
    """Campaign terms feed the entity gazetteer; campaigns added later are picked up on the next start. `pending`
    (the store is not reachable yet): the claim matcher starts empty and is filled once the store is up."""
    chain = load_default(claims=claim_store(settings).all() if pending is None else pending.index(),
                         campaigns=campaigns)
    return with_corrections(chain, settings, campaigns)


def with_corrections(chain: Chain, settings: Settings, campaigns: list[Campaign]) -> Chain:
    from classifiers.adapt import HeadRegistry, WorkspaceSentiment
    from classifiers.hoax import HoaxClassifier
    from classifiers.sentiment import SentimentClassifier

    workspace = {c.id: c.workspace for c in campaigns}

    def workspace_of(post: Post) -> str | None:
        found = {workspace[c] for c in post.campaigns if c in workspace}
        return found.pop() if len(found) == 1 else None

    shipped = next(s for s in chain.steps if isinstance(s, SentimentClassifier))
    corrections = CorrectionStore.for_settings(settings)
    for step in chain.steps:
        if isinstance(step, HoaxClassifier):
            step.feedback = HoaxFeedback(corrections, workspace_of, HeadRegistry(adapted_dir(settings), kind="hoax"))
    chain.steps = (*chain.steps,
                   WorkspaceSentiment(shipped.model, HeadRegistry(adapted_dir(settings)), workspace_of,
                                      shipped.normaliser),
                   CorrectionOverlay(corrections))
    return chain
