"""Rate limits that hold across API replicas: counted in the store, so a key spread over N replicas behind a
round-robin proxy gets its limit once, not N times.

`SharedLimit` allows `burst` requests per key per window of `burst / rate` seconds (the same long-run rate as a token
bucket of that rate and burst). A window starts at a key's first request after the previous one ended. Its counter is
one document per key (`rate_limits/<scope>:<key>`): created with `create`, then raised with a version-checked `replace`
(service/store/documents.py `update`), so concurrent replicas never both spend the last request. To stay cheap, a
replica takes `chunk` requests at a time and spends them locally: the store is written once per `chunk` requests of a
key, and the requests a replica took but did not spend (at most chunk - 1 per replica) are refused to the others
until the window ends. The limit is never exceeded.

If the store cannot be written (unreachable, or contended past the retries), the limit fails open to this replica's
in-process token bucket with a warning, and the store is tried again `RETRY_AFTER` seconds later: an outage of the
store does not lock every client out, while each replica still limits on its own.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from service.store.base import StoreUnavailable
from service.store.documents import Conflict, Documents, open_documents, update

log = logging.getLogger(__name__)
KIND = "rate_limits"
FIELDS = {"expires_at": "double"}


class TokenBucket:
    """Per-key token buckets in this process: `burst` requests at once, refilled at `rate` per second."""

    MAX_KEYS = 100_000  # beyond this, full (idle) buckets are forgotten: many client addresses cannot grow memory

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = float(rate), float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def _wait(self, tokens: float) -> float:
        return (1 - tokens) / self.rate if self.rate > 0 else float("inf")

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token; 0.0 when allowed, else the seconds to wait for the next token."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._buckets) >= self.MAX_KEYS:
                self._buckets = {k: v for k, v in self._buckets.items() if self._tokens(k, now) < self.burst}
            tokens = self._tokens(key, now)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return self._wait(tokens)

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until `key` has a token again (0.0 = now), without spending one."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1 else self._wait(tokens)


class SharedLimit:
    """`burst` requests per `burst / rate` s window per key, shared through the store by every replica."""

    RETRY_AFTER = 5.0  # seconds on the local bucket after the store failed, before trying it again
    SWEEP_EVERY = 60.0  # seconds between removals of ended windows' documents (one page per sweep)
    MAX_KEYS = 100_000

    def __init__(self, docs: Documents, scope: str, rate: float, burst: int, chunk: int | None = None,
                 clock: Callable[[], float] = time.time):
        self.docs, self.scope, self.clock = docs, scope, clock
        self.limit = max(1, int(burst))
        self.window = self.limit / rate if rate > 0 else 365 * 86400.0
        self.chunk = max(1, min(self.limit, chunk if chunk is not None else self.limit // 20))
        self.fallback = TokenBucket(rate, burst)
        self._local: dict[str, tuple[float, int, bool]] = {}  # key -> (window end, taken unspent, window all taken)
        self._refused: dict[str, float] = {}  # key -> end of a window known to be spent
        self._claiming: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._swept = 0.0

    @classmethod
    def open(cls, settings, scope: str, rate: float, burst: int, **kw) -> "SharedLimit":
        # counters are read by id only (real-time on both backends): no write waits for a search refresh
        return cls(open_documents(settings, KIND, FIELDS, searchable=False), scope, rate, burst, **kw)

    def take(self, key: str) -> float:
        """Spend one request; 0.0 when allowed, else the seconds until the key's window ends."""
        now = self.clock()
        with self._lock:
            if (wait := self._spend_local(key, now)) is not None:
                return wait
            claiming = self._claiming.setdefault(key, threading.Lock())
        if time.monotonic() < self._down_until:
            return self.fallback.take(key)
        with claiming:  # one claim per key at a time in this replica: its other threads then spend what it took
            with self._lock:
                if (wait := self._spend_local(key, now)) is not None:
                    return wait
            try:
                granted, end, full = self._claim(key, now)
            except (StoreUnavailable, Conflict) as exc:
                self._down_until = time.monotonic() + self.RETRY_AFTER
                log.warning("rate limit %s: the store is unavailable (%s); limiting per replica for %.0f s",
                            self.scope, exc, self.RETRY_AFTER)
                return self.fallback.take(key)
            return self._took(key, now, granted, end, full)

    def _took(self, key: str, now: float, granted: int, end: float, full: bool) -> float:
        with self._lock:
            if max(len(self._local), len(self._claiming)) >= self.MAX_KEYS:
                self._local = {k: v for k, v in self._local.items() if v[0] > now}
                self._refused = {k: v for k, v in self._refused.items() if v > now}
                self._claiming = {k: v for k, v in self._claiming.items() if k in self._local}
            if not granted:
                self._refused[key] = end
                return max(end - now, 0.001)
            held_end, held, _ = self._local.get(key, (end, 0, False))
            self._local[key] = (end, (held if held_end == end else 0) + granted - 1, full)
            if full and self._local[key][1] == 0:
                self._refused[key] = end  # the last request of the window: the next is refused without asking
        self._sweep(now)
        return 0.0

    def wait(self, key: str) -> float:
        """Seconds until `key` may spend again (0.0 = now), without spending, from what this replica knows: a window
        spent on other replicas only is learnt at this replica's next `take`."""
        now = self.clock()
        with self._lock:
            end = self._refused.get(key, 0.0)
        if time.monotonic() < self._down_until:
            return self.fallback.wait(key)
        return end - now if end > now else 0.0

    def _spend_local(self, key: str, now: float) -> float | None:
        if (end := self._refused.get(key)) is not None:
            if end > now:
                return end - now
            del self._refused[key]
        end, held, full = self._local.get(key, (0.0, 0, False))
        if end > now and held > 0:
            self._local[key] = (end, held - 1, full)
            if full and held == 1:
                self._refused[key] = end
            return 0.0
        return None

    def _claim(self, key: str, now: float) -> tuple[int, float, bool]:
        """Take up to `chunk` requests of the key's current window from the store: (how many, window end, whether
        the window has none left now)."""
        got = [0, 0.0, True]

        def change(body: dict | None) -> dict | None:
            if body is None or float(body["expires_at"]) <= now:  # no window yet, or it ended: a new one from now
                body = {"key": key, "started_at": now, "expires_at": now + self.window, "granted": 0}
            left = self.limit - int(body["granted"])
            got[:] = [min(self.chunk, left), float(body["expires_at"]), left <= self.chunk]
            if got[0] <= 0:
                return None  # spent: nothing to write
            return {**body, "granted": int(body["granted"]) + got[0]}

        update(self.docs, f"{self.scope}:{key}", change)
        return int(got[0]), got[1], bool(got[2])

    def _sweep(self, now: float) -> None:
        """Delete counters of windows that ended a while ago (one page, at most once a minute per replica)."""
        if time.monotonic() - self._swept < self.SWEEP_EVERY:
            return
        self._swept = time.monotonic()
        try:
            for doc in self.docs.find({"expires_at": {"lt": now - self.SWEEP_EVERY}}, limit=500):
                try:
                    self.docs.delete(doc.id, doc.version)
                except Conflict:
                    pass  # a new window started meanwhile
        except StoreUnavailable:
            pass  # next time
