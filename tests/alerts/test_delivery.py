"""End-to-end delivery on 127.0.0.1: signed webhook, Telegram stand-in, SMTP (aiosmtpd); durable outbox."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from service.alerts.config import AlertSettings, EmailTarget, TelegramTarget, WebhookTarget
from service.alerts.delivery.webhook import SIGNATURE_HEADER, send_webhook, verify
from service.alerts.rules import Rule, RuleQuery
from service.store.sqlite import SQLiteStore
from bench.loopback import receiver, smtp_server
from tests.factories import T0, make_post

SECRET = "s3cret"


def _settings(**kw) -> AlertSettings:
    base = dict(allow_private_targets=True, retry_base_seconds=0.05, retry_max_seconds=0.2,
                delivery_poll_seconds=0.05)
    base.update(kw)
    return AlertSettings(**base)


def _store(tmp_path):
    s = SQLiteStore(tmp_path / "s.db")
    s.init()
    return s


def _hoax_post(n=1):
    return make_post(n, text="Awas vaksin chip di KTT ASEAN", created_at=T0 + timedelta(minutes=n))


def _until(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_webhook_telegram_email_end_to_end(tmp_path, make_engine):
    with receiver(fail_first=2) as hook, receiver() as tg, smtp_server() as (smtp, mails):
        settings = _settings(
            webhooks=[WebhookTarget(url=hook.url + "/hook", secret=SECRET)],
            telegram=[TelegramTarget(token="123:ABC", chat_id="-100", base_url=tg.url)],
            email=[EmailTarget(host="127.0.0.1", port=smtp.port, to=["pr@example.go.id"])])
        store = _store(tmp_path)
        engine = make_engine(store, settings, start=True)
        engine.put_rule(Rule(id="kw", name="chip", query=RuleQuery(any=["vaksin chip"])))
        store.upsert([_hoax_post()])
        [alert] = engine.on_batch([_hoax_post()])

        [req] = hook.wait(1)  # two 503s first: retried with backoff, then delivered
        assert verify(SECRET, req["body"], req["headers"][SIGNATURE_HEADER])
        body = json.loads(req["body"])
        assert body["alert"]["id"] == alert.id and body["alert"]["brief"]["key_messages"]
        [msg] = tg.wait(1)
        assert msg["path"] == "/bot123:ABC/sendMessage"
        sent = json.loads(msg["body"])
        assert sent["chat_id"] == "-100" and alert.id in sent["text"]
        _until(lambda: len(mails.messages) == 1)
        assert mails.messages[0].rcpt_tos == ["pr@example.go.id"]
        assert "Key message" in mails.messages[0].content.decode()

        _until(lambda: all(r["status"] == "sent" for r in engine.alerts.outbox(alert.id)))
        rows = {r["channel"]: r for r in engine.alerts.outbox(alert.id)}
        assert rows["webhook"]["attempts"] == 3 and rows["telegram"]["attempts"] == 1
        log = engine.alerts.attempts(rows["webhook"]["id"])
        assert [a["ok"] for a in log] == [0, 0, 1] and log[0]["status_code"] == 503


def test_channel_down_then_restart_delivers(tmp_path, make_engine):
    """The receiver is down while the alert fires; after a restart of the engine, the outbox delivers it."""
    store = _store(tmp_path)
    with receiver() as probe:
        dead_url = probe.url  # a port nobody listens on once this block ends
    settings = _settings(webhooks=[WebhookTarget(url=dead_url, secret=SECRET)])
    engine = make_engine(store, settings)
    engine.put_rule(Rule(id="kw", name="chip", query=RuleQuery(any=["vaksin chip"])))
    store.upsert([_hoax_post()])
    [alert] = engine.on_batch([_hoax_post()])
    assert engine.worker.run_once() == 1
    [row] = engine.alerts.outbox(alert.id)
    assert row["status"] == "pending" and row["attempts"] == 1 and "Connect" in row["last_error"]
    engine.close()

    with receiver() as hook:
        settings2 = _settings(webhooks=[WebhookTarget(url=hook.url, secret=SECRET)])
        engine2 = make_engine(store, settings2, path=tmp_path / "alerts.db", start=True)
        [req] = hook.wait(1)
        assert json.loads(req["body"])["alert"]["id"] == alert.id
        _until(lambda: engine2.alerts.outbox(alert.id)[0]["status"] == "sent")
        assert engine2.alerts.outbox(alert.id)[0]["attempts"] == 2


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://10.1.2.3/x",
                                 "http://169.254.169.254/latest", "http://[::1]:9/", "ftp://example.com/"])
def test_private_targets_refused(url):
    outcome = send_webhook(url, SECRET, b"{}", "d1", allow_private=False)
    assert not outcome.ok and outcome.retry is False and "target refused" in outcome.error


def test_refused_target_is_recorded_not_retried(tmp_path, make_engine):
    store = _store(tmp_path)
    engine = make_engine(store, _settings(allow_private_targets=False,
                                          webhooks=[WebhookTarget(url="http://127.0.0.1:9/", secret=SECRET)]))
    engine.put_rule(Rule(id="kw", name="chip", query=RuleQuery(any=["vaksin chip"])))
    [alert] = engine.on_batch([_hoax_post()])
    engine.worker.run_once()
    [row] = engine.alerts.outbox(alert.id)
    assert row["status"] == "failed" and "non-public" in row["last_error"]


def test_two_delivery_loops_on_one_outbox_send_each_alert_once(tmp_path, make_engine):
    """The API and the worker both run a delivery loop on alerts.db: claims are atomic, so no double sends."""
    import threading

    from service.alerts.delivery.outbox import channels_for
    from core.domain import Alert

    with receiver() as hook:
        settings = _settings(webhooks=[WebhookTarget(url=hook.url + "/hook", secret=SECRET)])
        store = _store(tmp_path)
        api_side = make_engine(store, settings)
        worker_side = make_engine(store, settings)  # same alerts.db, like a second process
        ids = []
        for n in range(20):
            alert = Alert(id=f"a_{n:02d}", campaign="asean", rule="kw", title=f"alert {n}", dedup_key=f"k{n}")
            saved, created = api_side.alerts.fire(alert, timedelta(0), T0, channels_for(settings, "asean"))
            assert created
            ids.append(saved.id)
        threads = [threading.Thread(target=side.worker.run_once) for side in (api_side, worker_side) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        got = [json.loads(r["body"])["alert"]["id"] for r in hook.wait(20)]
        time.sleep(0.3)  # a double send would arrive late
        assert sorted(got) == ids and len(hook.requests) == 20
        assert {r["status"] for r in api_side.alerts.outbox()} == {"sent"}
