"""The event log: one total order of events (alert created, updated, status changed, assigned) across every process.

Whoever changes an alert appends here; every API replica tails it and fans it out to its SSE subscribers, so an
alert fired by a worker on another machine reaches every open inbox, and `Last-Event-ID` (the sequence number) resumes
a stream on any replica.

Built on Documents, the same on both backends: event n is the document with id "n", claimed with `create` (op_type
=create on Elasticsearch, which has no autoincrement). A writer only tries n once it knows n-1 exists (it wrote it, or
its create of n-1 conflicted, or a search showed it), so an event is never skipped while in flight; readers fetch
ids after+1.. by real-time get and keep the contiguous run. Retention (Settings.event_retention_days, pruned by a
worker once an hour under a lease) deletes the oldest events but never the newest one; a reader whose next id is
gone continues from the oldest event kept.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from service.store.documents import Conflict, Documents, open_documents

FIELDS = {"seq": "long", "kind": "keyword", "at": "date", "key": "keyword"}


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

    def append(self, kind: str, data: dict, key: str | None = None) -> int:
        """Store one event; returns its sequence number (1, 2, ... in commit order across processes).

        `key`: names what the event announces, so that `keyed(key)` finds it (an alert's announcement,
        service/alerts/announce.py, is appended once per key). A keyed create that conflicts with the same key is our
        own earlier try that landed (a request retried after a timeout): it is not appended again."""
        with self._lock:
            n = self._next if self._next is not None else self.last_seq() + 1
            body = {"kind": kind, "at": datetime.now(timezone.utc), "data": data} | ({"key": key} if key else {})
            while True:
                try:
                    self.docs.create(str(n), body | {"seq": n})
                except Conflict:  # taken by another process: n exists, so n+1 may be tried
                    if key and (taken := self.docs.get(str(n))) is not None and taken.body.get("key") == key:
                        break
                    n += 1
                    continue
                break
            self._next = n + 1
            return n

    def keyed(self, key: str) -> int | None:
        """The sequence number of the event appended with `key`, if any (searches after a refresh: every append
        that returned is seen)."""
        self.docs.make_searchable()
        found = self.docs.find({"key": key}, limit=1)
        return found[0].body["seq"] if found else None

    def last_seq(self) -> int:
        """The highest sequence number a search sees (may lag the real one by a refresh; append copes)."""
        found = self.docs.find(sort=[("seq", "desc")], limit=1)
        return found[0].body["seq"] if found else 0

    def tail(self, after: int, limit: int = 100) -> list[Event]:
        """Events after sequence number `after`, oldest first, without gaps. When `after + 1` is gone (pruned by
        the retention), from the oldest event kept: a client resuming from before the retention gets what is left."""
        ids = [str(n) for n in range(after + 1, after + 1 + limit)]
        found = self.docs.get_many(ids)
        if ids[0] in found:
            docs = [found[i] for i in ids if i in found]
        else:  # nothing new yet, or pruned: a search finds the oldest kept (it may still show a just-deleted one)
            docs = self.docs.find({"seq": {"gt": after}}, sort=[("seq", "asc")], limit=limit)
        out: list[Event] = []
        for doc in docs:
            if out and doc.body["seq"] != out[-1].seq + 1:
                break
            out.append(Event(doc.body["seq"], doc.body["kind"], doc.body["data"], doc.body["at"]))
        return out

    def prune(self, older_than: timedelta) -> int:
        """Delete events older than `older_than`, except the newest event: the next sequence number is found from
        it, so an idle log pruned empty would restart at 1 and every client's Last-Event-ID would skip the new
        events. A client resuming from a pruned id gets the stream from the oldest event kept (tail)."""
        cutoff = datetime.now(timezone.utc) - older_than
        newest = self.last_seq()
        gone = 0
        for doc in list(self.docs.scan({"at": {"lt": cutoff}, "seq": {"lt": newest}}, sort=[("seq", "asc")])):
            gone += self.docs.delete(doc.id)
        return gone


class EventPruner:
    """Prunes the log at most once per `every` seconds across all processes: the right to prune is the lease
    `events:prune` with a time-to-live of `every`, taken only once the last one has expired (never renewed, never
    released), so whichever worker ticks first after that prunes and the others skip."""
    LEASE = "events:prune"

    def __init__(self, log: EventLog, leases, retention: timedelta):
        self.log, self.leases, self.retention = log, leases, retention

    @classmethod
    def open(cls, settings, every: float = 3600.0) -> "EventPruner":
        from service.store.leases import Leases

        return cls(open_events(settings), Leases.open(settings, ttl=every),
                   timedelta(days=settings.event_retention_days))

    def tick(self) -> int | None:
        """Events deleted, or None when this interval's pruning is (or was) another's turn."""
        held = self.leases.docs.get(self.LEASE)
        if held is not None and float(held.body.get("expires_at") or 0) > self.leases.clock():
            return None
        if self.leases.acquire(self.LEASE) is None:  # another process took it between the read and the write
            return None
        return self.log.prune(self.retention)


def open_events(settings) -> EventLog:
    # get() by id is real-time on Elasticsearch: appends need not wait for a refresh
    return EventLog(open_documents(settings, "events", FIELDS, searchable=False))
