"""Issue 13 item 5: the "hoax spreading" alert rests on the hoax signal (a debunk match or a strong hoax-style score),
not on topic. Real ordinary posts about vaccines and elections (held-out social sets of shared/data, never used to
train or calibrate anything) go through the real chain (shipped artifacts + the seed debunk database) and the real
pipeline into a SQLite store and the alert engine: no hoax alert. A post that tells a seeded debunked claim fires
one, and its brief cites that debunk in words a PR officer reads.
Mutation checked: flagging at style p >= 0.5 (instead of the shipped style threshold) in classifiers/hoax.py fires
hoax alerts on the benign replay."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain import Campaign
from service.alerts.rules import Rule
from tests.classifiers.conftest import data_dir  # noqa: F401  (the shared/data fixture: skips or fails per CI)
from tests.factories import T0, make_post

WATCH = Campaign(id="watch", name="Isu publik", keywords=["vaksin", "pemilu"],
                 key_messages=["Informasi resmi ada di kanal pemerintah."])
HOAX_RULE = Rule(id="hoax", name="hoax spreading", kind="hoax_match", severity="high", campaign="watch")


@pytest.fixture(scope="module")
def chain():
    import classifiers
    from classifiers.claims import load_seed

    return classifiers.load_default(claims=load_seed()["claims"], campaigns=[WATCH])


@pytest.fixture()
def pipeline(tmp_path, chain):
    from service.alerts.engine import AlertEngine
    from service.alerts.store import AlertStore
    from service.pipeline import Pipeline
    from service.spool import Spool
    from service.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "db.sqlite")
    store.init()
    store.put_campaign(WATCH)
    engine = AlertEngine(store, AlertStore(tmp_path / "alerts.db"))
    engine.put_rule(HOAX_RULE)
    pipe = Pipeline(store, chain, Spool(tmp_path / "spool"), batch_size=200)
    pipe.listeners.append(engine.on_batch)
    yield pipe, engine
    engine.close()


def _stream(texts, first=0):
    # every post is in the campaign (as if its keywords matched): the engine considers all of them
    return [make_post(first + i, text=t, lang=None, campaigns=["watch"], author=f"warga{i % 50}",
                      created_at=T0 + timedelta(minutes=i)) for i, t in enumerate(texts)]


def test_benign_on_topic_replay_fires_no_hoax_alert_and_a_debunked_claim_does(pipeline, data_dir):
    from classifiers.claim_seed import tbh_posts
    from classifiers.data import SOCIAL_TRAIN_SETS, benign_posts, topic_slice

    pipe, engine = pipeline
    ben = benign_posts(data_dir)
    ben = ben[~ben.source.isin(SOCIAL_TRAIN_SETS)]
    vaksin = [t for t in ben.text if topic_slice(t) == "vaksin/covid"]
    pemilu = [t for t in ben.text if topic_slice(t) == "pemilu/pilpres"][:200]
    assert len(vaksin) >= 40 and len(pemilu) == 200
    stats = pipe.process(_stream(vaksin + pemilu))
    assert stats.stored == len(vaksin) + len(pemilu) and engine.errors == 0
    fired = engine.alerts.list_alerts(campaign="watch")
    assert not [a for a in fired if a.rule == "hoax"], [a.title for a in fired]

    # a hoax post from the test half (never seen by the scorer): one account is not yet "spreading"; two more
    # accounts within the window (next batch) are
    row = tbh_posts(data_dir, "test").set_index("claim_id").loc["tbh-34691"]  # "GIBRAN DIVONIS BERSALAH ..."
    hoaxes = [make_post(10_000 + i, text=row.text, lang=None, campaigns=["watch"], author=f"akun{i}",
                        created_at=T0 + timedelta(hours=12, minutes=i)) for i in range(3)]
    pipe.process(hoaxes[:1])
    assert not [a for a in engine.alerts.list_alerts(campaign="watch") if a.rule == "hoax"]
    pipe.process(hoaxes[1:])
    hoax = [a for a in engine.alerts.list_alerts(campaign="watch") if a.rule == "hoax"]
    assert len(hoax) == 1 and hoax[0].title.startswith("Hoax spreading: 2 post(s) match a known debunked claim")
    assert hoax[0].why["figures"]["accounts"] == 3
    (debunk,) = hoax[0].brief["debunks"]
    assert debunk["claim_id"] == "tbh-34691" and debunk["url"].startswith("https://turnbackhoax.id/articles/34691")
    assert debunk["reason"].startswith("matches debunk 'gibran dinyatakan tidak sah menjadi wapres' (turnbackhoax.id, "
                                       "2026-05-26, similarity ")
