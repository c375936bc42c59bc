"""One way to run a background loop in a process: a daemon thread that sleeps between rounds, can be woken early
(new work just arrived) and stopped (shutdown). Used by the alert delivery loop and the live-event feed."""
from __future__ import annotations

import threading


class BackgroundLoop:
    thread_name = "background-loop"

    def __init__(self) -> None:
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        self._wake.set()

    def sleep(self, seconds: float) -> None:
        """Until `seconds` pass, wake() or stop()."""
        self._wake.wait(seconds)
        self._wake.clear()

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
