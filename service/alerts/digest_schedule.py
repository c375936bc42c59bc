"""The scheduled daily digest: once per local day, yesterday's digest of every campaign, by e-mail.

`DigestScheduler.tick()` is called often (the worker calls it from its spool-drain loop, every few seconds). From
``alerts.digest.hour`` on (local time in ``alerts.digest.tz``, WIB by default; yesterday is the local day before),
it renders yesterday's digest (dashboards/digest.py: HTML page + plain-text figures) for each campaign that has recipients and queues it in the alert store's durable outbox under the key
``digest:<campaign>:<YYYY-MM-DD>``. The key is the outbox row's primary key, so the digest of a campaign-day is
queued once, whatever the number of ticks, restarts or processes; the delivery loop (outbox.DeliveryWorker, channel
``digest``) sends it through the SMTP server of ``alerts.email[digest.email_target]`` with the usual retries.

Delivery is at-least-once only in one narrow window (SMTP accepted the message and the process died before the
attempt was recorded), as for alert e-mails. Days when the worker was down past midnight are not back-filled: a
digest of the day before yesterday is stale news.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from service.alerts.config import AlertSettings
from service.alerts.store import AlertStore
from core.domain import as_utc, utcnow
from core.periods import zone
from service.store.base import Store

log = logging.getLogger(__name__)

CHANNEL = "digest"


def digest_key(campaign: str, day: date) -> str:
    return f"digest:{campaign}:{day.isoformat()}"


class DigestScheduler:
    def __init__(self, store: Store, alerts: AlertStore, settings: AlertSettings, engine=None,
                 clock: Callable[[], datetime] = utcnow, wake: Callable[[], None] | None = None):
        self.store = store
        self.alerts = alerts
        self.settings = settings
        self.engine = engine  # the alert engine, for narrative clusters in the digest (optional)
        self.clock = clock
        self.wake = wake
        self._warned = False

    @classmethod
    def for_engine(cls, engine, clock: Callable[[], datetime] = utcnow) -> "DigestScheduler":
        return cls(engine.store, engine.alerts, engine.settings, engine=engine, clock=clock, wake=engine.worker.wake)

    @property
    def config(self):
        return self.settings.digest

    def due_day(self, now: datetime) -> date | None:
        """The local day whose digest is due at `now` (yesterday, from the configured local hour on), or None."""
        local = as_utc(now).astimezone(zone(self.config.tz))
        return local.date() - timedelta(days=1) if local.hour >= self.config.hour else None

    def recipients(self, campaign: str) -> list[str]:
        cfg = self.config
        to = list(dict.fromkeys([*cfg.to, *cfg.campaigns.get(campaign, [])]))
        if not to:  # fall back to the alert e-mail recipients of this campaign
            to = list(dict.fromkeys(a for t in self.settings.email if t.campaigns is None or campaign in t.campaigns
                                    for a in t.to))
        return to

    def tick(self, now: datetime | None = None) -> list[str]:
        """Queue the due digests not queued yet; returns their keys. Never raises (logs instead)."""
        cfg = self.config
        if not cfg.enabled:
            return []
        day = self.due_day(now or self.clock())
        if day is None:
            return []
        if cfg.email_target >= len(self.settings.email):
            if not self._warned:
                log.warning("daily digest enabled but alerts.email[%d] (its SMTP server) is not configured",
                            cfg.email_target)
                self._warned = True
            return []
        try:
            campaigns = self.store.list_campaigns()
        except Exception as exc:  # noqa: BLE001 - the store may be down; the next tick retries
            log.warning("daily digest: cannot list campaigns: %s", exc)
            return []
        queued = []
        for campaign in campaigns:
            key = digest_key(campaign.id, day)
            to = self.recipients(campaign.id)
            if not to or self.alerts.has_outbox(key):
                continue
            try:
                from dashboards.digest import digest_email

                mail = digest_email(self.store, campaign, day, cfg.lang, engine=self.engine, tz=cfg.tz)
            except Exception:  # noqa: BLE001 - one campaign's failure must not block the others; retried next tick
                log.exception("daily digest of %s for %s failed to render", campaign.id, day)
                continue
            payload = {"kind": "digest", "campaign": campaign.id, "day": day.isoformat(), "to": to,
                       "title": mail["subject"], **mail}
            if self.alerts.enqueue_once(key, CHANNEL, cfg.email_target, json.dumps(payload, ensure_ascii=False)):
                queued.append(key)
        if queued:
            log.info("queued %d daily digest(s) for %s", len(queued), day)
            if self.wake is not None:
                self.wake()
        return queued
