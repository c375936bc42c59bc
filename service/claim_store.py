"""Known debunked claims (from fact-checker feeds), kept in SQLite beside the collector state.

Claim matching in the classify stage is built from these; ids come from the fact-check URL, so re-collection
updates a claim instead of duplicating it.
"""
from __future__ import annotations

import json
from pathlib import Path

from service.sqlitedb import ThreadLocalDB


class ClaimStore:
    def __init__(self, path: Path):
        self.path = path
        self._sqlite = ThreadLocalDB(path)
        self._sqlite.conn.execute("CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")

    def put(self, claims: list[dict]) -> int:
        rows = [(str(c["id"]), json.dumps(c, ensure_ascii=False, default=str)) for c in claims if c.get("id")]
        with self._sqlite.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?)", rows)
        return len(rows)

    def all(self) -> list[dict]:
        return [json.loads(doc) for (doc,) in self._sqlite.conn.execute("SELECT doc FROM claims ORDER BY id")]

    def count(self) -> int:
        return self._sqlite.conn.execute("SELECT count(*) FROM claims").fetchone()[0]
