"""The live-event log's retention, the same on both backends: events older than the retention are deleted but never
the newest (numbering goes on after an idle spell), a reader whose next id was pruned continues from the oldest event
kept, and one process prunes per interval however many workers tick."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.store.events import EventLog, EventPruner, open_events
from service.store.leases import Leases
from tests.contract.test_leases_contract import Clock

RETENTION = timedelta(days=7)


def backdate(log: EventLog, seqs: range, days: float) -> None:
    """Events written `days` ago (the writer's clock then), visible to searches as a pruner days later sees them."""
    old = datetime.now(timezone.utc) - timedelta(days=days)
    for n in seqs:
        doc = log.docs.get(str(n))
        log.docs.put(doc.id, doc.body | {"at": old})
    refresh(log)


def refresh(log: EventLog) -> None:
    if hasattr(log.docs, "es"):  # not searchable: writes do not wait for a refresh, and a pruner runs days later
        log.docs.es.indices.refresh(index=log.docs.index)


def test_retention_prunes_old_events_but_keeps_the_newest_and_resume_starts_at_the_oldest_kept(state_settings):
    log = open_events(state_settings)
    seqs = [log.append("alert", {"i": i}) for i in range(8)]
    assert seqs == list(range(1, 9))
    backdate(log, range(1, 6), days=8)
    assert log.prune(RETENTION) == 5
    refresh(log)
    assert [e.seq for e in log.tail(0)] == [6, 7, 8]  # from before the retention: the oldest kept, then on
    assert [e.seq for e in log.tail(3)] == [6, 7, 8]
    assert [e.seq for e in log.tail(6)] == [7, 8] and log.tail(8) == []

    backdate(log, range(6, 9), days=30)  # an idle log: everything is old, the newest stays
    assert log.prune(RETENTION) == 2
    refresh(log)
    assert [e.seq for e in log.tail(2)] == [8]
    other = open_events(state_settings)  # a process started after the pruning numbers on from the newest
    assert other.append("alert", {"i": 8}) == 9 and log.append("alert", {"i": 9}) == 10
    assert [(e.seq, e.data["i"]) for e in log.tail(7)] == [(8, 7), (9, 8), (10, 9)]


def test_one_worker_prunes_per_interval(state_settings):
    clock = Clock()
    log = open_events(state_settings)
    for i in range(4):
        log.append("alert", {"i": i})
    backdate(log, range(1, 3), days=8)

    def pruner(owner: str) -> EventPruner:
        return EventPruner(log, Leases(Leases.open(state_settings, owner).docs, owner, 3600, clock), RETENTION)

    a, b = pruner("a"), pruner("b")
    assert a.tick() == 2  # a's turn this hour
    assert b.tick() is None and a.tick() is None  # the lease is live: nobody prunes again, not even a
    clock.t += 3601
    assert b.tick() == 0 and a.tick() is None
    assert EventPruner.open(state_settings).retention == RETENTION  # Settings.event_retention_days, default 7


def test_a_keyed_event_is_found_by_its_key_and_a_retried_append_is_not_repeated(state_settings):
    """An alert's announcement is appended under a key (service/alerts/announce.py): a later holder finds it by that key
    (every append that returned is seen), and a create that landed although its answer was lost (a timeout, then a
    retry) is not appended a second time."""
    log, other = open_events(state_settings), open_events(state_settings)
    assert log.append("alert", {"i": 0}) == 1 and log.append("alert", {"i": 1}, key="a_1.stream.0") == 2
    assert other.keyed("a_1.stream.0") == 2 and other.keyed("a_2.stream.0") is None
    log._next = 2  # its create of event 2 landed, the answer was lost, it tries again
    assert log.append("alert", {"i": 1}, key="a_1.stream.0") == 2 and [e.seq for e in other.tail(0)] == [1, 2]
    assert log.append("alert", {"i": 2}, key="a_2.stream.0") == 3 and other.keyed("a_2.stream.0") == 3
