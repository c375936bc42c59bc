"""Announcing alerts and their workflow changes on the live stream (the event log) exactly once.

Why a protocol: the firing process may be SIGKILLed between storing an alert and appending its event, so neither
"append, then store" (an event for an alert never stored) nor "store, then append" (a stored alert never announced)
will do. An announcement is an outbox entry on the channel "stream" (not among an alert's deliveries):
1. created before the alert (or the change) and claimed by its writer under a lease (status "sending" until
   `next_try`), so no delivery loop touches it meanwhile;
2. the change stored, the entry's holder appends the event with the entry's id as key (`EventLog.append(key=...)`);
3. then marks the entry sent.
By kill point. Died before storing: the next firing of the alert's key completes it under its id and takes the entry
once the lease ended (`alert_stored`); a change's entry is announced by a delivery loop with the alert as it then is
(a state repeated, never a change lost); a refused change deletes its entry. Died before the append: after the lease
one delivery loop (every API replica and worker runs one) claims the entry by a version-checked replace, finds no
event of its key and appends it. Died after the append, before the mark: that loop finds the event by its key and
only marks the entry sent. A holder dying anywhere in that is the same case again. The one gap: a holder paused (not
killed) for longer than its lease between the key check and its append landing, as for a webhook's delivery."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from core.domain import Alert, utcnow
from service.alerts.records import OWNER, outbox_entry, time_id, ts
from service.store.documents import Conflict, Doc, Documents
from service.store.events import EventLog

log = logging.getLogger(__name__)

STREAM = "stream"  # the outbox channel of an announcement on the live stream (the event log)


def announcement_id(alert_id: str) -> str:
    """The id of an alert's own announcement entry (a change's adds a time id instead of 0)."""
    return f"{alert_id}.{STREAM}.0"


class Announcer:
    """`entries`: the alert outbox, written without waiting for a refresh (an entry is leased by its writer, not due
    before its lease ends, long after the next refresh); `current`: alerts as they read now (AlertStore.current)."""

    def __init__(self, entries: Documents, events: EventLog, lease_seconds: float,
                 current: Callable[[list[Alert]], list[Alert]]):
        self.entries, self.events, self.current = entries, events, current
        self.lease_seconds = lease_seconds  # how long a writer holds the announcement of its change

    def claim_alert(self, alert_id: str, payload: str) -> Doc | None:
        """Step 1 for a new alert: its entry, claimed by this writer. None: it exists, made by a writer that died
        before storing the alert (`alert_stored` takes it once the lease ended)."""
        try:
            return self._claimed(announcement_id(alert_id), alert_id, "alert", payload)
        except Conflict:
            return None

    def alert_stored(self, alert_id: str, stored: Alert | None, claim: Doc | None) -> None:
        """The alert is stored, by this writer or a racing one: whoever holds its entry announces `stored` (as it
        reads now, AlertStore.current)."""
        checked = claim is None  # an entry someone else held may have been announced already
        claim = claim or self._take(announcement_id(alert_id))
        if claim is not None and stored is not None:
            self._announce_held(stored, claim, checked)

    def announced(self, alert_id: str, event: str, change: Callable[[], Alert | None]) -> Alert | None:
        """`change()` of a stored alert (None: no such alert), announced as `event` like an alert's own announcement:
        its entry is created and claimed before the change and deleted when the change is refused. A writer killed
        between that entry and the change leaves a delivery loop to announce the alert as it then is: a state
        repeated on the stream, never a change lost."""
        if not alert_id:
            return None
        claim = self._claimed(f"{alert_id}.{STREAM}.{time_id()}", alert_id, event, "{}")
        try:
            alert = change()
        except Exception:
            self.entries.delete(claim.id)
            raise
        if alert is None:
            self.entries.delete(claim.id)
            return None
        [alert] = self.current([alert])
        self._announce_held(alert, claim, checked=False)
        return alert

    def announce(self, alert: Alert, key: str, until: float, checked: bool, event: str = "alert") -> int | None:
        """Step 2: append `event` with `alert` (as it reads now, AlertStore.current: every caller already has it so)
        to the event log under `key`, the id of the entry this process holds (leased until `until`); `checked`: look
        for an event of that key first (the firing writer skips it: nobody held the entry before it). Returns the
        event's sequence number (None: the lease ran out before the append; the next holder appends it)."""
        if checked and (seq := self.events.keyed(key)) is not None:
            return seq
        if time.time() >= until:
            return None
        return self.events.append(event, alert.model_dump(mode="json"), key=key)

    def _claimed(self, entry_id: str, alert_id: str, event: str, payload: str) -> Doc:
        """A new entry, claimed by this writer: delivery loops leave it alone until the lease ends."""
        return self.entries.create(entry_id, outbox_entry(alert_id, STREAM, 0, payload) | {
            "event": event, "status": "sending", "next_try": time.time() + self.lease_seconds, "claimed_by": OWNER})

    def _announce_held(self, alert: Alert, claim: Doc, checked: bool) -> None:
        """`announce` it, then mark its entry sent; a failure leaves the entry to a delivery loop (the change is
        stored: it must not fail for the live event)."""
        try:
            event = claim.body.get("event") or "alert"
            if self.announce(alert, claim.id, claim.body["next_try"], checked, event) is not None:
                self._mark_sent(claim)
        except Exception:  # noqa: BLE001
            log.exception("%s stored; its announcement is left to the delivery loop", claim.id)

    def _take(self, entry_id: str) -> Doc | None:
        """Claim an entry whose lease ended (its writer died), unless it is sent or held by a live lease."""
        doc = self.entries.get(entry_id)
        now = time.time()
        if doc is None or doc.body["status"] not in ("pending", "sending") or doc.body["next_try"] > now:
            return None
        try:
            return self.entries.replace(entry_id, doc.body | {"status": "sending", "claimed_by": OWNER,
                                                              "next_try": now + self.lease_seconds}, doc.version)
        except Conflict:
            return None

    def _mark_sent(self, claim: Doc) -> None:
        """Step 3."""
        now = ts(utcnow())
        try:
            self.entries.replace(claim.id, claim.body | {
                "status": "sent", "sent_at": now, "updated_at": now, "attempts": claim.body["attempts"] + 1,
                "claimed_by": None}, claim.version)
        except Conflict:  # our lease ran out and another process claimed it: it finds our event by its key
            log.warning("announcement %s was taken over before it was marked sent", claim.id)
