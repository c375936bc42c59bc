"""Durable alert state in one SQLite file (<data_dir>/alerts.db, WAL): rules, alerts, de-duplication keys,
audit trail, delivery outbox + attempts, narrative clusters. Whatever the post store is, this file is the truth."""
from __future__ import annotations

import json
import sqlite3
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from service.alerts.rules import Rule
from core.domain import Alert, as_utc, utcnow
from core.redact import redact
from service.sqlitedb import ThreadLocalDB
from service.store.documents import SQLiteDocuments
from service.store.events import FIELDS as EVENT_FIELDS, EventLog

SCHEMA = """
CREATE TABLE IF NOT EXISTS rules (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, campaign TEXT NOT NULL, rule TEXT NOT NULL,
    severity TEXT NOT NULL, status TEXT NOT NULL, assignee TEXT, dedup_key TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_campaign ON alerts(campaign, seq);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts(status, seq);
CREATE TABLE IF NOT EXISTS dedup (key TEXT PRIMARY KEY, alert_id TEXT NOT NULL, fired_at TEXT NOT NULL,
    suppressed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT, rule_id TEXT, at TEXT NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS audit_alert ON audit(alert_id, id);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, channel TEXT NOT NULL, target INTEGER NOT NULL,
    payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL, last_error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, sent_at TEXT);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(status, next_try);
CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id TEXT NOT NULL, at TEXT NOT NULL,
    ok INTEGER NOT NULL, status_code INTEGER, error TEXT, duration_ms REAL);
CREATE INDEX IF NOT EXISTS attempts_outbox ON attempts(outbox_id, id);
CREATE TABLE IF NOT EXISTS narratives (id TEXT PRIMARY KEY, campaign TEXT NOT NULL, size INTEGER NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS narratives_campaign ON narratives(campaign, size);
-- the ledger: every campaign post the engine has seen, with its narrative and near-duplicate group
CREATE TABLE IF NOT EXISTS narrative_posts (narrative_id TEXT NOT NULL, post_id TEXT NOT NULL, campaign TEXT NOT NULL,
    created_at TEXT NOT NULL, platform TEXT, author TEXT, sentiment TEXT, hoax INTEGER NOT NULL DEFAULT 0,
    claim_id TEXT, claim_url TEXT, engagement INTEGER NOT NULL DEFAULT 0, url TEXT, title TEXT, text TEXT NOT NULL,
    dup_group TEXT NOT NULL, minhash BLOB, PRIMARY KEY (campaign, post_id));
CREATE INDEX IF NOT EXISTS narrative_posts_n ON narrative_posts(narrative_id, created_at);
CREATE INDEX IF NOT EXISTS narrative_posts_t ON narrative_posts(campaign, created_at);
CREATE INDEX IF NOT EXISTS narrative_posts_d ON narrative_posts(campaign, dup_group, created_at);
CREATE TABLE IF NOT EXISTS post_links (campaign TEXT NOT NULL, link TEXT NOT NULL, post_id TEXT NOT NULL,
    created_at TEXT NOT NULL, PRIMARY KEY (campaign, link, post_id));
CREATE INDEX IF NOT EXISTS post_links_t ON post_links(campaign, link, created_at);
"""


def ts(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


class AlertStore:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._sqlite = ThreadLocalDB(self.path)
        self.db.executescript(SCHEMA)
        self.events = EventLog(SQLiteDocuments(self.path.parent / "state.db", "events", EVENT_FIELDS))

    @property
    def db(self) -> sqlite3.Connection:
        return self._sqlite.conn

    def tx(self):
        return self._sqlite.transaction()

    def close(self) -> None:
        self._sqlite.close()

    # -- rules --
    def put_rule(self, rule: Rule, actor: str = "system", action: str = "rule.put") -> Rule:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO rules VALUES (?,?)", (rule.id, rule.model_dump_json()))
            self._audit(db, None, actor, action, {"rule": rule.model_dump(mode="json")}, rule_id=rule.id)
        return rule

    def get_rule(self, rule_id: str) -> Rule | None:
        row = self.db.execute("SELECT doc FROM rules WHERE id=?", (rule_id,)).fetchone()
        return Rule.model_validate_json(row[0]) if row else None

    def list_rules(self, campaign: str | None = None) -> list[Rule]:
        rules = [Rule.model_validate_json(d) for (d,) in self.db.execute("SELECT doc FROM rules ORDER BY id")]
        return [r for r in rules if campaign is None or r.campaign in (None, campaign)]

    def delete_rule(self, rule_id: str, actor: str = "system") -> bool:
        with self.tx() as db:
            gone = db.execute("DELETE FROM rules WHERE id=?", (rule_id,)).rowcount > 0
            if gone:
                self._audit(db, None, actor, "rule.delete", {}, rule_id=rule_id)
        return gone

    # -- alerts --
    def fire(self, alert: Alert, cooldown: timedelta, event_time: datetime, channels: list[tuple[str, int]],
             max_post_ids: int = 200) -> tuple[Alert, bool]:
        """Create the alert and its outbox entries atomically, unless the dedup key already fired.

        An unresolved alert with the same key absorbs the new evidence (post ids, figures) without notifying.
        A resolved one is re-opened as a new alert only after the cooldown (event time) has passed.
        Returns (alert, created).
        """
        with self.tx() as db:
            row = db.execute("SELECT alert_id, fired_at FROM dedup WHERE key=?", (alert.dedup_key,)).fetchone()
            if row is not None:
                prev = self._get(db, row[0])
                within = as_utc(event_time) - parse_ts(row[1]) < cooldown
                if prev is not None and (prev.status != "resolved" or within):
                    merged = list(dict.fromkeys(prev.post_ids + alert.post_ids))[:max_post_ids]
                    why = dict(prev.why)
                    why["repeats"] = int(why.get("repeats", 0)) + 1
                    why["latest"] = alert.why.get("figures", {})
                    prev = prev.model_copy(update={"post_ids": merged, "why": why, "updated_at": utcnow()})
                    self._save(db, prev)
                    db.execute("UPDATE dedup SET suppressed=suppressed+1 WHERE key=?", (alert.dedup_key,))
                    return prev, False
            self._save(db, alert, insert=True)
            db.execute("INSERT OR REPLACE INTO dedup (key, alert_id, fired_at) VALUES (?,?,?)",
                       (alert.dedup_key, alert.id, ts(event_time)))
            self._audit(db, alert.id, "system", "alert.fired", {"rule": alert.rule, "severity": alert.severity})
            payload = alert.model_dump_json()
            now = ts(utcnow())
            for channel, target in channels:
                db.execute("INSERT INTO outbox (id, alert_id, channel, target, payload, next_try, created_at, "
                           "updated_at) VALUES (?,?,?,?,?,?,?,?)",
                           (uuid.uuid4().hex, alert.id, channel, target, payload, time.time(), now, now))
            return alert, True

    def _save(self, db: sqlite3.Connection, alert: Alert, insert: bool = False) -> None:
        row = (alert.campaign, alert.rule, alert.severity, alert.status, alert.assignee, alert.dedup_key,
               ts(alert.created_at), ts(alert.updated_at), alert.model_dump_json())
        if insert:
            db.execute("INSERT INTO alerts (campaign, rule, severity, status, assignee, dedup_key, created_at, "
                       "updated_at, doc, id) VALUES (?,?,?,?,?,?,?,?,?,?)", (*row, alert.id))
        else:
            db.execute("UPDATE alerts SET campaign=?, rule=?, severity=?, status=?, assignee=?, dedup_key=?, "
                       "created_at=?, updated_at=?, doc=? WHERE id=?", (*row, alert.id))

    def _get(self, db: sqlite3.Connection, alert_id: str) -> Alert | None:
        row = db.execute("SELECT doc FROM alerts WHERE id=?", (alert_id,)).fetchone()
        return Alert.model_validate_json(row[0]) if row else None

    def get_alert(self, alert_id: str) -> Alert | None:
        return self._get(self.db, alert_id)

    def seq_of(self, alert_id: str) -> int | None:
        row = self.db.execute("SELECT seq FROM alerts WHERE id=?", (alert_id,)).fetchone()
        return row[0] if row else None

    def list_alerts(self, status: str | None = None, campaign: str | None = None, severity: str | None = None,
                    limit: int = 100, offset: int = 0, after_seq: int | None = None,
                    campaigns: list[str] | None = None) -> list[Alert]:
        """Newest first (oldest first after `after_seq`). `campaigns`: any of these ([] = none; None = all)."""
        clauses, args = [], []
        for col, val in (("status", status), ("campaign", campaign), ("severity", severity)):
            if val is not None:
                clauses.append(f"{col}=?")
                args.append(val)
        if campaigns is not None:
            if not campaigns:
                return []
            clauses.append(f"campaign IN ({','.join('?' * len(campaigns))})")
            args.extend(campaigns)
        if after_seq is not None:
            clauses.append("seq>?")
            args.append(after_seq)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        order = "seq ASC" if after_seq is not None else "seq DESC"
        rows = self.db.execute(f"SELECT doc FROM alerts{where} ORDER BY {order} LIMIT ? OFFSET ?",
                               [*args, limit, offset])
        return [Alert.model_validate_json(d) for (d,) in rows]

    def count_alerts(self) -> int:
        return self.db.execute("SELECT count(*) FROM alerts").fetchone()[0]

    def alert_counts(self, campaigns: list[str], since: datetime, until: datetime) -> dict[str, dict[str, int]]:
        """Per campaign: alerts still open (not resolved), of those the critical ones, and alerts raised in
        [since, until)."""
        if not campaigns:
            return {}
        rows = self.db.execute(
            "SELECT campaign, sum(status != 'resolved'), sum(status != 'resolved' AND severity = 'critical'), "
            f"sum(created_at >= ? AND created_at < ?) FROM alerts WHERE campaign IN ({','.join('?' * len(campaigns))})"
            " GROUP BY campaign", [ts(since), ts(until), *campaigns])
        return {c: {"open": o or 0, "critical": k or 0, "new": n or 0} for c, o, k, n in rows}

    def transition(self, alert_id: str, actor: str, action: str, status: str | None = None,
                   assignee: str | None = None, note: str | None = None) -> Alert | None:
        with self.tx() as db:
            alert = self._get(db, alert_id)
            if alert is None:
                return None
            update: dict[str, Any] = {"updated_at": utcnow()}
            if status is not None:
                update["status"] = status
            if assignee is not None:
                update["assignee"] = assignee
            new = alert.model_copy(update=update)
            self._save(db, new)
            self._audit(db, alert_id, actor, action, {"from": alert.status, "to": new.status,
                                                      "assignee": new.assignee, "note": note})
            return new

    def _audit(self, db: sqlite3.Connection, alert_id: str | None, actor: str, action: str, detail: dict,
               rule_id: str | None = None) -> None:
        db.execute("INSERT INTO audit (alert_id, rule_id, at, actor, action, detail) VALUES (?,?,?,?,?,?)",
                   (alert_id, rule_id, ts(utcnow()), actor, action, json.dumps(detail, default=str)))

    def audit(self, alert_id: str, actor: str, action: str, detail: dict) -> None:
        """An entry in an alert's trail for an action taken outside its workflow (e.g. answering tip senders)."""
        with self.tx() as db:
            self._audit(db, alert_id, actor, action, detail)

    def audit_trail(self, alert_id: str | None = None, rule_id: str | None = None) -> list[dict]:
        col, val = ("alert_id", alert_id) if alert_id is not None else ("rule_id", rule_id)
        rows = self.db.execute(f"SELECT at, actor, action, detail FROM audit WHERE {col}=? ORDER BY id", (val,))
        return [{"at": at, "actor": actor, "action": action, "detail": json.loads(d)} for at, actor, action, d in rows]

    # -- outbox --
    def due(self, now: float | None = None, limit: int = 50, lease_seconds: float = 120.0) -> list[dict]:
        """Claim due entries for one sender: they become 'sending' until now + lease_seconds.

        The API and the worker both run a delivery loop on this file; the claim is one atomic UPDATE, so an entry
        is sent by one of them only. An entry whose sender died mid-send is claimable again once its lease ends.
        """
        now = time.time() if now is None else now
        with self.tx() as db:
            rows = db.execute(
                "UPDATE outbox SET status='sending', next_try=? WHERE id IN (SELECT id FROM outbox "
                "WHERE status IN ('pending', 'sending') AND next_try<=? ORDER BY next_try LIMIT ?) "
                "RETURNING id, alert_id, channel, target, payload, attempts", (now + lease_seconds, now, limit))
            claimed = [dict(zip(("id", "alert_id", "channel", "target", "payload", "attempts"), r)) for r in rows]
        return sorted(claimed, key=lambda r: r["id"])

    def next_due(self) -> float | None:
        row = self.db.execute("SELECT min(next_try) FROM outbox WHERE status IN ('pending', 'sending')").fetchone()
        return row[0]

    def record_attempt(self, outbox_id: str, ok: bool, status_code: int | None, error: str | None,
                       duration_ms: float, next_try: float | None, give_up: bool = False) -> None:
        error = redact(error) if error else error  # a channel error may quote its URL (Telegram bot token)
        now = ts(utcnow())
        with self.tx() as db:
            db.execute("INSERT INTO attempts (outbox_id, at, ok, status_code, error, duration_ms) VALUES (?,?,?,?,?,?)",
                       (outbox_id, now, int(ok), status_code, error, duration_ms))
            if ok:
                db.execute("UPDATE outbox SET status='sent', attempts=attempts+1, sent_at=?, updated_at=?, "
                           "last_error=NULL WHERE id=?", (now, now, outbox_id))
            else:
                status = "failed" if give_up else "pending"
                db.execute("UPDATE outbox SET status=?, attempts=attempts+1, next_try=?, last_error=?, updated_at=? "
                           "WHERE id=?", (status, next_try or time.time(), error, now, outbox_id))

    def outbox(self, alert_id: str | None = None, status: str | None = None) -> list[dict]:
        clauses, args = [], []
        if alert_id:
            clauses.append("alert_id=?")
            args.append(alert_id)
        if status:
            clauses.append("status=?")
            args.append(status)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        cols = ("id", "alert_id", "channel", "target", "status", "attempts", "next_try", "last_error", "created_at",
                "sent_at")
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM outbox{where} ORDER BY created_at", args)
        return [dict(zip(cols, r)) for r in rows]

    def attempts(self, outbox_id: str) -> list[dict]:
        cols = ("at", "ok", "status_code", "error", "duration_ms")
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM attempts WHERE outbox_id=? ORDER BY id", (outbox_id,))
        return [dict(zip(cols, r)) for r in rows]

    def enqueue_once(self, key: str, channel: str, target: int, payload: str) -> bool:
        """Durably queue one delivery not tied to an alert (e.g. a daily digest), at most once per `key`.

        The key is the outbox row id (and its alert_id, so `outbox(key)` finds it); a second call with the same key,
        from this or another process, after any restart, is a no-op. Returns True when this call queued it.
        """
        now = ts(utcnow())
        with self.tx() as db:
            return db.execute("INSERT OR IGNORE INTO outbox (id, alert_id, channel, target, payload, next_try, "
                              "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                              (key, key, channel, target, payload, time.time(), now, now)).rowcount > 0

    def has_outbox(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM outbox WHERE id=?", (key,)).fetchone() is not None

    def retry_now(self, outbox_id: str) -> bool:
        with self.tx() as db:
            return db.execute("UPDATE outbox SET status='pending', next_try=? WHERE id=?",
                              (time.time(), outbox_id)).rowcount > 0
