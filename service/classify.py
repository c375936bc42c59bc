"""Which classifier chain the pipeline runs: the trained models shipped in classifiers/models, with the known
debunked claims collected so far (service.claims) loaded into claim matching."""
from __future__ import annotations

from classifiers import load_default
from classifiers.base import PostClassifier
from service.claims import ClaimStore
from service.config import Settings
from service.domain import Campaign


def claim_store(settings: Settings) -> ClaimStore:
    return ClaimStore(settings.data_dir / "claims.db")


def default_classifier(settings: Settings, campaigns: list[Campaign]) -> PostClassifier:
    """Campaign terms feed the entity gazetteer; campaigns added later are picked up on the next start."""
    return load_default(claims=claim_store(settings).all(), campaigns=campaigns)
