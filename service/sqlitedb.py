"""One way to use an SQLite file from many threads: a connection per thread (WAL, autocommit, 30 s busy timeout,
memory-mapped reads) and serialised write transactions that roll back on any exception, so a failed write never
leaves the file locked. Used by the post store, the narrative ledger and the shared-state documents
(service/store/documents.py)."""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


MMAP_BYTES = 1 << 31


class ThreadLocalDB:
    def __init__(self, path: Path | str, row_factory=None):
        self.path = Path(path)
        self.row_factory = row_factory
        self.lock = threading.RLock()  # writers of this process queue here instead of spinning on SQLITE_BUSY
        self._local = threading.local()

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            if self.row_factory is not None:
                conn.row_factory = self.row_factory
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            # reads map the file instead of copying each page through a 2 MB per-connection cache: what a search
            # over a store of a million posts spends its time on (SQLite caps it at its build's limit)
            conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            db = self.conn
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection (other threads' close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
