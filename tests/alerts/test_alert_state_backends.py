"""Alert state on the shared store, on SQLite and on the real Elasticsearch node: two AlertStore instances stand for two
processes (API replica, worker). No alert fires twice, each outbox entry is claimed by one sender, concurrent
workflow changes are all kept, an alert whose writer died half-way is completed under its id, and every stored alert
is announced on the live stream exactly once whichever step its writer died at."""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import timedelta

import pytest

from core.domain import Alert
from service.alerts.config import AlertSettings
from service.alerts.delivery.outbox import DeliveryWorker
from service.alerts.rules import Rule, RuleQuery
from service.alerts.records import outbox_entry
from service.alerts.store import AlertStore, Stale
from tests.factories import T0

CHANNELS = [("webhook", 0), ("telegram", 0)]


@pytest.fixture
def stores(state_settings):
    pair = [AlertStore.open(state_settings) for _ in range(2)]
    yield pair
    for s in pair:
        s.close()


def _alert(n: int, key: str | None = None, posts: list[str] | None = None) -> Alert:
    return Alert(id=f"a_{n:03d}", campaign="asean" if n % 2 else "vaksin", rule="kw", title=f"alert {n}",
                 dedup_key=key or f"k{n}", post_ids=posts or [f"p{n}"], why={"figures": {"n": n}})


def _race(fns) -> list:
    out, barrier = [None] * len(fns), threading.Barrier(len(fns))

    def run(i):
        barrier.wait()
        out[i] = fns[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    [t.start() for t in threads]
    [t.join(120) for t in threads]
    return out


def test_one_dedup_key_fires_one_alert_across_processes(stores):
    a, b = stores
    results = _race([lambda s=s, n=n: s.fire(_alert(n, key="same", posts=[f"p{n}"]), timedelta(hours=1), T0,
                                             CHANNELS) for n, s in enumerate([a, b, a, b])])
    assert sum(created for _, created in results) == 1
    assert a.count_alerts() == 1 and b.count_alerts() == 1
    [stored] = b.list_alerts()
    assert sorted(stored.post_ids) == ["p0", "p1", "p2", "p3"]  # the others' evidence absorbed, none lost
    assert len(a.outbox(stored.id)) == len(CHANNELS)  # notified once per channel
    assert [e["action"] for e in a.audit_trail(stored.id)] == ["alert.fired"]
    assert _announced(b, stored.id) == [1] and b.announcement(stored.id)["status"] == "sent"

    # the losing side of the race, made certain: b read the key as free just before a claimed it
    real_get, reads = b.dedup.get, []

    def stale_once(id):
        reads.append(id)
        return None if len(reads) == 1 else real_get(id)

    b.dedup.get = stale_once
    late, created = b.fire(_alert(9, key="same", posts=["p9"]), timedelta(hours=1), T0, CHANNELS)
    assert reads and not created and late.id == stored.id and "p9" in late.post_ids
    assert a.count_alerts() == 1 and len(a.outbox()) == len(CHANNELS)


def test_a_half_written_alert_is_completed_under_its_id(stores):
    a, b = stores
    crashed = _alert(1, key="k-crash")
    # the writer claimed the key and queued one delivery, then died before storing the alert
    a.dedup.create(hashlib.sha1(b"k-crash").hexdigest(), {"key": "k-crash", "alert_id": crashed.id,
                                                          "fired_at": "2026-01-01T00:00:00.000000Z", "suppressed": 0})
    a.deliveries.create(f"{crashed.id}.webhook.0", outbox_entry(crashed.id, "webhook", 0, crashed.model_dump_json()))
    saved, created = b.fire(_alert(2, key="k-crash"), timedelta(hours=1), T0, CHANNELS)
    assert created and saved.id == crashed.id
    assert sorted(r["channel"] for r in b.outbox(crashed.id)) == ["telegram", "webhook"]  # no second webhook
    again, created = a.fire(_alert(3, key="k-crash"), timedelta(hours=1), T0, CHANNELS)
    assert not created and again.id == crashed.id and a.count_alerts() == 1


class Killed(BaseException):
    """The process dies here: nothing after this point runs (no `except Exception` catches it)."""


def _dies(docs, method: str) -> None:
    def die(*args, **kwargs):
        raise Killed(method)

    setattr(docs, method, die)


def _announced(store: AlertStore, alert_id: str) -> list[int]:
    """Sequence numbers of the `alert` events of this alert in the event log."""
    return [e.seq for e in store.events.tail(0, 1000) if e.kind == "alert" and e.data["id"] == alert_id]


@pytest.mark.parametrize("dies_at", ["alert", "append", "mark"])
def test_an_alert_whose_writer_died_is_announced_once(stores, state_settings, dies_at):
    """The firing process dies before storing the alert, after storing it but before appending its event, or after
    the append but before marking its announcement sent. Once the writer's lease ends, the next firing of the same
    key (which completes the alert) or the delivery loops of two processes racing announce it exactly once."""
    a, b = stores
    lease = 0.5 if dies_at == "alert" else 60.0
    _dies(*{"alert": (a.alerts, "create"), "append": (a.events, "append"),
            "mark": (a.announcer.entries, "replace")}[dies_at])
    a.announcer.lease_seconds = lease
    with pytest.raises(Killed):
        a.fire(_alert(1), timedelta(0), T0, [])
    if dies_at == "alert":  # not stored: the next firing of its key completes it under its id and announces it
        assert b.get_alert("a_001") is None and b.announcement("a_001")["status"] == "sending"
        time.sleep(lease)
        saved, created = b.fire(_alert(2, key="k1"), timedelta(0), T0, [])
        assert created and saved.id == "a_001" and _announced(b, "a_001") == [1]
        assert b.announcement("a_001")["status"] == "sent"
        return
    assert b.get_alert("a_001") is not None and len(_announced(b, "a_001")) == (dies_at == "mark")
    c = AlertStore.open(state_settings)  # a third process
    workers = [DeliveryWorker(s, AlertSettings(send_lease_seconds=60)) for s in (b, c)]
    assert _race([w.run_once for w in workers]) == [0, 0]  # leased by the dead writer: not due yet
    later = time.time() + lease + 1
    assert sorted(_race([lambda w=w: w.run_once(later) for w in workers])) == [0, 1]  # claimed by one of them
    assert len(_announced(c, "a_001")) == 1
    assert c.announcement("a_001")["status"] == "sent" and c.outbox("a_001") == []
    assert [w.run_once(later + 120) for w in workers] == [0, 0]  # sent: never again


def test_a_change_whose_writer_died_is_announced_once_and_a_refused_one_never(stores, state_settings):
    """Workflow changes are announced like alerts: an acknowledgement stored by a process that died before its event
    is announced once by a delivery loop after the lease; a refused change (stale, or no such alert) announces
    nothing."""
    a, b = stores
    alert, _ = b.fire(_alert(1), timedelta(0), T0, [])
    _dies(a.events, "append")
    with pytest.raises(Killed):
        a.transition(alert.id, "ana", "ack", status="acknowledged")
    with pytest.raises(Stale):
        b.transition(alert.id, "budi", "ack", status="acknowledged", expected=("open",))
    assert b.transition("a_missing", "budi", "ack", status="acknowledged") is None
    c = AlertStore.open(state_settings)
    workers = [DeliveryWorker(s, AlertSettings()) for s in (b, c)]
    later = time.time() + b.announcer.lease_seconds + 1
    assert sorted(_race([lambda w=w: w.run_once(later) for w in workers])) == [0, 1]
    assert [w.run_once(later + 240) for w in workers] == [0, 0]
    assert [(e.kind, e.data["status"]) for e in c.events.tail(0)] == [("alert", "open"),
                                                                       ("alert.status", "acknowledged")]


def test_each_outbox_entry_is_claimed_by_one_sender(stores):
    a, b = stores
    for n in range(8):
        assert a.fire(_alert(n), timedelta(0), T0, CHANNELS)[1]
    claims = _race([lambda s=s: s.due(limit=100) for s in (a, b, a, b)])
    ids = [row["id"] for claim in claims for row in claim]
    assert sorted(ids) == sorted(r["id"] for r in a.outbox()) and len(ids) == 16  # all, each once
    assert a.due(limit=100) == [] and a.next_due() is not None  # leased: due again only when the lease ends
    row = claims[0][0] if claims[0] else next(c[0] for c in claims if c)
    b.record_attempt(row["id"], False, 503, "HTTP 503", 12.0, next_try=0.0)
    assert [r["id"] for r in a.due(limit=100)] == [row["id"]]  # failed: due again at next_try
    a.record_attempt(row["id"], True, 200, None, 8.0, None)
    [sent] = [r for r in b.outbox() if r["id"] == row["id"]]
    assert sent["status"] == "sent" and sent["attempts"] == 2
    assert [x["ok"] for x in b.attempts(row["id"])] == [0, 1]
    assert a.enqueue_once("digest:asean:2026-03-01", "digest", 0, "{}") and \
        not b.enqueue_once("digest:asean:2026-03-01", "digest", 0, "{}")


def test_concurrent_workflow_changes_are_all_kept(stores):
    a, b = stores
    alert, _ = a.fire(_alert(1), timedelta(0), T0, [])
    _race([lambda: a.transition(alert.id, "ana", "ack", status="acknowledged"),
           lambda: b.transition(alert.id, "budi", "assign", assignee="humas")])
    final = b.get_alert(alert.id)
    assert final.assignee == "humas" and final.status == "acknowledged"  # neither change lost
    assert sorted(e["action"] for e in a.audit_trail(alert.id)) == ["ack", "alert.fired", "assign"]
    assert a.transition("a_missing", "x", "ack", status="acknowledged") is None


def test_rules_and_lists(stores):
    a, b = stores
    a.put_rule(Rule(id="r1", name="one", campaign="asean", query=RuleQuery(any=["chip"])), actor="ana")
    a.put_rule(Rule(id="r2", name="two", query=RuleQuery(any=["beras"])))
    assert [r.id for r in b.list_rules()] == ["r1", "r2"] and [r.id for r in b.list_rules("vaksin")] == ["r2"]
    assert b.delete_rule("r1", actor="budi") and not a.delete_rule("r1") and a.get_rule("r1") is None
    assert [e["action"] for e in a.audit_trail(rule_id="r1")] == ["rule.put", "rule.delete"]
    for n in range(5):
        a.fire(_alert(n), timedelta(0), T0 + timedelta(minutes=n), [])
    assert [x.id for x in b.list_alerts(limit=2, offset=1)] == ["a_003", "a_002"]  # newest first
    assert [x.id for x in b.list_alerts(campaigns=["asean"])] == ["a_003", "a_001"]
    assert b.list_alerts(campaigns=[]) == [] and [x.id for x in b.list_alerts(status="open", campaign="vaksin",
                                                                              limit=1)] == ["a_004"]


def test_desk_queue_incidents_notes_and_stale_actions(stores):
    """The PR desk's state: most severe first (newest first within), active = not resolved, a rule filter; another
    wording of an incident joins its open alert with its count and title kept current; notes written by two
    processes at once are both kept; an action against a state the officer did not see is refused as stale."""
    a, b = stores
    for n, sev in enumerate(["low", "critical", "medium", "critical", "high"]):
        alert = _alert(n).model_copy(update={"severity": sev, "rule": "kw" if n % 2 else "spike",
                                             "created_at": T0 + timedelta(minutes=n)})
        a.fire(alert, timedelta(0), T0, [])
    a.transition("a_002", "ana", "resolve", status="resolved")
    assert [x.id for x in b.list_alerts(sort="severity")] == ["a_003", "a_001", "a_004", "a_002", "a_000"]
    assert [x.id for x in b.list_alerts(sort="severity", offset=2, limit=2)] == ["a_004", "a_002"]
    assert [x.id for x in b.list_alerts(sort="severity", status="active")] == ["a_003", "a_001", "a_004", "a_000"]
    assert [x.id for x in b.list_alerts(sort="severity", rule="kw", campaigns=["asean"])] == ["a_003", "a_001"]

    first = Alert(id="a_100", campaign="asean", rule="kw", title="x", title_key="keyword",
                  title_params={"rule": "chip", "count": 1}, dedup_key="kw|asean|claim:1", post_ids=["p1"],
                  incident="asean|narrative:n1", why={"figures": {"matched_posts": 1}})
    a.fire(first, timedelta(hours=1), T0, [])
    reworded = first.model_copy(update={"id": "a_101", "dedup_key": "kw|asean|narrative:n1", "post_ids": ["p2"],
                                        "severity": "high"})
    joined, created = b.fire(reworded, timedelta(hours=1), T0, [])
    assert not created and joined.id == "a_100" and joined.post_ids == ["p1", "p2"]
    assert joined.title == "\u201cchip\u201d matched 2 post(s)" and joined.why["figures"]["matched_posts"] == 2
    assert joined.severity == "high" and b.get_alert("a_101") is None

    _race([lambda: a.add_note("a_100", "ana", "cek akun"), lambda: b.add_note("a_100", "budi", "sudah dijawab")])
    assert sorted(n["author"] for n in b.get_alert("a_100").notes) == ["ana", "budi"]
    assert [e["action"] for e in a.audit_trail("a_100")].count("note") == 2

    a.transition("a_100", "ana", "ack", status="acknowledged", expected=("open",))
    with pytest.raises(Stale) as stale:
        b.transition("a_100", "budi", "ack", status="acknowledged", expected=("open",))
    assert stale.value.alert.status == "acknowledged" and stale.value.last["actor"] == "ana"
    with pytest.raises(Stale):
        b.transition("a_002", "budi", "assign", status="assigned", assignee="budi")  # resolved meanwhile


def test_a_rule_another_process_is_seeding_is_loaded_by_id(stores):
    """Processes started together seed the config's rules at once: a rule another process stored a moment ago may not
    show in a search until the next refresh (Elasticsearch), so the engine also reads the config's rule ids by id."""
    from service.alerts.engine import AlertEngine

    a, b = stores
    if hasattr(b.rules, "es"):  # the other process's write, caught before the refresh its own put waits for
        b.rules.get("x")  # (the index exists)
        b.rules.es.indices.put_settings(index=b.rules.index, settings={"refresh_interval": "-1"})
        b.rules.refresh = False
    b.put_rule(Rule(id="seeded", name="seeded", campaign="asean", query=RuleQuery(any=["chip"])), "config")
    engine = AlertEngine(None, a)
    engine.reload_rules(also=["seeded", "not-stored"])
    assert [r.id for r in engine.rules] == ["seeded"]
