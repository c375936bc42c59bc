"""normalise → tag campaigns → classify → store, in batches.

A batch the store cannot take now (down, 429, 5xx) goes to the spool and is replayed first on the next write; a post
the store refuses for what it is (StoreRejected) goes to the quarantine and the rest of its batch is stored."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from classifiers.base import PostClassifier
from core.batches import batched
from core.domain import Campaign, Post
from core.quarantine import Quarantine
from service.spool import Spool
from service.store.base import Store, StoreRejected, StoreUnavailable
from service.store.startup import StoreStartup

log = logging.getLogger(__name__)


@dataclass
class PipelineStats:
    received: int = 0
    stored: int = 0
    spooled: int = 0
    replayed: int = 0  # spooled posts stored by this run
    quarantined: int = 0  # posts the store rejected (see Pipeline.quarantine)
    errors: list[str] = field(default_factory=list)


class Pipeline:
    def __init__(self, store: Store, classifier: PostClassifier, spool: Spool,
                 campaigns: Callable[[], list[Campaign]] | None = None, batch_size: int = 500,
                 quarantine: Quarantine | None = None, startup: StoreStartup | None = None,
                 known_campaigns: list[Campaign] | None = None):
        self.store = store
        self.classifier = classifier
        self.spool = spool
        self.campaigns = campaigns or store.list_campaigns
        self.batch_size = batch_size
        # <data_dir>/quarantine/store.jsonl when the spool is <data_dir>/spool (AppContext passes it explicitly)
        self.quarantine = quarantine or Quarantine(spool.dir.parent / "quarantine" / "store.jsonl")
        self.startup = startup  # retries store.init() before a write while the store was down at start
        self.known_campaigns = list(known_campaigns or [])  # last list read, used while the store is unreachable
        self.listeners: list[Callable[[list[Post]], None]] = []  # e.g. alert matching after a batch is stored

    def current_campaigns(self) -> list[Campaign]:
        try:
            self.known_campaigns = self.campaigns()
        except StoreUnavailable as exc:
            log.warning("campaigns unreadable (%s); tagging with the %d last known", exc, len(self.known_campaigns))
        return self.known_campaigns

    def tag(self, posts: list[Post], workspace: str | None = None) -> list[Post]:
        """Add every matching campaign; with `workspace`, only that workspace's campaigns (posts sent by one
        agency's key never land in, or raise alerts for, another agency's campaigns)."""
        campaigns = [c for c in self.current_campaigns() if workspace is None or c.workspace == workspace]
        for post in posts:
            matched = [c.id for c in campaigns if c.matches(f"{post.title or ''} {post.text}", post.author,
                                                            post.hashtags)]
            post.campaigns = sorted(set(post.campaigns) | set(matched))
        return posts

    def process(self, posts: Iterable[Post], progress: Callable[[int], None] | None = None,
                workspace: str | None = None,
                on_classified: Callable[[list[Post]], None] | None = None) -> PipelineStats:
        """Classify batch n+1 while batch n is being written: one writer thread keeps batches in order and at
        most one in flight, so a slow store and the CPU-bound classifiers overlap instead of adding up.
        `on_classified` sees each batch as classified (the tipline answers from its claim match)."""
        stats = PipelineStats()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline-store") as writer:
            in_flight: Future | None = None
            for batch in batched(posts, self.batch_size):
                stats.received += len(batch)
                batch = self.classifier.classify(self.tag(batch, workspace))
                if on_classified is not None:
                    on_classified(batch)
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
                stats.replayed += self.spool.drain(lambda posts: self._write(posts, stats), self.quarantine)
            stats.stored += self._write(batch, stats)
        except StoreUnavailable as exc:
            self.spool.put(batch)
            stats.spooled += len(batch)
            stats.errors.append(str(exc))
            log.warning("store unavailable, spooled %d posts: %s", len(batch), exc)
        if progress:
            progress(len(batch))

    def _write(self, batch: list[Post], stats: PipelineStats | None = None) -> int:
        """Store a batch; posts the store rejects are quarantined with its reason. Returns how many were stored."""
        if self.startup is not None:
            self.startup.ensure()
        stored = batch
        try:
            self.store.upsert(batch)
        except StoreRejected as exc:
            stored = [p for p in batch if p.id not in exc.rejected]
            for post in batch:
                if post.id in exc.rejected:
                    self.quarantine.put("store", exc.rejected[post.id], post.model_dump(mode="json"))
            if stats is not None:
                stats.quarantined += len(batch) - len(stored)
            log.warning("%s; kept in %s", exc, self.quarantine.path)
        if stored:
            for listener in self.listeners:  # listeners (alerts) only ever see posts that are in the store
                listener(stored)
        return len(stored)

    def drain(self, stats: PipelineStats | None = None) -> int:
        """Replay the spool into the store (worker loop and `narrawatch drain`); returns posts stored."""
        return self.spool.drain(lambda posts: self._write(posts, stats), self.quarantine)
