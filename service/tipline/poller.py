"""Telegram long polling, run by the worker when `tipline.telegram.poll` is set (instead of the webhook: Telegram
refuses getUpdates while a webhook is registered).

One worker polls at a time: it holds the lease `tipline:telegram` (service/store/leases.py; two concurrent
getUpdates would make Telegram answer 409), and each long poll is shorter than a third of the lease time. The offset
lives in the shared source state (service/store/sources.py, source `tipline:telegram` in GET /sources) and moves
past an update only once the desk has handled it, so a restart or a take-over neither loses an update nor answers it
twice: an update handled just before a crash comes back once and the desk recognises its message. A failing round
is recorded as a source failure and retried with back-off."""
from __future__ import annotations

import logging
import threading

from collectors.http import HttpClient
from collectors.tipline import poll_updates, telegram_tip
from core.redact import redact
from service.store.leases import Leases
from service.store.sources import SourceState
from service.tipline.desk import TipDesk

log = logging.getLogger(__name__)
SOURCE = "tipline:telegram"


class TelegramPoller:
    def __init__(self, desk: TipDesk, state: SourceState, leases: Leases, http: HttpClient | None = None):
        self.desk, self.state, self.leases = desk, state, leases
        self.lease = None
        tg = desk.settings.telegram
        self.timeout = max(0, min(tg.poll_timeout, int(leases.ttl / 3)))  # the lease outlives every long poll
        self.http = http or HttpClient(timeout=self.timeout + 15, host_delay=0.0, max_attempts=2)
        state.ensure(SOURCE, "tipline")

    def offset(self) -> int | None:
        return (self.state.cursor(SOURCE) or {}).get("offset")

    def round(self) -> int | None:
        """One getUpdates call and the handling of what it returned: how many updates, None when another worker
        holds the lease."""
        self.lease = self.leases.acquire(SOURCE)  # taken, or extended when already ours
        if self.lease is None:
            return None
        tg = self.desk.settings.telegram
        offset = (self.state.record_attempt(SOURCE, "tipline")["cursor"] or {}).get("offset")
        updates = poll_updates(self.http, tg.base_url, tg.token.get_secret_value(), offset, self.timeout)
        for update in sorted(updates, key=lambda u: u["update_id"]):
            tip = telegram_tip(update)
            if tip is not None:
                self.desk.receive(tip)
            self.state.commit_batch(SOURCE, {"offset": update["update_id"] + 1}, 1 if tip else 0)
        self.state.record_success(SOURCE, 0)
        return len(updates)

    def release(self) -> None:
        """A clean stop hands polling to another worker at once instead of after the lease time."""
        if self.lease is not None:
            self.leases.release(self.lease)
            self.lease = None

    def run(self, stop: threading.Event, max_backoff: float = 300.0) -> None:
        try:
            self._loop(stop, max_backoff)
        finally:
            self.release()
            self.http.close()

    def _loop(self, stop: threading.Event, max_backoff: float) -> None:
        failures = 0
        while not stop.is_set():
            try:
                if self.round() is None:
                    stop.wait(self.leases.ttl / 3)  # another worker polls; take over if its lease lapses
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the poller must outlive a bad round
                failures += 1
                error = redact(f"{type(exc).__name__}: {exc}")
                try:
                    self.state.record_failure(SOURCE, error, 3, 0)
                except Exception:  # noqa: BLE001 - the store itself may be what failed
                    pass
                log.warning("tipline poll failed (%d in a row): %s", failures, error)
                stop.wait(min(max_backoff, 2.0 ** failures))


def start_poller(desk: TipDesk, settings, leases: Leases, stop: threading.Event) -> threading.Thread | None:
    if not (desk.settings.telegram_on and desk.settings.telegram.poll):
        return None
    poller = TelegramPoller(desk, SourceState.open(settings, leases.owner), leases)
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True, name="tipline-poll")
    thread.start()
    return thread
