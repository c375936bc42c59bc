"""Collector state in the store: each source's cursor and health, one document per source, shared by every worker
and read by every API replica's GET /sources.

Only the worker holding a source's lease writes its document, and it writes at the version it last wrote: if
another worker took the source over in between (our lease expired while we were paused), that worker has written
the document since, our write gets Conflict and we raise LeaseLost instead of moving a cursor that is no longer ours.
A cursor moves only after its batch was stored (`commit_batch`), so a worker killed mid-batch leaves the cursor where
the batch started: the next owner collects the batch again and the idempotent upserts (ids from source + native id)
store each post once.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from collectors.scheduler import LeaseLost
from service.store.documents import Conflict, Documents, open_documents, update

KIND = "sources"
FIELDS = {"type": "keyword", "healthy": "bool", "next_run_at": "double", "owner": "keyword"}
FRESH = {"type": "", "cursor": None, "last_success": None, "last_attempt": None, "items_collected": 0,
         "consecutive_errors": 0, "total_errors": 0, "last_error": None, "healthy": True, "next_run_at": 0.0,
         "owner": None, "updated_at": None, "skipped": None, "quota": None}


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class SourceState:
    def __init__(self, docs: Documents, owner: str = ""):
        self.docs, self.owner = docs, owner
        self._held: dict[str, tuple[str, dict]] = {}  # per source worked on: (version, body) this process last wrote

    @classmethod
    def open(cls, settings, owner: str = "") -> "SourceState":
        return cls(open_documents(settings, KIND, FIELDS, searchable=False), owner)

    def close(self) -> None:
        self._held.clear()

    def ensure(self, name: str, type_: str) -> None:
        """Make the source known (listed by /sources) without touching a document someone else keeps."""
        if self.docs.get(name) is None:
            try:
                self.docs.create(name, {**FRESH, "name": name, "type": type_, "updated_at": _now_iso()})
            except Conflict:
                pass  # another worker listed it first

    def get(self, name: str) -> dict[str, Any] | None:
        doc = self.docs.get(name)
        return {**FRESH, **doc.body, "name": name} if doc else None

    def all(self) -> list[dict[str, Any]]:
        return [{**FRESH, **d.body, "name": d.id} for d in self.docs.scan(sort=[("id", "asc")])]

    def cursor(self, name: str) -> dict | None:
        row = self.get(name)
        return row["cursor"] if row else None

    def _write(self, name: str, change) -> dict:
        held = self._held.get(name)
        if held is None:  # first write of this lease term: take over whatever is there
            doc = update(self.docs, name, lambda body: change({**FRESH, "name": name, **(body or {})}))
        else:
            try:
                doc = self.docs.replace(name, change(dict(held[1])), held[0])
            except Conflict:
                self._held.pop(name, None)
                raise LeaseLost(f"{name}: another worker has taken this source over") from None
        self._held[name] = (doc.version, doc.body)
        return doc.body

    def record_attempt(self, name: str, type_: str = "") -> dict:
        """Starts a pass (we hold the source's lease): reads the document afresh, stamps the attempt and the owner,
        and returns the state the pass resumes from; the pass's later writes are made at this version."""
        self._held.pop(name, None)
        return self._write(name, lambda b: {**b, "type": type_ or b["type"], "last_attempt": _now_iso(),
                                            "owner": self.owner or None})

    def commit_batch(self, name: str, cursor: dict | None, items: int, skipped: dict[str, int] | None = None) -> None:
        """Called only after the sink accepted the batch: advance the cursor and count the items (and the items
        skipped on purpose, by reason) in one write."""
        def change(b: dict) -> dict:
            total = dict(b["skipped"] or {})
            for reason, n in (skipped or {}).items():
                total[reason] = int(total.get(reason, 0)) + int(n)
            return {**b, "cursor": cursor if cursor is not None else b["cursor"], "skipped": total or None,
                    "items_collected": int(b["items_collected"]) + items, "updated_at": _now_iso()}
        self._write(name, change)

    def quota(self, name: str) -> dict | None:
        row = self.get(name)
        return row["quota"] if row else None

    def save_quota(self, name: str, quota: dict) -> None:
        """Spent API quota is written as it is spent, apart from batches: a crash must not give it back."""
        self._write(name, lambda b: {**b, "quota": quota, "updated_at": _now_iso()})

    def record_success(self, name: str, next_run_at: float) -> None:
        self._write(name, lambda b: {**b, "last_success": _now_iso(), "consecutive_errors": 0, "healthy": True,
                                     "next_run_at": next_run_at, "updated_at": _now_iso()})

    def record_failure(self, name: str, error: str, unhealthy_after: int, next_run_at: float) -> int:
        """Returns the new consecutive error count."""
        def change(b: dict) -> dict:
            n = int(b["consecutive_errors"]) + 1
            return {**b, "consecutive_errors": n, "total_errors": int(b["total_errors"]) + 1,
                    "last_error": error[:1000], "next_run_at": next_run_at, "updated_at": _now_iso(),
                    "healthy": b["healthy"] and n < unhealthy_after}
        return int(self._write(name, change)["consecutive_errors"])
