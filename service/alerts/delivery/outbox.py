"""The delivery loop: sends due outbox entries, records every attempt, retries with exponential backoff.

An alert's outbox entries are stored before the alert itself (service/alerts/store.py), so nothing is lost if a
channel (or this process) is down: pending entries are retried after a restart. Every API replica and worker runs
this loop on the shared outbox; each entry is claimed by one of them at a time. The loop runs in one daemon thread
and wakes immediately when the engine fires an alert.
"""
from __future__ import annotations

import json
import logging
import random
import time

from service.alerts.brief import render_text
from service.alerts.config import AlertSettings
from service.alerts.delivery.base import Outcome
from service.alerts.delivery.email import send_email
from service.alerts.delivery.telegram import send_telegram
from service.alerts.delivery.webhook import send_webhook
from service.alerts.announce import STREAM
from service.alerts.store import AlertStore
from core.egress import EgressGuard
from service.background import BackgroundLoop
from service.store.base import StoreUnavailable

log = logging.getLogger(__name__)


def channels_for(settings: AlertSettings, campaign: str) -> list[tuple[str, int]]:
    out = []
    for name, targets in (("webhook", settings.webhooks), ("telegram", settings.telegram), ("email", settings.email)):
        for i, t in enumerate(targets):
            if t.campaigns is None or campaign in t.campaigns:
                out.append((name, i))
    return out


class DeliveryWorker(BackgroundLoop):
    thread_name = "alert-delivery"

    def __init__(self, store: AlertStore, settings: AlertSettings):
        super().__init__()
        self.store = store
        self.settings = settings
        self._client = EgressGuard(settings.allow_private_targets).client()  # webhooks and Telegram, no redirects

    def backoff(self, attempts: int) -> float:
        s = self.settings
        delay = min(s.retry_base_seconds * (2 ** max(attempts - 1, 0)), s.retry_max_seconds)
        return delay * random.uniform(0.9, 1.1)

    def send(self, row: dict) -> Outcome:
        s = self.settings
        alert = json.loads(row["payload"])
        channel, i = row["channel"], row["target"]
        try:
            if channel == "webhook":
                t = s.webhooks[i]
                body = json.dumps({"event": "alert", "delivery_id": row["id"], "alert": alert},
                                  separators=(",", ":"), ensure_ascii=False).encode()
                return send_webhook(t.url, t.secret, body, row["id"], s.allow_private_targets, s.send_timeout,
                                    client=self._client)
            if channel == "telegram":
                t = s.telegram[i]
                return send_telegram(t.base_url, t.token, t.chat_id, render_text(alert), s.send_timeout,
                                     s.allow_private_targets, client=self._client)
            if channel == "email":
                t = s.email[i]
                return send_email(t.host, t.port, t.sender, t.to, f"[narrawatch] {alert['title']}",
                                  render_text(alert, max_examples=5), t.starttls, t.username, t.password,
                                  s.send_timeout, allow_private=s.allow_private_targets)
            if channel == STREAM:  # an announcement whose writer died (service/alerts/announce.py): the alert
                # as it is now, the state its `alert` event or the change's event would have shown, or a newer one
                stored = self.store.get_alert(row["alert_id"])
                if stored is None:  # its writer died before storing it: whoever completes it announces it
                    return Outcome(False, None, "alert not stored (yet)")
                seq = self.store.announcer.announce(stored, row["id"], row["next_try"], checked=True,
                                                    event=row["event"])
                return Outcome(seq is not None, None, None if seq is not None else "lease ran out before the append")
            if channel == "digest":  # a daily digest e-mail (service/alerts/digest_schedule.py); payload = message
                t = s.email[i]
                return send_email(t.host, t.port, t.sender, alert["to"], alert["subject"], alert["text"],
                                  t.starttls, t.username, t.password, s.send_timeout, html=alert["html"],
                                  allow_private=s.allow_private_targets)
        except IndexError:
            return Outcome(False, None, f"{channel} target {i} is no longer configured", retry=False)
        return Outcome(False, None, f"unknown channel {channel!r}", retry=False)

    def run_once(self, now: float | None = None) -> int:
        """Attempt every due entry once; returns how many were attempted."""
        rows = self.store.due(now, lease_seconds=self.settings.send_lease_seconds)
        for row in rows:
            t0 = time.perf_counter()
            try:
                outcome = self.send(row)
            except Exception as exc:  # noqa: BLE001 - a channel bug must not stop the loop
                log.exception("delivery %s crashed", row["id"])
                outcome = Outcome(False, None, f"{type(exc).__name__}: {exc}", retry=True)
            ms = (time.perf_counter() - t0) * 1000
            attempts = row["attempts"] + 1
            give_up = not outcome.ok and (not outcome.retry or attempts >= self.settings.max_attempts)
            next_try = None if outcome.ok else time.time() + self.backoff(attempts)
            self.store.record_attempt(row["id"], outcome.ok, outcome.status_code, outcome.error, ms, next_try,
                                      give_up)
            if not outcome.ok:
                log.warning("delivery %s via %s failed (attempt %d%s): %s", row["id"], row["channel"], attempts,
                            ", giving up" if give_up else "", outcome.error)
        return len(rows)

    def _loop(self) -> None:
        while not self.stopping:
            try:
                self.run_once()
                nxt = self.store.next_due()
            except StoreUnavailable as exc:  # an outage: the outbox is durable, retry on the next poll
                log.warning("delivery paused, store unavailable: %s", exc)
                nxt = None
            except Exception:  # noqa: BLE001
                log.exception("delivery loop error")
                nxt = None
            wait = self.settings.delivery_poll_seconds
            if nxt is not None:
                wait = max(0.0, min(wait, nxt - time.time()))
            self.sleep(wait)
