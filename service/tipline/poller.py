"""Telegram long polling, run by the worker when `tipline.telegram.poll` is set (instead of the webhook: Telegram
refuses getUpdates while a webhook is registered).

The offset lives in the collectors' state DB (source `tipline:telegram`, shown by GET /sources) and moves past an
update only once the desk has handled it, so a restart neither loses an update nor sees it twice: an update handled
just before a crash comes back once and the desk recognises its message. A failing round is recorded as a source
failure and retried with back-off."""
from __future__ import annotations

import logging
import threading

from collectors.http import HttpClient
from collectors.state import StateStore
from collectors.tipline import poll_updates, telegram_tip
from core.redact import redact
from service.tipline.desk import TipDesk

log = logging.getLogger(__name__)
SOURCE = "tipline:telegram"


class TelegramPoller:
    def __init__(self, desk: TipDesk, state: StateStore, http: HttpClient | None = None):
        self.desk = desk
        self.state = state
        tg = desk.settings.telegram
        self.http = http or HttpClient(timeout=tg.poll_timeout + 15, host_delay=0.0, max_attempts=2)
        state.ensure(SOURCE, "tipline")

    def offset(self) -> int | None:
        cursor = self.state.cursor(SOURCE) or {}
        return cursor.get("offset")

    def round(self) -> int:
        """One getUpdates call and the handling of what it returned; returns how many updates were handled."""
        tg = self.desk.settings.telegram
        self.state.record_attempt(SOURCE)
        updates = poll_updates(self.http, tg.base_url, tg.token.get_secret_value(), self.offset(), tg.poll_timeout)
        for update in sorted(updates, key=lambda u: u["update_id"]):
            tip = telegram_tip(update)
            if tip is not None:
                self.desk.receive(tip)
            self.state.commit_batch(SOURCE, {"offset": update["update_id"] + 1}, 1 if tip else 0)
        self.state.record_success(SOURCE, 0)
        return len(updates)

    def run(self, stop: threading.Event, max_backoff: float = 300.0) -> None:
        failures = 0
        while not stop.is_set():
            try:
                self.round()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the poller must outlive a bad round
                failures += 1
                error = redact(f"{type(exc).__name__}: {exc}")
                self.state.record_failure(SOURCE, error, 3, 0)
                log.warning("tipline poll failed (%d in a row): %s", failures, error)
                stop.wait(min(max_backoff, 2.0 ** failures))


def start_poller(desk: TipDesk, data_dir, stop: threading.Event) -> threading.Thread | None:
    settings = desk.settings
    if not (settings.telegram_on and settings.telegram.poll):
        return None
    from pathlib import Path

    poller = TelegramPoller(desk, StateStore(Path(data_dir) / "collectors.db"))
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True, name="tipline-poll")
    thread.start()
    return thread
