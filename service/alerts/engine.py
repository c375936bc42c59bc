"""The alert engine: called by the pipeline after each stored batch.

For each batch: assign posts to narratives (ledger), match keyword rules (in-process automaton), evaluate threshold
rules (volume spike, negative share, hoax match, coordinated burst) for the touched campaigns and narratives, and
fire de-duplicated alerts (with why + counter-narrative brief) into the alert store, whose outbox the delivery
worker drains. Time is event time (post.created_at), so replayed streams behave like live ones.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from service.alerts.brief import build_brief, evidence_summary, post_card
from service.alerts.config import AlertSettings
from service.alerts.delivery.outbox import DeliveryWorker, channels_for
from service.alerts.delivery.sse import EventFeed
from service.alerts.matcher import RuleMatcher
from service.alerts.rules import Rule, bump
from service.alerts.store import AlertStore
from service.alerts.titles import num, render_title
from core.domain import Alert, Campaign, Post
from service.narratives import coordination, spikes
from service.narratives.clusters import Assignment, NarrativeClusterer
from service.store.base import PostQuery, Store

log = logging.getLogger(__name__)
# a rule created, changed or deleted through one API replica reaches the other processes' engines (workers, replicas,
# `narrawatch ingest`) within this many seconds: each reloads the stored rules before a batch once they are older
RULES_REFRESH_SECONDS = 15.0


@dataclass
class Candidate:
    rule: Rule
    campaign: str
    subject: str
    title_key: str  # service/alerts/titles.py; rendered in English into Alert.title
    title_params: dict
    figures: dict
    posts: list[Post] = field(default_factory=list)
    evidence: list[dict] | None = None
    narrative_id: str | None = None
    severity: str | None = None
    event_time: datetime | None = None


def _incident(c: Candidate) -> str | None:
    """Alerts about one narrative, whichever rule raised them (a coordinated burst, a hoax spreading, a keyword),
    are one incident, shown as one card."""
    nid = c.narrative_id
    return f"{c.campaign}|narrative:{nid}" if nid and nid != "-" else None


class AlertEngine:
    def __init__(self, store: Store, alerts: AlertStore, settings: AlertSettings | None = None,
                 matcher: RuleMatcher | None = None):
        self.store = store
        self.alerts = alerts
        self.settings = settings or AlertSettings()
        self.matcher = matcher or RuleMatcher()
        self.clusters = NarrativeClusterer(alerts.ledger)
        self.events = alerts.events  # every change goes here; every process's feed tails it
        self.feed = EventFeed(self.events)
        self.worker = DeliveryWorker(alerts, self.settings)
        self._campaigns: dict[str, tuple[float, Campaign | None]] = {}
        self._lock = threading.RLock()
        self.errors = 0
        self.rules: list[Rule] = []  # loaded by reload_rules(): the app context's startup hook, once the store is up
        self.rules_loaded = float("-inf")  # monotonic time of the last reload_rules()

    @classmethod
    def build(cls, settings, store: Store) -> "AlertEngine":
        alert_settings = AlertSettings.load(settings.file_config)
        return cls(store, AlertStore.open(settings, alert_settings.send_lease_seconds), alert_settings)

    # -- lifecycle --
    def start(self) -> "AlertEngine":
        self.worker.start()
        return self

    def close(self) -> None:
        self.feed.stop()
        self.worker.stop()
        self.alerts.close()

    # -- rules --
    def reload_rules(self, also: Iterable[str] = ()) -> None:
        """Every stored rule (a search), plus the rules `also` names, read by id: one that another process is
        storing right now is readable by id at once but shows in a search only after the next refresh."""
        with self._lock:
            rules = {r.id: r for r in self.alerts.list_rules()}
            for rule_id in also:
                if rule_id not in rules and (rule := self.alerts.get_rule(rule_id)) is not None:
                    rules[rule_id] = rule
            self.rules = sorted(rules.values(), key=lambda r: r.id)
            self.matcher.load(self.rules)
            self.rules_loaded = time.monotonic()

    def put_rule(self, rule: Rule, actor: str = "system", action: str = "rule.put") -> Rule:
        self.alerts.put_rule(rule, actor, action)
        self.reload_rules()
        return rule

    def delete_rule(self, rule_id: str, actor: str = "system") -> bool:
        gone = self.alerts.delete_rule(rule_id, actor)
        self.reload_rules()
        return gone

    def campaign(self, campaign_id: str) -> Campaign | None:
        hit = self._campaigns.get(campaign_id)
        if hit and time.monotonic() - hit[0] < 30:
            return hit[1]
        try:
            c = self.store.get_campaign(campaign_id)
        except Exception:  # noqa: BLE001 - a brief without key messages beats no alert
            c = None
        self._campaigns[campaign_id] = (time.monotonic(), c)
        return c

    # -- ingest hook --
    def __call__(self, batch: list[Post]) -> None:
        self.on_batch(batch)

    def on_batch(self, batch: list[Post]) -> list[Alert]:
        """Pipeline listener. Never raises: the posts are already stored; errors are logged and counted."""
        try:
            return self.process(batch)
        except Exception:  # noqa: BLE001
            self.errors += 1
            log.exception("alert engine failed on a batch of %d posts", len(batch))
            return []

    def process(self, batch: list[Post]) -> list[Alert]:
        posts = [p for p in batch if p.campaigns]
        if not posts:
            return []
        with self._lock:
            if time.monotonic() - self.rules_loaded > RULES_REFRESH_SECONDS:  # changed through another process
                self.reload_rules()
            assignments = self.clusters.add(posts)
            candidates = self._keyword(posts, assignments)
            candidates += self._thresholds(assignments)
            return self._fire(candidates)

    # -- detectors --
    def _rules(self, kind: str, campaign: str) -> list[Rule]:
        return [r for r in self.rules if r.enabled and r.kind == kind and r.campaign in (None, campaign)]

    def _keyword(self, posts: list[Post], assignments: list[Assignment]) -> list[Candidate]:
        by_id = {r.id: r for r in self.rules}
        narrative_of = {(a.post.id, a.campaign): a.narrative_id for a in assignments}
        groups: dict[tuple[str, str, str], list[Post]] = defaultdict(list)
        for post, rule_ids in zip(posts, self.matcher.match(posts)):
            for rid in dict.fromkeys(rule_ids):
                rule = by_id.get(rid)
                if rule is None:
                    continue
                for campaign in post.campaigns:
                    if rule.campaign in (None, campaign):
                        groups[(rid, campaign, narrative_of.get((post.id, campaign), "-"))].append(post)
        out = []
        for (rid, campaign, nid), matched in groups.items():
            rule = by_id[rid]
            severity = bump(rule.severity) if any(p.classification.hoax for p in matched) else rule.severity
            out.append(Candidate(rule, campaign, f"narrative:{nid}", "keyword", {"rule": rule.name, "count": len(matched)},
                                 {"matched_posts": len(matched), "query": rule.query.model_dump(exclude_defaults=True)},
                                 matched, narrative_id=nid, severity=severity))
        return out

    def _thresholds(self, assignments: list[Assignment]) -> list[Candidate]:
        out: list[Candidate] = []
        by_campaign: dict[str, list[Assignment]] = defaultdict(list)
        for a in assignments:
            if a.new_post:
                by_campaign[a.campaign].append(a)
        if any(self._rules(kind, c) for c in by_campaign for kind in ("spike", "negative_share", "hoax_match",
                                                                       "coordinated")):
            self.alerts.ledger.make_searchable()  # the batch just committed counts in the windows below
        for campaign, items in by_campaign.items():
            end = max(a.post.created_at for a in items)
            posts = [a.post for a in items]
            for rule in self._rules("spike", campaign) + self._rules("negative_share", campaign):
                out += self._spike(rule, campaign, end, items, posts)
            for rule in self._rules("hoax_match", campaign):
                out += self._hoax(rule, campaign, items)
            for rule in self._rules("coordinated", campaign):
                out += self._coordinated(rule, campaign, items, end)
        return out

    def _spike(self, rule: Rule, campaign: str, end: datetime, items: list[Assignment],
               posts: list[Post]) -> list[Candidate]:
        th = rule.thresholds
        width = timedelta(minutes=th.window_minutes)
        scopes: list[tuple[str | None, list[Post]]] = [(None, posts)]
        if th.per_narrative:
            per: dict[str, list[Post]] = defaultdict(list)
            for a in items:
                per[a.narrative_id].append(a.post)
            scopes += list(per.items())
        out = []
        for nid, scope_posts in scopes:
            scope_end = max(p.created_at for p in scope_posts) if nid else end
            series = spikes.window_series(self.alerts.ledger, campaign, scope_end, width, th.history_buckets, nid)
            if rule.kind == "spike":
                anomaly = spikes.volume_spike(series, scope_end, width, th.sensitivity, th.min_posts)
            else:
                anomaly = spikes.negative_share_spike(series, scope_end, width, th.sensitivity, th.min_posts,
                                                      th.negative_share)
            if anomaly is None:
                continue
            severity = bump(rule.severity) if anomaly.z >= 2 * th.sensitivity else rule.severity
            params = {"value": num(anomaly.value), "median": num(anomaly.median), "z": f"{anomaly.z:.1f}"}
            params |= {"narrative": nid} if nid else {"campaign": campaign}
            figures = anomaly.figures() | {"scope": "narrative" if nid else "campaign"}
            subject = f"narrative:{nid}" if nid else "campaign"
            out.append(Candidate(rule, campaign, subject, f"{rule.kind}.{'narrative' if nid else 'campaign'}",
                                 params, figures, self._window_posts(campaign, anomaly, nid),
                                 narrative_id=nid, severity=severity, event_time=scope_end))
        return out

    def _window_posts(self, campaign: str, anomaly: spikes.Anomaly, nid: str | None, limit: int = 20) -> list[Post]:
        rows = self.alerts.ledger.window_posts(campaign, anomaly.window_start, anomaly.window_end, nid, limit)
        return self._posts([r["post_id"] for r in rows])

    def _posts(self, ids: list[str]) -> list[Post]:
        out = []
        for pid in ids:
            try:
                p = self.store.get(pid)
            except Exception:  # noqa: BLE001
                p = None
            if p is not None:
                out.append(p)
        return out

    def _hoax(self, rule: Rule, campaign: str, items: list[Assignment]) -> list[Candidate]:
        """A hoax is *spreading* when posts flagged by the hoax signal (a debunk match, or a hoax-style score at the
        shipped threshold: classifiers/hoax.py) about the same debunked claim, else in the same narrative, come from
        at least ``min_hoax_accounts`` distinct accounts within ``window_minutes`` (counted in the ledger, so
        across batches): the 1-3% of ordinary posts that the signal flags one by one do not page the PR team."""
        th = rule.thresholds
        groups: dict[str, list[Assignment]] = defaultdict(list)
        for a in items:
            c = a.post.classification
            if c.hoax and (c.hoax_score or 0.0) >= th.min_hoax_score:
                key = f"claim:{c.matched_claim_id}" if c.matched_claim_id else f"narrative:{a.narrative_id}"
                groups[key].append(a)
        out = []
        for subject, group in groups.items():
            posts = [a.post for a in group]
            end = max(p.created_at for p in posts)
            accounts = self._hoax_accounts(campaign, subject, end - timedelta(minutes=th.window_minutes), end)
            if len(accounts | {f"{p.platform}:{p.author or '?'}" for p in posts}) < th.min_hoax_accounts:
                continue
            claims = {p.classification.matched_claim_id or "": p.classification.matched_claim_url or ""
                      for p in posts if p.classification.matched_claim_id or p.classification.matched_claim_url}
            out.append(Candidate(rule, campaign, subject, "hoax.claim" if claims else "hoax.suspected",
                                 {"count": len(posts)},
                                 {"hoax_posts": len(posts), "claims": claims, "accounts": len(accounts),
                                  "max_hoax_score": max(p.classification.hoax_score or 0 for p in posts)},
                                 posts, narrative_id=group[0].narrative_id))
        return out

    def _hoax_accounts(self, campaign: str, subject: str, start: datetime, end: datetime) -> set[str]:
        """Distinct ``platform:author`` of the ledger's hoax posts on ``subject`` (claim:<id> / narrative:<id>)."""
        kind, _, key = subject.partition(":")
        return self.alerts.ledger.hoax_accounts(campaign, "claim_id" if kind == "claim" else "narrative_id", key,
                                                start, end)

    def _coordinated(self, rule: Rule, campaign: str, items: list[Assignment], end: datetime) -> list[Candidate]:
        th = rule.thresholds
        groups = {a.dup_group for a in items}
        links = {link for a in items for link in a.links}
        bursts = coordination.detect(self.alerts.ledger, campaign, groups, links, end,
                                     timedelta(minutes=th.window_minutes), th.min_accounts)
        out = []
        for b in bursts:
            severity = bump(rule.severity) if len(b.accounts) >= 2 * th.min_accounts else rule.severity
            posts = self._posts([e["post_id"] for e in b.evidence[:20]])
            # the narrative of the burst's posts in this batch (its text group, or the posts carrying its link): its
            # label and debunks go into the brief, and the alert joins the narrative's incident
            narratives = Counter(a.narrative_id for a in items
                                 if (a.dup_group == b.key if b.kind == "text" else b.key in a.links))
            out.append(Candidate(rule, campaign, f"{b.kind}:{b.key}", f"coordinated.{'link' if b.kind == 'link' else 'text'}",
                                 {"accounts": len(b.accounts), "seconds": int(b.figures()["span_seconds"])},
                                 b.figures(), posts, evidence=b.evidence,
                                 severity=severity, event_time=b.end,
                                 narrative_id=narratives.most_common(1)[0][0] if narratives else None))
        return out

    # -- firing --
    def narrative(self, nid: str | None) -> dict | None:
        return None if not nid or nid == "-" else self.alerts.ledger.narrative(nid)

    def _fire(self, candidates: list[Candidate]) -> list[Alert]:
        fired = []
        for c in candidates:
            narrative = self.narrative(c.narrative_id)
            campaign = self.campaign(c.campaign)
            examples = sorted(c.posts, key=lambda p: (-p.engagement.total, p.created_at))[:5]
            why = {"rule": {"id": c.rule.id, "name": c.rule.name, "kind": c.rule.kind}, "figures": c.figures,
                   "summary": evidence_summary(c.posts), "examples": [post_card(p) for p in examples]}
            if c.evidence is not None:
                why["evidence"] = c.evidence
            if narrative:
                why["narrative"] = {k: narrative.get(k) for k in ("id", "label", "size", "first_seen")}
            event_time = c.event_time or max((p.created_at for p in c.posts), default=None)
            if event_time is None:
                continue
            alert = Alert(id="a_" + uuid.uuid4().hex[:16], campaign=c.campaign, rule=c.rule.id,
                          severity=c.severity or c.rule.severity, why=why,
                          title=render_title(c.title_key, c.title_params), title_key=c.title_key,
                          title_params=c.title_params,
                          brief=build_brief(campaign, c.posts, narrative, (narrative or {}).get("claims")),
                          post_ids=[p.id for p in c.posts][:200], incident=_incident(c),
                          dedup_key=f"{c.rule.id}|{c.campaign}|{c.subject}")
            saved, created = self.alerts.fire(alert, timedelta(minutes=c.rule.cooldown_minutes), event_time,
                                              channels_for(self.settings, c.campaign))
            if created:  # announced by fire(), through the outbox: exactly once, even if this process dies
                fired.append(saved)
                self.feed.wake()
            else:
                self.publish("alert.updated", saved)  # new evidence absorbed
        if fired:
            self.worker.wake()
        return fired

    # the workflow's changes are announced by the store, through the outbox (exactly once, like a fired alert)
    def note(self, alert_id: str, actor: str, text: str) -> Alert | None:
        return self._woken(self.alerts.add_note(alert_id, actor, text))

    def respond(self, alert_id: str, actor: str, **response) -> Alert | None:
        return self._woken(self.alerts.add_response(alert_id, actor, **response))

    def _woken(self, alert: Alert | None) -> Alert | None:
        self.feed.wake()  # this process's subscribers get it now, not at the next poll
        return alert

    def publish(self, kind: str, alert: Alert) -> None:
        """Into the event log, for every SSE subscriber of every process: new evidence absorbed by an open alert
        (`alert.updated`, best effort: frequent, and the next one or the inbox's list shows it). The alert is
        already stored: a failure here costs the live update only, so it is logged, not raised."""
        try:
            self.events.append(kind, alert.model_dump(mode="json"))
        except Exception:  # noqa: BLE001
            log.exception("could not append %s for alert %s to the event log", kind, alert.id)
            return
        self.feed.wake()

    # -- workflow --
    def transition(self, alert_id: str, actor: str, action: str, **kw) -> Alert | None:
        return self._woken(self.alerts.transition(alert_id, actor, action, **kw))

    def backfill(self, campaign: str, since: datetime | None = None, until: datetime | None = None) -> int:
        """Feed stored posts into the narrative ledger without alerting (e.g. after adding a campaign)."""
        n = 0
        batch: list[Post] = []
        for post in self.store.scan(PostQuery(campaign=campaign, since=since, until=until)):
            batch.append(post)
            if len(batch) >= 500:
                n += len(self.clusters.add(batch))
                batch = []
        if batch:
            n += len(self.clusters.add(batch))
        return n
