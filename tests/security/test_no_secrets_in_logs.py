"""No secrets in logs or in recorded errors: API keys, Telegram bot tokens, YouTube API keys, X bearer tokens,
webhook secrets."""
from __future__ import annotations

import json
import logging
import sqlite3

import httpx

from collectors.http import HttpClient
from collectors.scheduler import run
from collectors.x import XSearchCollector
from collectors.youtube import YoutubeCollector
from service.alerts.config import AlertSettings, TelegramTarget, WebhookTarget
from service.alerts.delivery.outbox import DeliveryWorker, channels_for
from service.alerts.store import AlertStore
from service.api.app import create_app
from core.domain import Alert
from core.redact import redact
from bench.loopback import receiver
from tests.api.keys import keyed_client, make_key, make_settings
from tests.factories import T0, make_post, source_state
from bench.loopback import serve

BOT_TOKEN = "987654:AAF-secretBotToken_xyz"
YT_KEY = "AIzaSyD-secretYoutubeKey123"
HOOK_SECRET = "whsec-very-secret-value"
X_TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecretXbearer%2Fvalue"


def test_redact_masks_every_kind_of_secret():
    text = (f"GET https://www.googleapis.com/youtube/v3/commentThreads?part=snippet&key={YT_KEY}&videoId=v "
            f"POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage Authorization: Bearer abc.def "
            "X-API-Key nwk_ab12cd_ZXhhbXBsZS1zZWNyZXQ")
    clean = redact(text)
    for secret in (YT_KEY, BOT_TOKEN, "abc.def", "ZXhhbXBsZS1zZWNyZXQ"):
        assert secret not in clean
    assert "videoId=v" in clean and "/sendMessage" in clean


def test_api_keys_never_logged(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = make_settings(tmp_path)
    key = make_key(settings, "admin", "*")
    with serve(create_app(settings)) as url, keyed_client(url, key) as client:
        client.post("/posts", json=[make_post(1).model_dump(mode="json")])
        client.get("/posts", params={"q": "ASEAN"})
        httpx.get(f"{url}/posts", headers={"Authorization": f"Bearer {key}"})
        httpx.get(f"{url}/posts", headers={"X-API-Key": key + "x"})  # a wrong key is not logged either
    assert caplog.records and key not in caplog.text


def test_channel_secrets_stay_out_of_logs_and_outbox_errors(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with receiver(fail_first=100) as down:  # both channels answer 503
        settings = AlertSettings(allow_private_targets=True,
                                 webhooks=[WebhookTarget(url=down.url + "/hook", secret=HOOK_SECRET)],
                                 telegram=[TelegramTarget(token=BOT_TOKEN, chat_id="-1", base_url=down.url)])
        store = AlertStore(tmp_path / "alerts.db")
        alert = Alert(id="a_1", campaign="asean", rule="kw", title="t", dedup_key="k")
        store.fire(alert, __import__("datetime").timedelta(0), T0, channels_for(settings, "asean"))
        DeliveryWorker(store, settings).run_once()
        recorded = json.dumps(store.outbox()) + json.dumps([store.attempts(r["id"]) for r in store.outbox()])
        store.close()
    assert "503" in recorded  # the failure itself is recorded
    for secret in (BOT_TOKEN, HOOK_SECRET):
        assert secret not in caplog.text and secret not in recorded


def test_youtube_key_not_in_logs_or_source_health(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)

    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": {"code": 403, "message": f"bad key for {request.url}"}})

    http = HttpClient(transport=httpx.MockTransport(forbidden), host_delay=0.0, sleep=lambda s: None)
    collector = YoutubeCollector(video_ids=["v1"], api_key=YT_KEY, campaigns=[], http=http)
    run([collector], [], sink=lambda posts: None, state=source_state(tmp_path),
        quarantine_path=tmp_path / "q.jsonl", once=True, http=http)
    with sqlite3.connect(tmp_path / "state.db") as db:  # what the store keeps, as written on disk
        health = json.dumps(db.execute("SELECT * FROM doc_sources").fetchall())
    assert "403" in health or "key" in health
    assert YT_KEY not in caplog.text and YT_KEY not in health


def test_x_bearer_token_not_in_logs_or_source_health(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)

    def unauthorized(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {X_TOKEN}"
        return httpx.Response(401, json={"title": "Unauthorized", "status": 401,
                                         "detail": f"Unauthorized: {request.headers['Authorization']}"})

    http = HttpClient(transport=httpx.MockTransport(unauthorized), host_delay=0.0, sleep=lambda s: None)
    collector = XSearchCollector(queries=["q"], bearer_token=X_TOKEN, campaigns=[], http=http)
    run([collector], [], sink=lambda posts: None, state=source_state(tmp_path),
        quarantine_path=tmp_path / "q.jsonl", once=True, http=http)
    with sqlite3.connect(tmp_path / "state.db") as db:  # what the store keeps, as written on disk
        health = json.dumps(db.execute("SELECT * FROM doc_sources").fetchall())
    assert "401" in health and X_TOKEN not in health and X_TOKEN not in caplog.text
