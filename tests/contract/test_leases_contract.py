"""Leases and source sharing, the same on both backends: one holder at a time, expiry hands a lease over, a stale
holder's renewal and cursor commit are refused, and workers split the sources without overlap."""
from __future__ import annotations

import threading
import time

import pytest

from collectors.scheduler import LeaseLost
from collectors.sharing import Share
from service.store.leases import Leases
from service.store.sources import SourceState


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def leases(settings, owner: str, clock: Clock, ttl: float = 10, **kind) -> Leases:
    return Leases(Leases.open(settings, owner, **kind).docs, owner, ttl, clock)


def share(settings, owner: str, clock: Clock, names: list[str]) -> Share:
    workers = leases(settings, owner, clock, kind="workers", searchable=True)
    return Share(leases(settings, owner, clock), names, workers=workers)


def test_one_holder_until_expiry_then_handed_over(state_settings):
    clock = Clock()
    a, b = leases(state_settings, "a", clock), leases(state_settings, "b", clock)
    held = a.acquire("source:x", "sources")
    assert held and held.owner == "a" and held.expires_at == clock.t + 10
    assert b.acquire("source:x", "sources") is None  # live lease: refused
    clock.t += 9.9
    assert b.acquire("source:x", "sources") is None  # still live (fails without the expiry check)
    held = a.renew(held)
    clock.t += 9.9
    assert b.acquire("source:x", "sources") is None  # renewal moved the expiry
    clock.t += 0.2
    taken = b.acquire("source:x", "sources")
    assert taken and taken.owner == "b"
    assert a.renew(held) is None and a.release(held) is False  # the old holder learns it lost the lease
    assert b.docs.get("source:x").body["owner"] == "b"
    assert b.release(taken) and a.acquire("source:x", "sources")  # released: free at once


class SlowReads:
    """Every contender reads the expired lease before any of them writes: only the version check can pick one."""

    def __init__(self, docs):
        self.docs = docs

    def get(self, id):
        doc = self.docs.get(id)
        time.sleep(0.3)
        return doc

    def __getattr__(self, name):
        return getattr(self.docs, name)


def test_concurrent_acquire_of_an_expired_lease_has_one_winner(state_settings):
    clock = Clock()
    leases(state_settings, "dead", clock).acquire("source:x", "sources")
    clock.t += 11
    contenders = [leases(state_settings, f"w{i}", clock) for i in range(6)]
    for contender in contenders:
        contender.docs = SlowReads(contender.docs)
    won: list[str] = []
    barrier = threading.Barrier(len(contenders))

    def race(lease_store: Leases) -> None:
        barrier.wait()
        if lease_store.acquire("source:x", "sources"):
            won.append(lease_store.owner)
    threads = [threading.Thread(target=race, args=(c,)) for c in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1, won


def test_a_worker_that_lost_its_source_cannot_move_the_cursor(state_settings):
    """A paused worker whose lease expired wakes up after the new owner started: its commit is refused."""
    old, new = SourceState.open(state_settings, "old"), SourceState.open(state_settings, "new")
    old.ensure("rss:x", "rss")
    assert old.record_attempt("rss:x")["cursor"] is None
    old.commit_batch("rss:x", {"n": 1}, 5)
    assert new.record_attempt("rss:x")["cursor"] == {"n": 1}  # takes over from the saved cursor
    new.commit_batch("rss:x", {"n": 2}, 5)
    with pytest.raises(LeaseLost):
        old.commit_batch("rss:x", {"n": 99}, 5)
    row = new.get("rss:x")
    assert row["cursor"] == {"n": 2} and row["items_collected"] == 10 and row["owner"] == "new"
    listing = SourceState.open(state_settings)
    deadline = time.monotonic() + 10  # a listing is a search: on Elasticsearch it follows writes within a refresh
    while [r["name"] for r in listing.all()] != ["rss:x"]:
        assert time.monotonic() < deadline, listing.all()
        time.sleep(0.1)


def test_workers_split_the_sources_and_take_over_a_dead_ones(state_settings):
    clock = Clock()
    names = [f"rss:{i}" for i in range(5)]
    a, b = share(state_settings, "a", clock, names), share(state_settings, "b", clock, names)
    a.tick()
    assert set(a.held) == set(names)  # alone: everything
    b.tick()  # b joins: nothing free yet
    a.tick()  # a sees two workers and gives back its extras...
    b.tick()  # ...which b takes
    assert len(a.held) == 3 and len(b.held) == 2 and not set(a.held) & set(b.held)
    for _ in range(3):  # stable: nobody takes what the other holds
        a.tick(), b.tick()
        assert not set(a.held) & set(b.held) and set(a.held) | set(b.held) == set(names)
    clock.t += 4
    b.tick()  # b renews; a stops renewing (killed)
    clock.t += 6.1  # a's leases (and its worker lease) expired
    b.tick()
    assert set(b.held) == set(names) and all(b.holds(n) for n in names)
    assert not any(a.holds(n) for n in a.held)  # a's own view: expired locally, it may not start a pass
