"""Known debunked claims (seeded by `narrawatch init`, collected from fact-checker feeds, added through POST /claims),
in the store's shared state (service/store/documents.py: `state.db`, or `<index>-state-claims` on Elasticsearch), so
every worker and API replica builds its claim matcher from the same list. A `claims.db` of an older version is copied
in once.

Claim matching in the classify stage is built from these; ids come from the fact-check URL, so re-collection
updates a claim instead of duplicating it.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from core.batches import batched
from service.store.documents import migrate_once, open_documents

KIND = "claims"
BATCH = 1000  # claims per bulk write (the seed holds thousands)


class ClaimStore:
    def __init__(self, settings):
        self.docs = open_documents(settings, KIND, {"source": "keyword"})
        self._settings, self._migrated = settings, False

    def _ready(self) -> None:
        """A claims.db of an older version is copied in at first use (the store may be down when a process starts)."""
        if not self._migrated:
            migrate_once(self._settings, "claims.db", legacy_path(self._settings), self._copy_legacy)
            self._migrated = True

    def _copy_legacy(self, db: sqlite3.Connection) -> None:
        import json

        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'claims'").fetchone():
            self._put([json.loads(doc) for (doc,) in db.execute("SELECT doc FROM claims")])

    def put(self, claims: list[dict]) -> int:
        """Insert or update by id (claims without an id cannot be matched again and are skipped); returns how many
        distinct claims were written."""
        self._ready()
        return self._put(claims)

    def _put(self, claims: list[dict]) -> int:
        rows = {str(c["id"]): c for c in claims if c.get("id")}
        for chunk in batched(rows.items(), BATCH):
            self.docs.put_many(dict(chunk))
        return len(rows)

    def all(self) -> list[dict]:
        self._ready()
        return [d.body for d in self.docs.scan(sort=[("id", "asc")], page=2000)]

    def count(self) -> int:
        self._ready()
        return self.docs.count()


def legacy_path(settings) -> Path:
    """Where versions before issue 12 kept the claims (SQLite); migrated once on open."""
    return Path(settings.data_dir) / "claims.db"
