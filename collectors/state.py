"""Cursors and health per source, in SQLite (WAL, one transaction per write)."""
from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL DEFAULT '',
    cursor TEXT,
    last_success TEXT,
    last_attempt TEXT,
    items_collected INTEGER NOT NULL DEFAULT 0,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    total_errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    healthy INTEGER NOT NULL DEFAULT 1,
    next_run_at REAL NOT NULL DEFAULT 0,
    updated_at TEXT
);
"""
# columns added after the first release: added to an existing DB on open
LATER_COLUMNS = {"skipped": "TEXT", "quota": "TEXT"}


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class StateStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        have = {r[1] for r in self._conn.execute("PRAGMA table_info(sources)")}
        for col, kind in LATER_COLUMNS.items():
            if col not in have:
                self._conn.execute(f"ALTER TABLE sources ADD COLUMN {col} {kind}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _tx(self, sql: str, args: tuple) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def ensure(self, name: str, type_: str) -> None:
        self._tx("INSERT INTO sources(name, type, updated_at) VALUES (?, ?, ?) "
                 "ON CONFLICT(name) DO UPDATE SET type=excluded.type", (name, type_, _now_iso()))

    def get(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            cur = self._conn.execute("SELECT * FROM sources WHERE name=?", (name,))
            row = cur.fetchone()
            cols = [d[0] for d in cur.description]
        return _row(cols, row) if row else None

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute("SELECT * FROM sources ORDER BY name")
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
        return [_row(cols, r) for r in rows]

    def cursor(self, name: str) -> dict | None:
        row = self.get(name)
        return row["cursor"] if row else None

    def commit_batch(self, name: str, cursor: dict | None, items: int, skipped: dict[str, int] | None = None) -> None:
        """Called only after the sink accepted the batch: advance the cursor and count the items (and the items
        skipped on purpose, by reason), atomically."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                total = dict(_loads(self._conn.execute("SELECT skipped FROM sources WHERE name=?", (name,)).fetchone()))
                for reason, n in (skipped or {}).items():
                    total[reason] = int(total.get(reason, 0)) + int(n)
                self._conn.execute(
                    "UPDATE sources SET cursor=COALESCE(?, cursor), items_collected=items_collected+?, skipped=?, "
                    "updated_at=? WHERE name=?", (json.dumps(cursor) if cursor is not None else None, items,
                                                  json.dumps(total) if total else None, _now_iso(), name))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def quota(self, name: str) -> dict | None:
        row = self.get(name)
        return row["quota"] if row else None

    def save_quota(self, name: str, quota: dict) -> None:
        """Spent API quota is written as it is spent, apart from batches: a crash must not give it back."""
        self._tx("UPDATE sources SET quota=?, updated_at=? WHERE name=?", (json.dumps(quota), _now_iso(), name))

    def record_attempt(self, name: str) -> None:
        self._tx("UPDATE sources SET last_attempt=? WHERE name=?", (_now_iso(), name))

    def record_success(self, name: str, next_run_at: float) -> None:
        self._tx("UPDATE sources SET last_success=?, consecutive_errors=0, healthy=1, next_run_at=?, updated_at=? "
                 "WHERE name=?", (_now_iso(), next_run_at, _now_iso(), name))

    def record_failure(self, name: str, error: str, unhealthy_after: int, next_run_at: float) -> int:
        """Returns the new consecutive error count."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "UPDATE sources SET consecutive_errors=consecutive_errors+1, total_errors=total_errors+1, "
                    "last_error=?, next_run_at=?, updated_at=?, "
                    "healthy=CASE WHEN consecutive_errors+1 >= ? THEN 0 ELSE healthy END WHERE name=?",
                    (error[:1000], next_run_at, _now_iso(), unhealthy_after, name))
                n = self._conn.execute("SELECT consecutive_errors FROM sources WHERE name=?", (name,)).fetchone()[0]
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return int(n)


def _loads(row: tuple | None) -> dict:
    return json.loads(row[0]) if row and row[0] else {}


def _row(cols: list[str], row: tuple) -> dict[str, Any]:
    d = dict(zip(cols, row))
    for col in ("cursor", "skipped", "quota"):
        d[col] = json.loads(d[col]) if d.get(col) else None
    d["healthy"] = bool(d["healthy"])
    return d


def read_health(path: str | Path) -> list[dict[str, Any]]:
    """Read-only view for the API: [] when the DB does not exist yet (never creates it)."""
    p = Path(path)
    if not p.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return []
    try:
        cur = conn.execute("SELECT * FROM sources ORDER BY name")
        cols = [d[0] for d in cur.description]
        return [_row(cols, r) for r in cur.fetchall()]
    except sqlite3.Error:
        return []
    finally:
        conn.close()
