"""normalise → tag campaigns → classify → store, in batches; batches the store refuses go to the spool."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from classifiers.base import PostClassifier
from service.domain import Campaign, Post
from service.spool import Spool
from service.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)


@dataclass
class PipelineStats:
    received: int = 0
    stored: int = 0
    spooled: int = 0
    replayed: int = 0
    errors: list[str] = field(default_factory=list)


def batched(items: Iterable[Post], size: int) -> Iterator[list[Post]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class Pipeline:
    def __init__(self, store: Store, classifier: PostClassifier, spool: Spool,
                 campaigns: Callable[[], list[Campaign]] | None = None, batch_size: int = 500):
        self.store = store
        self.classifier = classifier
        self.spool = spool
        self.campaigns = campaigns or store.list_campaigns
        self.batch_size = batch_size
        self.listeners: list[Callable[[list[Post]], None]] = []  # e.g. alert matching after a batch is stored

    def tag(self, posts: list[Post], workspace: str | None = None) -> list[Post]:
        """Add every matching campaign; with `workspace`, only that workspace's campaigns (posts sent by one
        agency's key never land in, or raise alerts for, another agency's campaigns)."""
        campaigns = [c for c in self.campaigns() if workspace is None or c.workspace == workspace]
        for post in posts:
            matched = [c.id for c in campaigns if c.matches(f"{post.title or ''} {post.text}", post.author,
                                                            post.hashtags)]
            post.campaigns = sorted(set(post.campaigns) | set(matched))
        return posts

    def process(self, posts: Iterable[Post], progress: Callable[[int], None] | None = None,
                workspace: str | None = None) -> PipelineStats:
        """Classify batch n+1 while batch n is being written: one writer thread keeps batches in order and at
        most one in flight, so a slow store and the CPU-bound classifiers overlap instead of adding up."""
        stats = PipelineStats()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline-store") as writer:
            in_flight: Future | None = None
            for batch in batched(posts, self.batch_size):
                stats.received += len(batch)
                batch = self.classifier.classify(self.tag(batch, workspace))
                if in_flight is not None:
                    in_flight.result()  # surfaces an unexpected write error before going further
                in_flight = writer.submit(self._store, batch, stats, progress)
            if in_flight is not None:
                in_flight.result()
        return stats

    def _store(self, batch: list[Post], stats: PipelineStats,
               progress: Callable[[int], None] | None = None) -> None:
        try:
            if self.spool.batches():  # keep arrival order: older spooled batches go first
                stats.replayed += self.spool.drain(self._write)
            self._write(batch)
            stats.stored += len(batch)
        except StoreUnavailable as exc:
            self.spool.put(batch)
            stats.spooled += len(batch)
            stats.errors.append(str(exc))
            log.warning("store unavailable, spooled %d posts: %s", len(batch), exc)
        if progress:
            progress(len(batch))

    def _write(self, batch: list[Post]) -> None:
        self.store.upsert(batch)
        for listener in self.listeners:
            listener(batch)

    def drain(self) -> int:
        """Replay the spool into the store (worker loop and `narrawatch drain`)."""
        return self.spool.drain(self._write)
