"""The scheduled daily digest e-mail, end to end on 127.0.0.1 (aiosmtpd), with an injected clock.

Yesterday's digest of each campaign is queued at the configured UTC hour, arrives as HTML with the campaign's
figures and hostile post text escaped, and is sent once per campaign-day: more ticks and a restart send nothing.
"""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest

from service.alerts.config import AlertSettings, DigestSettings, EmailTarget
from service.alerts.digest_schedule import DigestScheduler, digest_key
from service.alerts.engine import AlertEngine
from service.alerts.store import AlertStore
from service.config import Settings
from core.domain import Campaign, Classification
from service.store.sqlite import SQLiteStore
from service.worker import drain_forever, periodic_jobs
from bench.loopback import smtp_server
from tests.factories import T0, make_post

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
DAY_AFTER = datetime(2024, 11, 2, tzinfo=timezone.utc)  # T0 is 2024-11-01 08:00 UTC


@pytest.fixture()
def store(tmp_path):
    s = SQLiteStore(tmp_path / "posts.db")
    s.init()
    s.put_campaign(Campaign(id="vaksin", name="Vaksinasi nasional", workspace="kemkes", keywords=["vaksin"]))
    s.put_campaign(Campaign(id="asean", name="KTT ASEAN", workspace="kemlu", keywords=["asean"]))
    s.put_campaign(Campaign(id="sepi", name="Kampanye sepi", workspace="kemlu", keywords=["sepi"]))
    yield s
    s.close()


def _settings(port: int, **digest) -> AlertSettings:
    return AlertSettings(
        allow_private_targets=True,  # the SMTP stand-in listens on loopback
        email=[EmailTarget(host="127.0.0.1", port=port, sender="nw@example.go.id", to=["alerts@example.go.id"],
                           campaigns=["asean"])],
        digest=DigestSettings(enabled=True, hour=6, **({"tz": "UTC"} | digest)))


def _engine(store, path, settings) -> AlertEngine:
    return AlertEngine(store, AlertStore(path), settings)


def _seed(store, engine) -> None:
    posts = [make_post(i, text=f"vaksin {i} {EVIL}", campaigns=["vaksin"], author=f"@{EVIL}",
                       created_at=T0 + timedelta(minutes=i)) for i in range(5)]
    for p, s in zip(posts, ["negative", "negative", "negative", "positive", "neutral"]):
        p.classification = Classification(sentiment=s, hoax=s == "positive", hoax_score=0.9 if s == "positive" else 0)
    posts += [make_post(10 + i, text=f"KTT ASEAN {i}", campaigns=["asean"], created_at=T0 + timedelta(minutes=i))
              for i in range(2)]
    posts.append(make_post(20, text="vaksin kemarin", campaigns=["vaksin"], created_at=T0 - timedelta(days=1)))
    store.upsert(posts)
    engine.process(posts)  # narratives for the digest


def _mails(handler) -> dict[str, tuple]:
    out = {}
    for env in handler.messages:
        msg = message_from_bytes(env.content, policy=policy.default)
        names = {"Vaksinasi nasional": "vaksin", "KTT ASEAN": "asean", "Kampanye sepi": "sepi"}
        campaign = next(cid for name, cid in names.items() if f": {name} (" in msg["Subject"])
        out[campaign] = (env, msg)
    return out


def test_daily_digest_sent_once_per_campaign_day(tmp_path, store):
    with smtp_server() as (smtp, handler):
        settings = _settings(smtp.port, to=["pimpinan@example.go.id"],
                             campaigns={"vaksin": ["humas@kemkes.go.id"]})
        engine = _engine(store, tmp_path / "alerts.db", settings)
        _seed(store, engine)
        clock = SimpleNamespace(now=DAY_AFTER + timedelta(hours=5, minutes=59))
        sched = DigestScheduler.for_engine(engine, clock=lambda: clock.now)

        assert sched.tick() == []  # before the configured hour
        clock.now = DAY_AFTER + timedelta(hours=6)
        queued = sched.tick()
        assert sorted(queued) == ["digest:asean:2024-11-01", "digest:sepi:2024-11-01", "digest:vaksin:2024-11-01"]
        assert sched.tick() == []  # already queued
        assert engine.worker.run_once() == 3
        deadline = time.monotonic() + 5
        while len(handler.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(handler.messages) == 3

        mails = _mails(handler)
        env, msg = mails["vaksin"]
        assert sorted(env.rcpt_tos) == ["humas@kemkes.go.id", "pimpinan@example.go.id"]
        assert msg["From"] == "nw@example.go.id"
        assert msg["Subject"] == "[narrawatch] Ringkasan harian: Vaksinasi nasional (2024-11-01)"
        assert msg.get_content_type() == "multipart/alternative"
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        # the campaign's figures for 2024-11-01: 5 posts (1 the day before), 3 negative, 1 positive, 1 hoax
        assert "Penyebutan<b>5</b>" in html and "Periode sebelumnya: 1" in html
        assert '<span class="neg">3</span>' in html and '<span class="pos">1</span>' in html
        assert "Unggahan: 5" in text and "Negatif: 3" in text and "Unggahan dugaan hoaks: 1" in text
        assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
        assert "Narasi pada periode ini" in html
        env_a, msg_a = mails["asean"]
        assert env_a.rcpt_tos == ["pimpinan@example.go.id"]
        assert "Penyebutan<b>2</b>" in msg_a.get_body(("html",)).get_content()
        assert "vaksin" not in msg_a.get_body(("plain",)).get_content()
        assert "Penyebutan<b>0</b>" in mails["sepi"][1].get_body(("html",)).get_content()  # a quiet day is reported

        # later the same day, and after a restart: nothing is queued or sent again
        clock.now = DAY_AFTER + timedelta(hours=23)
        assert sched.tick() == []
        engine.close()
        engine = _engine(store, tmp_path / "alerts.db", settings)
        sched = DigestScheduler.for_engine(engine, clock=lambda: clock.now)
        assert sched.tick() == [] and engine.worker.run_once() == 0
        assert [r["status"] for r in engine.alerts.outbox(digest_key("vaksin", DAY_AFTER.date()
                                                                      - timedelta(days=1)))] == ["sent"]
        # the next day's digest is due the next day at 06:00
        clock.now = DAY_AFTER + timedelta(days=1, hours=6, minutes=1)
        assert "digest:vaksin:2024-11-02" in sched.tick()
        engine.close()
        assert len(handler.messages) == 3


def test_recipients_fallback_disabled_and_missing_smtp(tmp_path, store):
    settings = _settings(2525)  # no digest recipients: the alert e-mail target's `to`, for its campaigns only
    engine = _engine(store, tmp_path / "alerts.db", settings)
    sched = DigestScheduler.for_engine(engine)
    assert sched.recipients("asean") == ["alerts@example.go.id"] and sched.recipients("vaksin") == []
    assert sched.tick(DAY_AFTER + timedelta(hours=7)) == ["digest:asean:2024-11-01"]
    off = DigestScheduler(store, engine.alerts, AlertSettings(digest=DigestSettings(to=["a@b"])))
    assert off.tick(DAY_AFTER + timedelta(days=3, hours=7)) == []  # not enabled
    no_smtp = DigestScheduler(store, engine.alerts, AlertSettings(digest=DigestSettings(enabled=True, to=["a@b"])))
    assert no_smtp.tick(DAY_AFTER + timedelta(days=3, hours=7)) == []  # no alerts.email[0] to send through
    engine.close()


def test_digest_days_and_hour_are_local(tmp_path, store):
    """In WIB (the default zone) the day ends at 17:00 UTC: 2024-11-01's digest is due at 06:00 WIB on the 2nd,
    23:00 UTC on the 1st, and counts the posts of that WIB day."""
    settings = _settings(2525, to=["pimpinan@example.go.id"], tz="Asia/Jakarta")
    engine = _engine(store, tmp_path / "alerts.db", settings)
    sched = DigestScheduler.for_engine(engine)
    first = datetime(2024, 11, 1, tzinfo=timezone.utc)
    assert sched.due_day(first + timedelta(hours=22, minutes=59)) is None  # 05:59 WIB on the 2nd
    assert sched.due_day(first + timedelta(hours=23)) == date(2024, 11, 1)
    assert "digest:asean:2024-11-01" in sched.tick(first + timedelta(hours=23))
    assert AlertSettings().digest.tz == "Asia/Jakarta"
    engine.close()


def test_digest_settings_from_yaml_and_env(monkeypatch):
    y = AlertSettings.load({"alerts": {"digest": {"enabled": True, "campaigns": {"vaksin": ["x@y"]}}}})
    assert y.digest.enabled and y.digest.campaigns == {"vaksin": ["x@y"]} and y.digest.hour == 6
    monkeypatch.setenv("NW_ALERTS_DIGEST__ENABLED", "true")
    monkeypatch.setenv("NW_ALERTS_DIGEST__HOUR", "7")
    monkeypatch.setenv("NW_ALERTS_DIGEST__TO", '["pimpinan@example.go.id"]')
    s = AlertSettings.load({})
    assert s.digest.enabled and s.digest.hour == 7 and s.digest.to == ["pimpinan@example.go.id"]
    with pytest.raises(ValueError):
        AlertSettings.load({"alerts": {"digest": {"hour": 24}}})


def test_worker_drain_loop_ticks_the_digest(tmp_path, store):
    settings = _settings(2525, to=["pimpinan@example.go.id"])
    engine = _engine(store, tmp_path / "alerts.db", settings)
    ctx = SimpleNamespace(alerts=engine, pipeline=SimpleNamespace(spool=SimpleNamespace(batches=lambda: [])),
                          settings=Settings(data_dir=tmp_path, config_file=None))
    jobs = periodic_jobs(ctx, clock=lambda: DAY_AFTER + timedelta(hours=8))
    assert [j.__qualname__ for j in jobs] == ["EventPruner.tick", "DigestScheduler.tick"]
    stop = threading.Event()
    loop = threading.Thread(target=drain_forever, args=(ctx, stop), kwargs={"every": 0.01, "ticks": jobs})
    loop.start()
    key = digest_key("vaksin", DAY_AFTER.date() - timedelta(days=1))
    deadline = time.monotonic() + 10
    while not engine.alerts.has_outbox(key) and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    loop.join(5)
    assert engine.alerts.has_outbox(key) and not loop.is_alive()
    off = SimpleNamespace(alerts=_engine(store, tmp_path / "b.db", AlertSettings()), settings=ctx.settings)
    assert [j.__qualname__ for j in periodic_jobs(off)] == ["EventPruner.tick"]
    engine.close()
