"""Small builders for test posts (the texts are ours, written for tests)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.domain import Classification, Engagement, Post

T0 = datetime(2024, 11, 1, 8, 0, tzinfo=timezone.utc)


def make_post(n: int, text: str = "", **fields) -> Post:
    base = dict(
        source="test", native_id=str(n), platform="mastodon", author=f"user{n % 3}",
        text=text or f"Posting nomor {n} tentang KTT ASEAN di Jakarta",
        created_at=T0 + timedelta(hours=n), lang="id", campaigns=["asean"],
    )
    base.update(fields)
    return Post(**base)


def classified(post: Post, sentiment: str, hoax: bool = False) -> Post:
    post.classification = Classification(sentiment=sentiment, hoax=hoax, hoax_score=0.9 if hoax else 0.1)
    return post


def engaged(post: Post, likes: int) -> Post:
    post.engagement = Engagement(likes=likes, reposts=0)
    return post

def source_state(data_dir):
    """Collector state in the embedded store under `data_dir` (what a worker with NW_DATA_DIR=data_dir writes)."""
    from service.config import Settings
    from service.store.sources import SourceState

    return SourceState.open(Settings(data_dir=data_dir, store="sqlite", config_file=None))
