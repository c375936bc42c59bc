"""How several workers split the configured sources: each source is run by the one worker holding its lease.

Every worker keeps a lease on itself ("worker:<id>", group "workers") and on its sources ("source:<name>", group
"sources"), renewed by a background thread every third of the lease time, so a long batch never loses them. The
same thread balances the work (Kibana task-manager style, no coordinator): with W live workers and S sources a worker
aims at ceil(S / W) sources; it takes free ones (never held, released, or expired because their worker died) and
gives back extras it is not running when a new worker joins. A killed worker's leases expire after the lease time,
and the others take its sources over on their next balancing tick, resuming from the saved cursors.

`leases` is service/store/leases.py's Leases (duck-typed: collectors import nothing from the service stage).
"""
from __future__ import annotations

import hashlib
import logging
import math
import threading

log = logging.getLogger("collectors.sharing")

WORKERS, SOURCES = "workers", "sources"


class Share:
    def __init__(self, leases, names: list[str], everything: bool = False, workers=None):
        self.leases = leases
        self.workers = workers or leases  # where workers announce themselves: listed with holders(), so searchable
        self.names = list(names)
        self.everything = everything  # a one-shot run takes every free source, whatever its fair share
        self.held: dict[str, object] = {}  # source name -> Lease
        self.running: str | None = None
        self._me = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # each worker walks the free sources in its own order, so workers starting together rarely collide
        owner = leases.owner
        self._order = sorted(self.names, key=lambda n: hashlib.sha1(f"{owner}/{n}".encode()).hexdigest())

    @property
    def interval(self) -> float:
        return self.leases.ttl / 3

    def start(self) -> "Share":
        try:
            self.tick()
        except Exception as exc:  # noqa: BLE001 - store down at start: the renewal thread keeps trying
            log.warning("could not take sources yet: %s", exc)
        self._thread = threading.Thread(target=self._keep, daemon=True, name="leases")
        self._thread.start()
        return self

    def stop(self) -> None:
        """A clean stop gives every lease back at once: the other workers need not wait for expiry."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.leases.ttl)
        with self._lock:
            for store, lease in [*((self.leases, held) for held in self.held.values()), (self.workers, self._me)]:
                if lease is not None:
                    try:
                        store.release(lease)
                    except Exception:  # noqa: BLE001 - the lease then simply expires
                        log.warning("could not release %s", lease.name)
            self.held.clear()

    def _keep(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - store briefly down: held leases expire locally meanwhile
                log.warning("lease renewal failed: %s", exc)

    def tick(self) -> None:
        """Renew what we hold, then balance: give back extras, take free sources up to our share."""
        with self._lock:
            self._me = (self.workers.renew(self._me) if self._me else None) or \
                self.workers.acquire(f"worker:{self.leases.owner}", WORKERS)
            for name, lease in list(self.held.items()):
                renewed = self.leases.renew(lease)
                if renewed is None:
                    log.warning("lost the lease on %s: another worker has it now", name)
                    del self.held[name]
                else:
                    self.held[name] = renewed
            target = len(self.names) if self.everything else self._share()
            for name in sorted(self.held, reverse=True):
                if len(self.held) <= target:
                    break
                if name != self.running and self.leases.release(self.held.pop(name)):
                    log.info("gave %s back for a new worker", name)
        for name in self._order:  # acquiring outside the lock: the scheduler may start a pass meanwhile
            if len(self.held) >= target or self._stop.is_set():
                break
            if name not in self.held and (lease := self.leases.acquire(f"source:{name}", SOURCES)):
                with self._lock:
                    self.held[name] = lease
                log.info("took source %s", name)

    def _share(self) -> int:
        workers = set(self.workers.holders(WORKERS).values()) | {self.leases.owner}
        return math.ceil(len(self.names) / len(workers))

    def begin(self, name: str) -> bool:
        """The scheduler may run `name` now: we hold its lease and it has not expired (also when renewals failed)."""
        with self._lock:
            lease = self.held.get(name)
            if lease is None or lease.expires_at <= self.leases.clock():
                return False
            self.running = name
            return True

    def holds(self, name: str) -> bool:
        with self._lock:
            lease = self.held.get(name)
            return lease is not None and lease.expires_at > self.leases.clock()

    def end(self) -> None:
        with self._lock:
            self.running = None
