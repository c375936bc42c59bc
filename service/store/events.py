"""The event log: one total order of events (alert created, updated, status changed, assigned) across every process.

Whoever changes an alert appends here; every API replica tails it and fans it out to its SSE subscribers, so an
alert fired by a worker on another machine reaches every open inbox, and `Last-Event-ID` (the sequence number) resumes
a stream on any replica.

Built on Documents, the same on both backends: event n is the document with id "n", claimed with `create` (op_type
=create on Elasticsearch, which has no autoincrement). A writer only tries n once it knows n-1 exists (it wrote it, or
its create of n-1 conflicted, or a search showed it), so an event is never skipped while in flight; readers fetch
ids after+1.. by real-time get and keep the contiguous run. A gap that persists is one deleted by retention: the
reader jumps to the next existing event.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from service.store.documents import Conflict, Documents, open_documents

FIELDS = {"seq": "long", "kind": "keyword", "at": "date"}


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    data: dict
    at: str


class EventLog:
    def __init__(self, docs: Documents):
        self.docs = docs
        self._next: int | None = None  # this process's guess for the next free sequence number
        self._lock = threading.Lock()

    def append(self, kind: str, data: dict) -> int:
        """Store one event; returns its sequence number (1, 2, ... in commit order across processes)."""
        with self._lock:
            n = self._next if self._next is not None else self.last_seq() + 1
            body = {"kind": kind, "at": datetime.now(timezone.utc), "data": data}
            while True:
                try:
                    self.docs.create(str(n), body | {"seq": n})
                except Conflict:  # taken by another process: n exists, so n+1 may be tried
                    n += 1
                    continue
                self._next = n + 1
                return n

    def last_seq(self) -> int:
        """The highest sequence number a search sees (may lag the real one by a refresh; append copes)."""
        found = self.docs.find(sort=[("seq", "desc")], limit=1)
        return found[0].body["seq"] if found else 0

    def tail(self, after: int, limit: int = 100) -> list[Event]:
        """Events after sequence number `after`, oldest first, without gaps."""
        ids = [str(n) for n in range(after + 1, after + 1 + limit)]
        found = self.docs.get_many(ids)
        if ids[0] not in found:
            later = self.docs.find({"seq": {"gt": after}}, sort=[("seq", "asc")], limit=1)
            if not later:
                return []
            return self.tail(later[0].body["seq"] - 1, limit)  # pruned: resume at the oldest kept event
        out = []
        for id_ in ids:
            doc = found.get(id_)
            if doc is None:
                break
            out.append(Event(doc.body["seq"], doc.body["kind"], doc.body["data"], doc.body["at"]))
        return out

    def prune(self, older_than: timedelta) -> int:
        """Delete events older than `older_than` (a client resuming from before them gets what is left)."""
        cutoff = datetime.now(timezone.utc) - older_than
        gone = 0
        for doc in list(self.docs.scan({"at": {"lt": cutoff}}, sort=[("seq", "asc")])):
            gone += self.docs.delete(doc.id)
        return gone


def open_events(settings) -> EventLog:
    # get() by id is real-time on Elasticsearch: appends need not wait for a refresh
    return EventLog(open_documents(settings, "events", FIELDS, searchable=False))
