"""A store that is down when a process starts only delays storage: `store.init()` is retried until it succeeds.

The API and the worker retry in a background thread with exponential back-off; the pipeline also tries once before
each write (lazily), so a short-lived `narrawatch ingest` spools instead of crashing, and /health reports the state.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from service.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)


class StoreStartup:
    def __init__(self, store: Store, on_ready: Callable[[], object] = lambda: None,
                 backoff: tuple[float, float] = (1.0, 60.0)):
        self.store = store
        self.on_ready = on_ready  # e.g. seed campaigns from the config file; re-run if it fails half-way
        self.backoff = backoff
        self.ready = threading.Event()
        self.error: str | None = None  # why the last attempt failed
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def ensure(self) -> None:
        """Initialise the store once; raises StoreUnavailable while it cannot be reached."""
        if self.ready.is_set():
            return
        with self._lock:
            if self.ready.is_set():
                return
            try:
                self.store.init()
                self.on_ready()
            except StoreUnavailable as exc:
                self.error = str(exc)
                raise
            self.error = None
            self.ready.set()

    def try_now(self) -> bool:
        try:
            self.ensure()
        except StoreUnavailable:
            return False
        return True

    def retry_in_background(self) -> threading.Thread | None:
        """Keep trying with back-off (1 s doubling to 60 s by default) until ready or stop()."""
        if self.ready.is_set():
            return None

        def loop() -> None:
            delay = self.backoff[0]
            while not self._stop.is_set() and not self.try_now():
                log.warning("store unreachable, next init attempt in %.0f s: %s", delay, self.error)
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self.backoff[1])
            if self.ready.is_set():
                log.warning("store reachable again: initialised")

        thread = threading.Thread(target=loop, daemon=True, name="store-init")
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
