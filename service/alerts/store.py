"""Durable alert state: rules, alerts, de-duplication keys, audit trail, delivery outbox + attempts, as shared
documents (service/store/documents.py: SQLite state.db by default, Elasticsearch with NW_STORE=elasticsearch), so
every API replica and worker sees the same alerts. Coordination is by the store, never a process-local lock:
- a de-duplication key is claimed with `create` (one process wins), and it names the alert id, so an alert whose
  writer died half-way is completed under the same id by the next firing, never fired twice;
- outbox entries have ids derived from the alert, written before the alert, and are claimed for sending by a
  version-checked replace (`claimed_by`, lease until `next_try`): each is sent by one process at a time;
- an alert's announcement on the live stream (its `alert` event in the event log), and that of each workflow change,
  is such an entry too, on the channel "stream", appended exactly once whatever process dies when (announce.py).
The narrative ledger lives on the same store (service/narratives/ledger.py), reached as `AlertStore.ledger`."""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from service.alerts.announce import STREAM, Announcer, announcement_id
from service.alerts.records import OWNER, outbox_entry, parse_ts, time_id, ts
from service.alerts.rules import SEVERITIES, Rule
from service.alerts.titles import render_title
from core.domain import Alert, as_utc, utcnow
from core.redact import redact
from service.store.documents import MAX_LIMIT, Conflict, Documents, SQLiteDocuments, Where, open_documents, update
from service.store.events import FIELDS as EVENT_FIELDS, EventLog
from service.store.leases import FIELDS as LEASE_FIELDS, KIND as LEASE_KIND, Leases, new_owner_id
from service.narratives.ledger import NarrativeLedger

KINDS: dict[str, tuple[dict[str, str], bool]] = {  # kind: (declared fields, writes wait until searchable)
    "rules": ({"campaign": "keyword"}, True),
    "alerts": ({"campaign": "keyword", "rule": "keyword", "severity": "keyword", "status": "keyword",
                "created_at": "date", "incident": "keyword"}, True),
    "dedup": ({}, False),  # read by id only
    "audit": ({"alert_id": "keyword", "rule_id": "keyword", "at": "date"}, True),
    "outbox": ({"alert_id": "keyword", "status": "keyword", "next_try": "double", "created_at": "date"}, True),
    "attempts": ({"outbox_id": "keyword", "at": "date"}, True),
}
OUTBOX_COLUMNS = ("id", "alert_id", "channel", "target", "status", "attempts", "next_try", "last_error",
                  "created_at", "sent_at")
SEND_LEASE = 120.0  # seconds an outbox entry stays claimed (AlertSettings.send_lease_seconds by default)


UNRESOLVED = ("open", "acknowledged", "assigned")
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")  # the desk's queue: most severe first
MAX_ENTRIES = 500  # notes, and counter-messages recorded, per alert
COUNTED_TITLES = ("keyword", "hoax.claim", "hoax.suspected")  # titles whose {count} is the alert's posts


class Stale(Exception):
    """An action on an alert that changed since the caller last saw it (resolved, or not in the expected status)."""

    def __init__(self, alert: Alert, last: dict | None):
        self.alert, self.last = alert, last
        super().__init__(f"alert {alert.id!r} is {alert.status}")


class AlertStore:
    """`AlertStore(path)`: everything in one SQLite file (tests, tools); `AlertStore.open(settings)`: the shared
    documents of the configured store. `path` is also where a pre-store narrative ledger is migrated from."""

    def __init__(self, path: Path | str, documents: Callable[..., Documents] | None = None,
                 events: EventLog | None = None, leases: Leases | None = None, lease_seconds: float = SEND_LEASE):
        self.path = Path(path)
        open_kind = documents or (lambda kind, fields, searchable=True: SQLiteDocuments(self.path, kind, fields))
        self.rules, self.alerts, self.dedup, self.audit_log, self.deliveries, self.attempt_log = (
            open_kind(f"alert_{kind}", fields, searchable=searchable) for kind, (fields, searchable) in KINDS.items())
        self.events = events or EventLog(open_kind("events", EVENT_FIELDS, searchable=False))
        self.announcer = Announcer(open_kind("alert_outbox", KINDS["outbox"][0], searchable=False), self.events,
                                   lease_seconds, self.current)
        leases = leases or Leases(open_kind(LEASE_KIND, LEASE_FIELDS, searchable=False), new_owner_id(), 30.0)
        self.ledger = NarrativeLedger(open_kind, leases, legacy=self.path)

    @classmethod
    def open(cls, settings, lease_seconds: float = SEND_LEASE) -> "AlertStore":
        from service.store.events import open_events

        return cls(Path(settings.data_dir) / "alerts.db",
                   lambda kind, fields, searchable=True: open_documents(settings, kind, fields, searchable=searchable),
                   open_events(settings), Leases.open(settings), lease_seconds)

    def close(self) -> None:
        """Nothing to release: the store's connections are shared per process (documents.py)."""

    # -- rules --
    def put_rule(self, rule: Rule, actor: str = "system", action: str = "rule.put") -> Rule:
        self.rules.put(rule.id, rule.model_dump(mode="json"))
        self._audit(None, actor, action, {"rule": rule.model_dump(mode="json")}, rule_id=rule.id)
        return rule

    def get_rule(self, rule_id: str) -> Rule | None:
        doc = self.rules.get(rule_id) if rule_id else None
        return Rule.model_validate(doc.body) if doc else None

    def list_rules(self, campaign: str | None = None) -> list[Rule]:
        rules = [Rule.model_validate(d.body) for d in self.rules.scan(sort=[("id", "asc")])]
        return [r for r in rules if campaign is None or r.campaign in (None, campaign)]

    def delete_rule(self, rule_id: str, actor: str = "system") -> bool:
        gone = bool(rule_id) and self.rules.delete(rule_id)
        if gone:
            self._audit(None, actor, "rule.delete", {}, rule_id=rule_id)
        return gone

    # -- alerts --
    def fire(self, alert: Alert, cooldown: timedelta, event_time: datetime, channels: list[tuple[str, int]],
             max_post_ids: int = 200) -> tuple[Alert, bool]:
        """Store the alert and its outbox entries, unless its dedup key already fired, and announce a created alert
        on the live stream (announce.py). Returns (alert, created).

        An unresolved alert with the same key absorbs the new evidence (post ids, figures) without notifying.
        A resolved one is re-opened as a new alert only after the cooldown (event time) has passed.
        """
        key_id = hashlib.sha1(alert.dedup_key.encode()).hexdigest()
        if alert.incident and self.dedup.get(key_id) is None:
            # another wording of the narrative (a new dedup subject, e.g. a post matching no debunk where the open
            # alert's posts matched one) joins the incident's open alert of the same rule instead of a new alert;
            # the incident is the narrative's as the ledger reads now: its survivor's, with those merged into it
            incidents = self._incident_family(alert.incident)
            alert = alert.model_copy(update={"incident": incidents[0]})
            joined = self.alerts.find({"rule": alert.rule, "campaign": alert.campaign, "incident": {"in": incidents},
                                       "status": {"in": list(UNRESOLVED)}}, sort=[("created_at", "asc")], limit=1)
            if joined:
                merged = self._absorb(joined[0].id, alert, max_post_ids)
                if merged is not None and merged.status != "resolved":
                    return merged, False
        claim_body = {"key": alert.dedup_key, "alert_id": alert.id, "fired_at": ts(event_time), "suppressed": 0}
        for _ in range(50):
            claim = self.dedup.get(key_id)
            if claim is None:
                try:
                    self.dedup.create(key_id, claim_body)
                except Conflict:
                    continue  # another process claimed it first: absorb into theirs
                return self._materialise(alert, channels, max_post_ids)
            prev = self.get_alert(claim.body["alert_id"])
            if prev is None:  # claimed, not written yet: its writer is in flight or died; complete it (same id)
                return self._materialise(alert.model_copy(update={"id": claim.body["alert_id"]}), channels,
                                         max_post_ids)
            within = as_utc(event_time) - parse_ts(claim.body["fired_at"]) < cooldown
            if prev.status != "resolved" or within:
                merged = self._absorb(prev.id, alert, max_post_ids)
                update(self.dedup, key_id, lambda body: body | {"suppressed": body["suppressed"] + 1} if body else None)
                return merged or prev, False
            try:  # resolved and cooled down: the key now names a new alert
                self.dedup.replace(key_id, claim_body, claim.version)
            except Conflict:
                continue
            return self._materialise(alert, channels, max_post_ids)
        raise Conflict(f"dedup key {alert.dedup_key!r} still contended")

    def _incident_family(self, incident: str) -> list[str]:
        """A narrative's incident as it reads now (a merged-away narrative's reads as its survivor's), first, then
        those of the narratives merged into it, whose open alerts are that incident too."""
        prefix, nid = _split_incident(incident)
        if nid is None or (survivor := self.ledger.narrative(nid)) is None:
            return [incident]
        return [f"{prefix}{i}" for i in dict.fromkeys([survivor["id"], *(survivor.get("merged") or [])])]

    def current(self, alerts: list[Alert]) -> list[Alert]:
        """The alerts with their `incident` as it reads now: one about a narrative since merged into another (by
        an analyst or by the clusterer, service/narratives/) is in the survivor's incident, so a merged
        narrative's alerts are one card. Resolved on every read through the ledger, never stored: nothing to
        re-point when the merge commits, so a merge by any process shows at once and a writer dying half-way
        leaves nothing split."""
        nids = {nid for a in alerts if a.incident for nid in [_split_incident(a.incident)[1]] if nid}
        moved = self.ledger.survivors(nids) if nids else {}
        if not moved:
            return alerts
        out = []
        for a in alerts:
            prefix, nid = _split_incident(a.incident) if a.incident else ("", None)
            out.append(a.model_copy(update={"incident": f"{prefix}{moved[nid]}"}) if nid in moved else a)
        return out

    def _materialise(self, alert: Alert, channels: list[tuple[str, int]], max_post_ids: int) -> tuple[Alert, bool]:
        """Outbox entries first (ids derived from the alert, so a second writer adds none), the announcement's
        claimed by its writer; then the alert; then the announcement by whoever holds it; then the audit record."""
        payload = alert.model_dump_json()
        claim = self.announcer.claim_alert(alert.id, payload)
        for channel, target in channels:
            try:
                self.deliveries.create(f"{alert.id}.{channel}.{target}", outbox_entry(alert.id, channel, target,
                                                                                      payload))
            except Conflict:
                pass
        try:
            self.alerts.create(alert.id, alert.model_dump(mode="json"))
        except Conflict:  # completed by another process meanwhile: add our evidence to it (read as it is now)
            stored = self._absorb(alert.id, alert, max_post_ids)
            self.announcer.alert_stored(alert.id, stored, claim)
            return stored or alert, False
        [alert] = self.current([alert])  # about a narrative merged meanwhile: in its survivor's incident
        self.announcer.alert_stored(alert.id, alert, claim)
        self._audit(alert.id, "system", "alert.fired", {"rule": alert.rule, "severity": alert.severity})
        return alert, True

    def _absorb(self, alert_id: str, new: Alert, max_post_ids: int) -> Alert | None:
        def merge(body: dict | None) -> dict | None:
            if body is None:
                return None
            prev = Alert.model_validate(body)
            return absorbed(prev, new, max_post_ids).model_dump(mode="json")

        doc = update(self.alerts, alert_id, merge)
        return self.current([Alert.model_validate(doc.body)])[0] if doc else None

    def get_alert(self, alert_id: str) -> Alert | None:
        doc = self.alerts.get(alert_id) if alert_id else None
        return self.current([Alert.model_validate(doc.body)])[0] if doc else None

    def list_alerts(self, status: str | None = None, campaign: str | None = None, severity: str | None = None,
                    limit: int = 100, offset: int = 0, campaigns: list[str] | None = None, rule: str | None = None,
                    sort: str = "newest") -> list[Alert]:
        """Newest first, or with sort="severity" most severe first and newest first within a severity. `status`
        "active": not resolved. `campaigns`: any of these ([] = none; None = all)."""
        where: Where = {k: v for k, v in (("status", status), ("campaign", campaign), ("severity", severity),
                                          ("rule", rule)) if v is not None}
        if status == "active":
            where["status"] = {"in": list(UNRESOLVED)}
        if campaigns is not None:
            where["campaign"] = {"in": campaigns} if campaign is None else campaign
            if not campaigns:
                return []
        order = [("created_at", "desc")]
        if sort != "severity" or severity is not None:
            return self.current([Alert.model_validate(d.body) for d in _page(self.alerts, where, order, offset, limit)])
        out: list[Alert] = []  # one severity after the other: counts skip whole severities, then one page each
        for level in SEVERITY_ORDER:
            if len(out) >= limit:
                break
            scoped = where | {"severity": level}
            if offset:
                n = self.alerts.count(scoped)
                if n <= offset:
                    offset -= n
                    continue
            out += [Alert.model_validate(d.body) for d in _page(self.alerts, scoped, order, offset, limit - len(out))]
            offset = 0
        return self.current(out)

    def count_alerts(self) -> int:
        return self.alerts.count()

    def alert_counts(self, campaigns: list[str], since: datetime, until: datetime) -> dict[str, dict[str, int]]:
        """Per campaign: alerts still open (not resolved), of those the critical ones, and alerts raised in
        [since, until)."""
        out = {}
        unresolved = {"in": ["open", "acknowledged", "assigned"]}
        for c in campaigns:
            if not self.alerts.count({"campaign": c}):
                continue  # like a GROUP BY: campaigns without alerts are absent
            out[c] = {"open": self.alerts.count({"campaign": c, "status": unresolved}),
                      "critical": self.alerts.count({"campaign": c, "status": unresolved, "severity": "critical"}),
                      "new": self.alerts.count({"campaign": c, "created_at": {"gte": since, "lt": until}})}
        return out

    def transition(self, alert_id: str, actor: str, action: str, status: str | None = None,
                   assignee: str | None = None, note: str | None = None,
                   expected: tuple[str, ...] | None = None) -> Alert | None:
        """Change status/assignee. Stale when the alert is resolved (unless resolving again) or, with `expected`,
        no longer in one of those statuses: checked inside the version-checked update, so two officers acting at
        once cannot both win against a state they did not see. Announced live as `alert.assigned` (action
        "assign") or `alert.status`."""
        return self.announcer.announced(alert_id, "alert.assigned" if action == "assign" else "alert.status",
                               lambda: self._transition(alert_id, actor, action, status, assignee, note, expected))

    def _transition(self, alert_id: str, actor: str, action: str, status: str | None, assignee: str | None,
                    note: str | None, expected: tuple[str, ...] | None) -> Alert | None:
        before: list[str] = []

        def change(body: dict | None) -> dict | None:
            if body is None:
                return None
            current = body["status"]
            if (current == "resolved" and action != "resolve") or (expected and current not in expected):
                raise Stale(Alert.model_validate(body), None)
            before[:] = [body["status"]]
            changes: dict[str, Any] = {"updated_at": utcnow()}
            if status is not None:
                changes["status"] = status
            if assignee is not None:
                changes["assignee"] = assignee
            return Alert.model_validate(body).model_copy(update=changes).model_dump(mode="json")

        try:
            doc = update(self.alerts, alert_id, change)
        except Stale as exc:
            raise Stale(exc.alert, self.last_action(alert_id)) from None
        if doc is None:
            return None
        new = Alert.model_validate(doc.body)
        self._audit(alert_id, actor, action, {"from": before[0], "to": new.status, "assignee": new.assignee,
                                              "note": note})
        return new

    def last_action(self, alert_id: str) -> dict | None:
        """The newest entry of an alert's trail that changed its status or assignee (who, when, what)."""
        trail = [e for e in self.audit_trail(alert_id) if e["action"] in ("ack", "assign", "resolve")]
        return trail[-1] if trail else None

    def _append(self, alert_id: str, field: str, entry: dict) -> Alert | None:
        def add(body: dict | None) -> dict | None:
            if body is None:
                return None
            if len(body.get(field) or []) >= MAX_ENTRIES:
                raise ValueError(f"an alert holds at most {MAX_ENTRIES} {field}")
            return body | {field: [*(body.get(field) or []), entry], "updated_at": ts(utcnow())}

        doc = update(self.alerts, alert_id, add)
        return Alert.model_validate(doc.body) if doc else None

    def add_note(self, alert_id: str, actor: str, text: str) -> Alert | None:
        """An officer's note on an alert (kept on the alert, in its trail as `note`; announced as `alert.note`)."""
        note = {"id": uuid.uuid4().hex[:12], "at": ts(utcnow()), "author": actor, "text": text}

        def add() -> Alert | None:
            alert = self._append(alert_id, "notes", note)
            if alert is not None:
                self._audit(alert_id, actor, "note", {"note_id": note["id"], "text": text})
            return alert

        return self.announcer.announced(alert_id, "alert.note", add)

    def add_response(self, alert_id: str, actor: str, text: str, channel: str, url: str | None,
                     sent_at: datetime) -> Alert | None:
        """The counter-message actually sent for an alert (kept on the alert, in its trail as `response`; announced
        as `alert.response`)."""
        entry = {"id": uuid.uuid4().hex[:12], "sent_at": ts(sent_at), "recorded_at": ts(utcnow()), "by": actor,
                 "text": text, "channel": channel, "url": url}

        def add() -> Alert | None:
            alert = self._append(alert_id, "responses", entry)
            if alert is not None:
                self._audit(alert_id, actor, "response", {k: v for k, v in entry.items() if k != "recorded_at"})
            return alert

        return self.announcer.announced(alert_id, "alert.response", add)

    def _audit(self, alert_id: str | None, actor: str, action: str, detail: dict, rule_id: str | None = None) -> None:
        self.audit_log.create(time_id(), {"alert_id": alert_id, "rule_id": rule_id, "at": ts(utcnow()), "actor": actor,
                                       "action": action, "detail": json.loads(json.dumps(detail, default=str))})

    def audit(self, alert_id: str, actor: str, action: str, detail: dict) -> None:
        """An entry in an alert's trail for an action taken outside its workflow (e.g. answering tip senders)."""
        self._audit(alert_id, actor, action, detail)

    def audit_trail(self, alert_id: str | None = None, rule_id: str | None = None) -> list[dict]:
        where = {"alert_id": alert_id} if alert_id is not None else {"rule_id": rule_id}
        return [{k: d.body[k] for k in ("at", "actor", "action", "detail")}
                for d in self.audit_log.scan(where, sort=[("at", "asc")])]

    # -- outbox --
    def due(self, now: float | None = None, limit: int = 50, lease_seconds: float = 120.0) -> list[dict]:
        """Claim due entries for one sender: they become 'sending' until now + lease_seconds.

        Every API replica and worker runs a delivery loop on the same outbox; the claim is a version-checked
        replace, so an entry is sent by one of them at a time. An entry whose sender died mid-send is claimable
        again once its lease ends.
        """
        now = time.time() if now is None else now
        claimed = []
        for doc in self.deliveries.find({"status": {"in": ["pending", "sending"]}, "next_try": {"lte": now}},
                                        sort=[("next_try", "asc")], limit=limit):
            body = doc.body | {"status": "sending", "next_try": now + lease_seconds, "claimed_by": OWNER}
            try:
                self.deliveries.replace(doc.id, body, doc.version)
            except Conflict:
                continue  # claimed (or finished) by another process since the search
            claimed.append({"id": doc.id, "event": body.get("event") or "alert",
                            **{k: body[k] for k in ("alert_id", "channel", "target", "payload", "attempts",
                                                    "next_try")}})
        return sorted(claimed, key=lambda r: r["id"])

    def next_due(self) -> float | None:
        found = self.deliveries.find({"status": {"in": ["pending", "sending"]}}, sort=[("next_try", "asc")], limit=1)
        return found[0].body["next_try"] if found else None

    def record_attempt(self, outbox_id: str, ok: bool, status_code: int | None, error: str | None,
                       duration_ms: float, next_try: float | None, give_up: bool = False) -> None:
        error = redact(error) if error else error  # a channel error may quote its URL (Telegram bot token)
        now = ts(utcnow())
        self.attempt_log.create(time_id(), {"outbox_id": outbox_id, "at": now, "ok": int(ok),
                                             "status_code": status_code, "error": error, "duration_ms": duration_ms})

        def outcome(body: dict | None) -> dict | None:
            if body is None:
                return None
            body |= {"attempts": body["attempts"] + 1, "updated_at": now, "claimed_by": None}
            if ok:
                return body | {"status": "sent", "sent_at": now, "last_error": None}
            return body | {"status": "failed" if give_up else "pending", "next_try": next_try or time.time(),
                           "last_error": error}

        update(self.deliveries, outbox_id, outcome)

    def outbox(self, alert_id: str | None = None, status: str | None = None) -> list[dict]:
        """Deliveries to the configured channels (an alert's live-stream announcement: `announcement`)."""
        where = {k: v for k, v in (("alert_id", alert_id), ("status", status)) if v}
        return [{"id": d.id, **{k: d.body.get(k) for k in OUTBOX_COLUMNS[1:]}}
                for d in self.deliveries.scan(where, sort=[("created_at", "asc")]) if d.body["channel"] != STREAM]

    def announcement(self, alert_id: str) -> dict | None:
        """The outbox entry of an alert's live-stream announcement (not among `outbox()`, the channels' deliveries)."""
        doc = self.announcer.entries.get(announcement_id(alert_id))
        return {"id": doc.id, **{k: doc.body.get(k) for k in OUTBOX_COLUMNS[1:]}} if doc else None

    def attempts(self, outbox_id: str) -> list[dict]:
        return [{k: d.body[k] for k in ("at", "ok", "status_code", "error", "duration_ms")}
                for d in self.attempt_log.scan({"outbox_id": outbox_id}, sort=[("at", "asc")])]

    def enqueue_once(self, key: str, channel: str, target: int, payload: str) -> bool:
        """Durably queue one delivery not tied to an alert (e.g. a daily digest), at most once per `key`.

        The key is the outbox entry's id (and its alert_id, so `outbox(key)` finds it); a second call with the same
        key, from this or another process, after any restart, is a no-op. Returns True when this call queued it.
        """
        try:
            self.deliveries.create(key, outbox_entry(key, channel, target, payload))
        except Conflict:
            return False
        return True

    def has_outbox(self, key: str) -> bool:
        return self.deliveries.get(key) is not None

    def retry_now(self, outbox_id: str) -> bool:
        return update(self.deliveries, outbox_id,
                      lambda body: body | {"status": "pending", "next_try": time.time()} if body else None) is not None


def _split_incident(incident: str) -> tuple[str, str | None]:
    """("<campaign>|narrative:", narrative id) of a narrative's incident (service/alerts/engine.py); (it, None)
    for another."""
    prefix, sep, nid = incident.partition("|narrative:")
    return (prefix + sep, nid) if sep and nid else (incident, None)


def absorbed(prev: Alert, new: Alert, max_post_ids: int = 200) -> Alert:
    """`prev` with the evidence of a later firing `new`: its posts, counts and title kept current ("matched 2
    post(s)" after a second post), the most severe of the two severities, the incident once known."""
    seen = set(prev.post_ids)
    fresh = [p for p in new.post_ids if p not in seen]
    why = dict(prev.why)
    why["repeats"] = int(why.get("repeats", 0)) + 1
    why["latest"] = new.why.get("figures", {})
    params = dict(prev.title_params)
    figures = dict(why.get("figures") or {})
    if prev.title_key in COUNTED_TITLES:
        count = int(params.get("count", len(prev.post_ids))) + len(fresh)
        params["count"] = count
        for k in ("matched_posts", "hoax_posts"):
            if k in figures:
                figures[k] = count
    elif prev.title_key == new.title_key and int(new.title_params.get("accounts", 0) or 0) >= int(
            params.get("accounts", 0) or 0):
        params = dict(new.title_params)  # a burst seen again (as wide or wider), a spike's latest figures
        figures = dict(new.why.get("figures") or figures)
    why["figures"] = figures
    severity = max(prev.severity, new.severity, key=SEVERITIES.index)
    return prev.model_copy(update={
        "post_ids": list(dict.fromkeys(prev.post_ids + fresh))[:max_post_ids], "why": why, "updated_at": utcnow(),
        "title_params": params, "title": render_title(prev.title_key, params, fallback=prev.title),
        "severity": severity, "incident": prev.incident or new.incident})


def _page(docs: Documents, where: Where, sort: list[tuple[str, str]], offset: int, limit: int) -> list:
    """`limit` documents after skipping `offset`, past the one-request window by keyset pages."""
    if offset + limit <= MAX_LIMIT:
        return docs.find(where, sort, offset + limit)[offset:]
    out, after, seen = [], None, 0
    while len(out) < limit and (batch := docs.find(where, sort, MAX_LIMIT, after)):
        out += batch[max(0, offset - seen):]
        seen += len(batch)
        after = batch[-1]
    return out[:limit]
