"""A replayed stream of posts produces the expected alerts, once: dedup, cooldown and restarts."""
from __future__ import annotations

from datetime import timedelta

from service.alerts.rules import Rule, RuleQuery, Thresholds
from core.domain import Classification
from service.alerts.titles import render_title
from tests.alerts.test_titles import english_left
from tests.factories import T0, classified, engaged, make_post

RULES = [
    Rule(id="kw-chip", name="vaksin chip", query=RuleQuery(any=["vaksin chip"]), severity="medium",
         cooldown_minutes=120),
    Rule(id="spike", name="volume spike", kind="spike", severity="high",
         thresholds=Thresholds(window_minutes=60, history_buckets=24, sensitivity=4, min_posts=8,
                               per_narrative=False)),
    Rule(id="neg", name="negative surge", kind="negative_share",
         thresholds=Thresholds(window_minutes=60, sensitivity=3, min_posts=8, negative_share=0.6,
                               per_narrative=False)),
    Rule(id="hoax", name="hoax match", kind="hoax_match", severity="high"),
    Rule(id="coord", name="coordinated", kind="coordinated",
         thresholds=Thresholds(window_minutes=10, min_accounts=4)),
]


def stream() -> list:
    """48 h of calm background (1 post/h), then a hoax narrative copied by many accounts in a few minutes."""
    posts = []
    for h in range(48):
        p = make_post(h, text=f"Persiapan KTT ASEAN hari ke {h}: jalan {['tol', 'utama', 'protokol'][h % 3]} "
                              f"dan {['bandara', 'hotel', 'stadion', 'pelabuhan'][h % 4]} disiapkan",
                      author=f"media{h % 5}", created_at=T0 + timedelta(hours=h))
        posts.append(classified(p, "neutral"))
    start = T0 + timedelta(hours=48)
    for i in range(14):
        text = "AWAS vaksin chip disuntikkan ke peserta KTT ASEAN, sebarkan sebelum dihapus!"
        if i % 3 == 1:
            text = "Awas!! vaksin chip disuntikkan ke peserta KTT ASEAN, sebarkan sebelum dihapus"
        p = make_post(1000 + i, text=text, author=f"akun{i}", platform="telegram" if i % 2 else "twitter",
                      created_at=start + timedelta(minutes=i), links=[f"https://hoaks.example/chip?utm_source={i}"])
        p.classification = Classification(sentiment="negative", hoax=True, hoax_score=0.93,
                                          matched_claim_id="turnbackhoax-123",
                                          matched_claim_url="https://turnbackhoax.id/123")
        posts.append(engaged(p, likes=i * 10))
    return posts


def replay(store, engine, posts, batch=10):
    """Store everything once (an Elasticsearch refresh per batch would dominate), then feed the engine in batches
    in arrival order, as the pipeline does after each stored batch."""
    store.upsert(posts)
    fired = []
    for i in range(0, len(posts), batch):
        fired += engine.on_batch(posts[i:i + batch])
    return fired


def test_replay_fires_expected_alerts_once_even_after_restart(store, make_engine, tmp_path):
    engine = make_engine(store)
    for r in RULES:
        engine.put_rule(r)
    posts = stream()
    fired = replay(store, engine, posts)
    by_rule = {}
    for a in fired:
        by_rule.setdefault(a.rule, []).append(a)
    assert set(by_rule) == {"kw-chip", "spike", "neg", "hoax", "coord"}, [a.title for a in fired]
    # the same text and the same link from one narrative: one coordinated alert, the link burst joined it
    assert {r: len(v) for r, v in by_rule.items()} == {"kw-chip": 1, "spike": 1, "neg": 1, "hoax": 1, "coord": 1}
    [coord] = by_rule["coord"]
    joined = engine.alerts.get_alert(coord.id)
    assert {coord.why["figures"]["kind"], joined.why["latest"]["kind"]} == {"text", "link"}
    # one narrative: the keyword, hoax and coordinated alerts are one incident; campaign-wide spikes are none
    assert len({a.incident for a in fired if a.rule in ("kw-chip", "hoax", "coord")}) == 1 and coord.incident
    assert {a.incident for a in fired if a.rule in ("spike", "neg")} == {None}
    for a in fired:  # the stored title stays English; its key renders the Indonesian wording
        assert a.title == render_title(a.title_key, a.title_params, "en"), a.title
        assert not english_left(render_title(a.title_key, a.title_params, "id")), a.title_key
    assert engine.errors == 0

    kw = by_rule["kw-chip"][0]
    assert kw.severity == "high"  # hoax posts bump the rule's severity
    assert kw.brief["debunks"] == [{"claim_id": "turnbackhoax-123", "url": "https://turnbackhoax.id/123"}]
    assert kw.brief["key_messages"] == ["KTT ASEAN berjalan aman dan terbuka untuk publik."]
    assert kw.brief["answer_posts"][0]["engagement"] >= kw.brief["answer_posts"][-1]["engagement"]
    assert "turnbackhoax.id/123" in kw.brief["suggested_reply"]
    assert kw.why["examples"] and kw.why["rule"]["id"] == "kw-chip"
    stored = engine.alerts.get_alert(kw.id)
    assert len(stored.post_ids) == 14 and stored.why["repeats"] >= 1  # later batches merged, not re-fired

    coord = next(a for a in by_rule["coord"] if a.why["figures"]["kind"] == "text")
    accounts = {e["account"] for e in coord.why["evidence"]}
    assert len(accounts) >= 4 and {a.split(":")[0] for a in accounts} == {"telegram", "twitter"}
    assert all(e["at"] and e["text"] for e in coord.why["evidence"])
    spike = by_rule["spike"][0]
    assert spike.why["figures"]["robust_z"] >= 4 and spike.why["figures"]["baseline_median"] == 1.0

    # replay the same stream again (re-collection): nothing new
    assert replay(store, engine, posts) == []
    total = engine.alerts.count_alerts()
    engine.close()

    # restart: a new engine on the same alerts.db remembers clusters, alerts and dedup keys
    engine2 = make_engine(store, path=tmp_path / "alerts.db")
    engine2.reload_rules()  # as the app context's startup hook does
    assert {r.id for r in engine2.rules} == {r.id for r in RULES}
    assert replay(store, engine2, posts) == []
    more = [make_post(2000 + i, text="AWAS vaksin chip disuntikkan ke peserta KTT ASEAN, sebarkan sebelum dihapus!",
                      author=f"baru{i}", created_at=T0 + timedelta(hours=48, minutes=20 + i)) for i in range(3)]
    assert [a.rule for a in replay(store, engine2, more)] == []  # same narrative: absorbed by the open alert
    assert engine2.alerts.count_alerts() == total


def test_cooldown_after_resolve(tmp_path, make_engine):
    from service.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    store.init()
    engine = make_engine(store)
    engine.put_rule(Rule(id="kw", name="kw", query=RuleQuery(any=["vaksin chip"]), cooldown_minutes=60))

    def post(n, minutes):
        return make_post(n, text="vaksin chip di KTT", created_at=T0 + timedelta(minutes=minutes))

    assert len(replay(store, engine, [post(1, 0)])) == 1
    alert = engine.alerts.list_alerts()[0]
    assert replay(store, engine, [post(2, 5)]) == []  # open: absorbed
    engine.transition(alert.id, "tester", "resolve", status="resolved", note="answered")
    assert replay(store, engine, [post(3, 30)]) == []  # resolved but within the cooldown
    again = replay(store, engine, [post(4, 90)])      # after the cooldown: a new alert
    assert len(again) == 1 and again[0].id != alert.id
    trail = engine.alerts.audit_trail(alert.id)
    assert [t["action"] for t in trail] == ["alert.fired", "resolve"]
    assert trail[1]["actor"] == "tester" and trail[1]["detail"]["note"] == "answered"


def test_listener_never_raises(tmp_path, make_engine):
    from service.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db")
    store.init()
    engine = make_engine(store)
    engine.clusters.add = None  # simulate a bug
    assert engine.on_batch([make_post(1)]) == [] and engine.errors == 1


def test_a_rule_added_through_another_process_fires_here_after_the_refresh(store, make_engine, monkeypatch):
    """A rule added on one API replica reaches the worker's engine (same shared alert state) at its next batch once
    its rules are older than RULES_REFRESH_SECONDS; without the refresh it would wait for a restart."""
    from service.alerts import engine as engine_module

    replica, worker = make_engine(store), make_engine(store)  # one alert state, two processes' engines
    posts = [make_post(i, text=f"Awas vaksin chip di KTT ASEAN, kabar ke-{i}", author=f"a{i}") for i in range(3)]
    store.upsert(posts)
    assert worker.on_batch(posts[:1]) == []  # no rule yet
    replica.put_rule(Rule(id="chip", name="vaksin chip", query=RuleQuery(any=["vaksin chip"])))
    assert worker.on_batch(posts[1:2]) == []  # its rules are fresh: not re-read before every batch
    monkeypatch.setattr(engine_module, "RULES_REFRESH_SECONDS", 0.0)
    assert [a.rule for a in worker.on_batch(posts[2:])] == ["chip"]
