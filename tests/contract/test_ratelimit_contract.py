"""The rate limit shared by API replicas (service/api/ratelimit.py), the same on SQLite and on the real
Elasticsearch node: two SharedLimit instances stand for two replicas; together they never allow more than the limit
in a window, and the limit fails open to the replica's own token bucket while the store is unavailable."""
from __future__ import annotations

import logging
import threading

import pytest

from service.api.ratelimit import SharedLimit
from service.store.base import StoreUnavailable


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def pair(settings, clock, chunk, burst=10, rate=1.0):
    return [SharedLimit.open(settings, "key", rate, burst, chunk=chunk, clock=clock) for _ in range(2)]


@pytest.mark.parametrize("chunk", [1, 3])
def test_the_limit_holds_across_replicas_and_threads(state_settings, chunk):
    clock = Clock()
    a, b = pair(state_settings, clock, chunk)
    results, barrier = [], threading.Barrier(4)

    def spend(limit):
        barrier.wait()
        results.extend(limit.take("k1") for _ in range(8))

    threads = [threading.Thread(target=spend, args=(lim,)) for lim in (a, b, a, b)]
    [t.start() for t in threads]
    [t.join(120) for t in threads]
    allowed = sum(r == 0 for r in results)
    # never more than the limit; fewer only by what a replica took and did not spend (chunk - 1 each)
    assert 10 - 2 * (chunk - 1) <= allowed <= 10 and len(results) == 32
    assert all(0 < r <= 10 for r in results if r)  # refused: told to wait for the end of the 10 s window
    assert a.take("k2") == 0 and b.wait("k1") > 0
    clock.t += 10  # the window ended: a new one for whoever asks first
    assert b.wait("k1") == 0 and b.take("k1") == 0 and a.take("k1") == 0


def test_the_last_request_of_a_window_is_known_on_the_replica_that_spent_it(state_settings):
    clock = Clock()
    a, b = pair(state_settings, clock, chunk=1, burst=2)
    assert a.take("addr") == 0 and a.wait("addr") == 0
    assert b.take("addr") == 0 and b.wait("addr") == pytest.approx(2.0)  # spent: refused without spending
    assert a.take("addr") == pytest.approx(2.0)  # a learns it from the store


def test_store_down_fails_open_to_the_replica_bucket(state_settings, caplog):
    clock = Clock()
    limit = SharedLimit.open(state_settings, "key", 1.0, 3, chunk=1, clock=clock)

    def down(*_a, **_k):
        raise StoreUnavailable("node unreachable")

    limit.docs.get = down
    with caplog.at_level(logging.WARNING, "service.api.ratelimit"):
        codes = [limit.take("k") for _ in range(4)]
    assert codes[:3] == [0, 0, 0] and codes[3] > 0  # still limited, by this replica alone
    assert "limiting per replica" in caplog.text
