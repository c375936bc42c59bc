"""The tipline's own state in <data_dir>/tipline.db: which messages were handled (platform retries and re-polled
updates are answered once), tips per sender hash, rate-limit windows, sealed reply addresses (with an expiry) and
the alert desk's answers (each sender at most once per alert)."""
from __future__ import annotations

import time
from pathlib import Path

from service.sqlitedb import ThreadLocalDB

SCHEMA = """
CREATE TABLE IF NOT EXISTS handled (message TEXT PRIMARY KEY, state TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tips (post_id TEXT PRIMARY KEY, channel TEXT NOT NULL, sender TEXT NOT NULL,
    at REAL NOT NULL, answer TEXT NOT NULL, claim_id TEXT, claim_url TEXT);
CREATE INDEX IF NOT EXISTS tips_sender ON tips(sender, at);
CREATE TABLE IF NOT EXISTS windows (sender TEXT PRIMARY KEY, start REAL NOT NULL, count INTEGER NOT NULL,
    noticed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS routes (sender TEXT PRIMARY KEY, channel TEXT NOT NULL, address TEXT NOT NULL,
    account TEXT, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (alert_id TEXT NOT NULL, sender TEXT NOT NULL, at REAL NOT NULL,
    state TEXT NOT NULL, PRIMARY KEY (alert_id, sender));
"""


class TipStore:
    def __init__(self, path: Path):
        self._sqlite = ThreadLocalDB(path)
        self._sqlite.conn.executescript(SCHEMA)

    @property
    def db(self):
        return self._sqlite.conn

    # -- each message once --
    def begin(self, message: str) -> bool:
        """Claim a message for handling; False when it was handled (or is being handled) already."""
        with self._sqlite.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO handled VALUES (?, 'busy', ?)",
                              (message, time.time())).rowcount == 1

    def finish(self, message: str) -> None:
        with self._sqlite.transaction() as db:
            db.execute("UPDATE handled SET state='done' WHERE message=?", (message,))

    def abandon(self, message: str) -> None:
        """Handling failed before the tip was kept: the platform's retry (or the next poll) may try again."""
        with self._sqlite.transaction() as db:
            db.execute("DELETE FROM handled WHERE message=? AND state='busy'", (message,))

    # -- rate limit --
    def admit(self, sender: str, limit: int, window: float, now: float | None = None) -> str:
        """'ok' within the limit; the first message over it 'notice' (one polite answer), then 'silent'."""
        now = time.time() if now is None else now
        with self._sqlite.transaction() as db:
            row = db.execute("SELECT start, count, noticed FROM windows WHERE sender=?", (sender,)).fetchone()
            if row is None or now - row[0] >= window:
                start, count, noticed = now, 0, 0
            else:
                start, count, noticed = row
            count += 1
            verdict = "ok" if count <= limit else "silent" if noticed else "notice"
            noticed = noticed or verdict == "notice"
            db.execute("INSERT OR REPLACE INTO windows VALUES (?, ?, ?, ?)", (sender, start, count, int(noticed)))
            return verdict

    # -- tips and their senders --
    def add_tip(self, post_id: str, channel: str, sender: str, at: float, answer: str, claim_id: str | None,
                claim_url: str | None) -> None:
        with self._sqlite.transaction() as db:
            db.execute("INSERT OR REPLACE INTO tips VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (post_id, channel, sender, at, answer, claim_id, claim_url))

    def tips(self, post_ids: list[str]) -> dict[str, dict]:
        """post id -> {channel, answer, claim_id, claim_url} for those of `post_ids` that are tips (no sender)."""
        out: dict[str, dict] = {}
        for i in range(0, len(post_ids), 500):
            chunk = post_ids[i:i + 500]
            rows = self.db.execute(f"SELECT post_id, channel, answer, claim_id, claim_url FROM tips WHERE post_id IN "
                                   f"({','.join('?' * len(chunk))})", chunk)
            out.update({r[0]: {"channel": r[1], "answer": r[2], "claim_id": r[3], "claim_url": r[4]} for r in rows})
        return out

    def senders(self, post_ids: list[str]) -> list[str]:
        found: dict[str, None] = {}
        for i in range(0, len(post_ids), 500):
            chunk = post_ids[i:i + 500]
            for (sender,) in self.db.execute(f"SELECT sender FROM tips WHERE post_id IN ({','.join('?' * len(chunk))})"
                                             " ORDER BY at", chunk):
                found[sender] = None
        return list(found)

    # -- sealed reply addresses --
    def put_route(self, sender: str, channel: str, sealed: str, account: str | None, expires: float) -> None:
        with self._sqlite.transaction() as db:
            db.execute("INSERT OR REPLACE INTO routes VALUES (?, ?, ?, ?, ?)", (sender, channel, sealed, account, expires))

    def route(self, sender: str, now: float | None = None) -> tuple[str, str, str | None] | None:
        row = self.db.execute("SELECT channel, address, account FROM routes WHERE sender=? AND expires>?",
                              (sender, time.time() if now is None else now)).fetchone()
        return tuple(row) if row else None

    def erase_expired(self, now: float | None = None) -> int:
        with self._sqlite.transaction() as db:
            return db.execute("DELETE FROM routes WHERE expires<=?", (time.time() if now is None else now,)).rowcount

    # -- the alert desk's answers: each sender at most once per alert --
    def claim_answer(self, alert_id: str, sender: str) -> bool:
        with self._sqlite.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO answers VALUES (?, ?, ?, 'busy')",
                              (alert_id, sender, time.time())).rowcount == 1

    def settle_answer(self, alert_id: str, sender: str, sent: bool) -> None:
        """Sent: kept for good. Not sent (platform down, address expired): released, a later click may retry."""
        with self._sqlite.transaction() as db:
            if sent:
                db.execute("UPDATE answers SET state='sent' WHERE alert_id=? AND sender=?", (alert_id, sender))
            else:
                db.execute("DELETE FROM answers WHERE alert_id=? AND sender=?", (alert_id, sender))

    def close(self) -> None:
        self._sqlite.close()
