"""Durable on-disk spool: batches the store could not take wait here, in order, until it is back.

Each batch is one NDJSON file written to a temp name, fsynced, then renamed, so a crash never leaves a half batch
visible. Replays are idempotent because post ids are stable, so a batch replayed twice is never a duplicate.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from core.domain import Post
from core.quarantine import Quarantine


class Spool:
    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, posts: list[Post]) -> Path:
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.ndjson"
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(p.model_dump_json() + "\n" for p in posts)
            fh.flush()
            os.fsync(fh.fileno())
        final = self.dir / name
        os.replace(tmp, final)
        return final

    def batches(self) -> list[Path]:
        return sorted(self.dir.glob("*.ndjson"))

    def pending(self) -> int:
        """Posts waiting (counted by lines; cheap enough for health checks)."""
        return sum(sum(1 for _ in open(p, encoding="utf-8")) for p in self.batches())

    def drain(self, write: Callable[[list[Post]], int], quarantine: Quarantine) -> int:
        """Replay batches oldest first; a batch is deleted only after `write` returned (it quarantines the posts the
        store rejects, so a permanently bad post never blocks the spool). Stops at the first failure (store down).
        A line that no longer reads as a Post goes to the quarantine too. Returns what `write` reported stored."""
        done = 0
        for path in self.batches():
            posts = []
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:  # replayed by another process sharing this spool (replicas on one volume)
                continue
            for n, line in enumerate(text.splitlines(), 1):
                if not line:
                    continue
                try:
                    posts.append(Post.model_validate_json(line))
                except ValidationError as exc:
                    quarantine.put(f"spool:{path.name}", f"unreadable spooled post: {exc}", line, line=n)
            done += write(posts) if posts else 0
            path.unlink(missing_ok=True)  # replayed twice at worst: ids are stable, so never a duplicate
        return done
