"""Known debunked claims (from fact-checker feeds), kept in SQLite beside the collector state.

Claim matching in the classify stage is built from these; ids come from the fact-check URL, so re-collection
updates a claim instead of duplicating it.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path


class ClaimStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def put(self, claims: list[dict]) -> int:
        rows = [(str(c["id"]), json.dumps(c, ensure_ascii=False, default=str)) for c in claims if c.get("id")]
        with self._lock, self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?)", rows)
        return len(rows)

    def all(self) -> list[dict]:
        with self._connect() as db:
            return [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM claims ORDER BY id")]

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT count(*) FROM claims").fetchone()[0]
