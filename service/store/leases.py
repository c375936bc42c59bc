"""Leases: which process runs what, agreed through the store (like Kibana's task manager), never a local lock.

A lease is a document `{owner, expires_at}` named after what it guards ("source:rss:antaranews.com",
"worker:<id>"). It is taken with `create` when nobody ever held it, or with `replace` at the version just read when
it has expired; it is renewed and released with `replace`/`delete` at the version its holder last wrote. Whoever
loses a race gets `Conflict`, so two processes never both hold one lease, and a holder that stops renewing (killed,
partitioned, paused) loses it `ttl` seconds after its last renewal. Times are wall-clock epoch seconds: machines
sharing a store must keep their clocks in sync (NTP) to well under the lease time.
"""
from __future__ import annotations

import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from service.store.documents import Conflict, Documents, open_documents

KIND = "leases"
FIELDS = {"owner": "keyword", "group": "keyword", "expires_at": "double"}


def new_owner_id() -> str:
    """Unique per process life: a restarted worker on the same host is a new owner, not the old one resumed."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Lease:
    name: str
    owner: str
    expires_at: float
    version: str
    group: str = ""


class Leases:
    def __init__(self, docs: Documents, owner: str, ttl: float, clock: Callable[[], float] = time.time):
        if ttl <= 0:
            raise ValueError("lease ttl must be positive")
        self.docs, self.owner, self.ttl, self.clock = docs, owner, float(ttl), clock

    @classmethod
    def open(cls, settings, owner: str | None = None, ttl: float | None = None, kind: str = KIND,
             searchable: bool = False) -> "Leases":
        """Leases are taken and renewed by id (real-time on both backends), so by default their writes do not wait
        for a search refresh; a kind listed with `holders` (the live workers) passes searchable=True."""
        docs = open_documents(settings, kind, FIELDS, searchable=searchable)
        return cls(docs, owner or new_owner_id(), ttl if ttl is not None else settings.lease_seconds)

    def _body(self, name: str, group: str, now: float) -> dict:
        return {"name": name, "owner": self.owner, "group": group, "expires_at": now + self.ttl, "renewed_at": now}

    def acquire(self, name: str, group: str = "") -> Lease | None:
        """Take the lease if nobody holds it (never held, released, or expired); None if another owner does."""
        now = self.clock()
        try:  # a free lease (never held, or released) is taken in one request
            doc = self.docs.create(name, self._body(name, group, now))
            return Lease(name, self.owner, doc.body["expires_at"], doc.version, group)
        except Conflict:
            current = self.docs.get(name)
        try:
            if current is None:
                doc = self.docs.create(name, self._body(name, group, now))
            elif current.body.get("owner") == self.owner or float(current.body.get("expires_at") or 0) <= now:
                doc = self.docs.replace(name, self._body(name, group, now), current.version)
            else:
                return None
        except Conflict:  # another process took it between our read and our write
            return None
        return Lease(name, self.owner, doc.body["expires_at"], doc.version, group)

    def renew(self, lease: Lease) -> Lease | None:
        """Extend a lease we hold; None when it was taken over (our version is stale): stop the work it guards."""
        try:
            doc = self.docs.replace(lease.name, self._body(lease.name, lease.group, self.clock()), lease.version)
        except Conflict:
            return None
        return Lease(lease.name, self.owner, doc.body["expires_at"], doc.version, lease.group)

    def release(self, lease: Lease) -> bool:
        """Give the lease up at once (a clean stop, or shedding work for a new peer); False if it was not ours."""
        try:
            return self.docs.delete(lease.name, lease.version)
        except Conflict:
            return False

    @contextmanager
    def hold(self, name: str, group: str = "", sleep: Callable[[float], None] = time.sleep) -> Iterator[Lease]:
        """Hold the lease for the block, waiting while another owner holds it: a live holder releases it when its
        block ends, a dead one's lapses after `ttl`. The wait is a poll with jitter (10-100 ms), so waiters do not
        move in step. Work that must never run twice under an expired lease also needs a fence in the store (e.g. a
        `create` of the next sequence number): this guards against overlap, the fence against a paused holder."""
        delay = 0.01
        while (lease := self.acquire(name, group)) is None:
            sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.1)
        try:
            yield lease
        finally:
            self.release(lease)

    def holders(self, group: str) -> dict[str, str]:
        """Unexpired leases of a group: name -> owner (a search: may lag a write by the index refresh)."""
        live = self.docs.find({"group": group, "expires_at": {"gt": self.clock()}}, limit=10_000)
        return {d.id: d.body["owner"] for d in live}
