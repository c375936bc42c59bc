"""The public tipline end to end on loopback: the served API receives Telegram and WhatsApp webhooks (payloads per
the recorded fixtures), answers through a fake Telegram Bot API and a fake Graph API (real HTTP servers on
127.0.0.1, answering as the official references document), stores tips as posts and lets the PR desk answer.

Security claims and the mutation each one catches:
- missing/wrong X-Hub-Signature-256 → 401/403 and nothing stored (drop the `valid_signature` check);
- missing/wrong X-Telegram-Bot-Api-Secret-Token → 401 and nothing stored (drop the header comparison);
- WhatsApp retry of the same notification → one post, one answer (drop `store.begin`'s duplicate check);
- sender hash not reversible and absent from every API answer (hash without the salt; put the hash in `raw`);
- rate limit per sender: one notice then silence (drop the `admit` call / its `noticed` flag);
- each sender answered at most once per alert (drop `claim_answer`)."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import time
from pathlib import Path

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import AuthConfig
from service.claim_store import ClaimStore
from service.store.base import PostQuery
from tests.api.keys import CAMPAIGNS_YAML, keyed_client, make_key, make_settings
from tests.collectors.loopback import loopback
from bench.loopback import serve

FIXTURES = Path(__file__).parents[1] / "collectors" / "fixtures"
APP_SECRET, VERIFY_TOKEN, ACCESS_TOKEN, PHONE_ID = "wa-app-secret", "wa-verify", "EAAG-test-token", "1122334455667"
BOT_TOKEN, HOOK_PATH, HOOK_SECRET = "123456:ABC-tipline", "hook-path-5f1c", "tg-secret-token"
CLAIM_URL = "https://turnbackhoax.id/2025/01/07/salah-vaksin-covid-19-mengandung-microchip-pelacak/"
MATCHING = "Vaksin COVID-19 mengandung microchip pelacak untuk memantau penerima vaksin, sebarkan sebelum dihapus"
UNMATCHED = "Ada kabar jalan tol Trans Jawa ditutup total minggu depan, benarkah?"
ENGLISH = "Is it true that the new stunting program gives every family free money from tomorrow?"


class Fakes:
    """Fake Telegram Bot API and Graph API: record every call, answer as the references document."""

    def __init__(self):
        self.updates: list[dict] = []
        self.sent = 0

    def telegram(self, seen):
        if seen.path != f"/bot{BOT_TOKEN}/{seen.path.rsplit('/', 1)[-1]}":
            return 401, {"Content-Type": "application/json"}, json.dumps(
                {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if seen.path.endswith("/getUpdates"):
            offset = int(seen.query.get("offset") or 0)
            result = [u for u in self.updates if u["update_id"] >= offset]
            return 200, {"Content-Type": "application/json"}, json.dumps({"ok": True, "result": result})
        body = seen.body or {}
        self.sent += 1
        message = {"message_id": 9000 + self.sent, "from": {"id": 123456, "is_bot": True, "first_name": "Tipline"},
                   "chat": {"id": int(body.get("chat_id", 0)), "type": "private"}, "date": int(time.time()),
                   "text": body.get("text", "")}
        return 200, {"Content-Type": "application/json"}, json.dumps({"ok": True, "result": message})

    def graph(self, seen):
        if seen.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, {"Content-Type": "application/json"}, json.dumps({"error": {
                "message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190,
                "fbtrace_id": "A1b2C3"}})
        to = (seen.body or {}).get("to")
        return 200, {"Content-Type": "application/json"}, json.dumps({
            "messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": "wamid.HBgLMTIzNDU2Nzg5MBUCABEYEjA5RkQ4"}]})


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tipline")
    fakes = Fakes()
    with loopback(fakes.telegram) as tg, loopback(fakes.graph) as graph:
        config = CAMPAIGNS_YAML + f"""tipline:
  allow_private_targets: true
  rate_limit: 3
  telegram: {{token: "{BOT_TOKEN}", webhook_path: "{HOOK_PATH}", webhook_secret: "{HOOK_SECRET}",
             base_url: "{tg.url}", poll_timeout: 0}}
  whatsapp: {{app_secret: "{APP_SECRET}", verify_token: "{VERIFY_TOKEN}", phone_number_id: "{PHONE_ID}",
             access_token: "{ACCESS_TOKEN}", graph_url: "{graph.url}"}}
"""
        settings = make_settings(tmp, config)
        ClaimStore(settings).put([{
            "id": "tbh-chip", "title": "[SALAH] Vaksin COVID-19 Mengandung Microchip Pelacak",
            "text": "Vaksin COVID-19 mengandung microchip pelacak untuk memantau penerima vaksin", "url": CLAIM_URL,
            "verdict": "salah", "source": "turnbackhoax.id"}])
        app = create_app(settings, auth_config=AuthConfig(rate_per_second=1000, burst=1000,
                                                          anon_rate_per_second=1000, anon_burst=1000))
        with serve(app) as url, httpx.Client(base_url=url, timeout=60) as anon:
            keys = {"admin": make_key(settings, "admin", "*"), "pr": make_key(settings, "pr", "kemkes")}
            admin, pr = keyed_client(url, keys["admin"]), keyed_client(url, keys["pr"])
            yield type("Desk", (), dict(url=url, anon=anon, admin=admin, pr=pr, tg=tg, graph=graph, fakes=fakes,
                                        settings=settings, app=app, keys=keys))
            admin.close()
            pr.close()


def _ctx(desk):
    return desk.app.state.ctx


def _wa(number: str, mid: str, text: str, kind: str = "text") -> dict:
    payload = copy.deepcopy(json.loads((FIXTURES / "whatsapp_webhook_pywa.json").read_text())[kind])
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = number
    message = value["messages"][0]
    message.update({"from": number, "id": mid})
    if kind == "text":
        message["text"]["body"] = text
    else:
        message[kind]["caption"] = text
    return payload


def _signed(desk, payload: dict, secret: str | None = APP_SECRET, header: str | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = header or "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return desk.anon.post("/tipline/whatsapp", content=body, headers=headers)


def _tg_update(update_id: int, chat_id: int, message_id: int, text: str, **extra) -> dict:
    user = {"id": chat_id, "is_bot": False, "first_name": "Warga", "language_code": "id"}
    return {"update_id": update_id, "message": {"message_id": message_id, "from": user,
                                                "chat": {"id": chat_id, "first_name": "Warga", "type": "private"},
                                                "date": int(time.time()), "text": text, **extra}}


def _tg(desk, update: dict, secret: str | None = HOOK_SECRET, path: str = HOOK_PATH) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return desk.anon.post(f"/tipline/telegram/{path}", json=update, headers=headers)


def _tips(desk) -> list:
    return list(_ctx(desk).store.scan(PostQuery(platform="tipline")))


def _to(server, who: str) -> list:
    """What the fake platform received for one recipient (Telegram chat_id / WhatsApp number)."""
    return [s.body for s in server.requests if s.method == "POST" and s.body
            and str(s.body.get("chat_id", s.body.get("to"))) == who]


def test_whatsapp_verification_handshake(desk):
    ok = desk.anon.get("/tipline/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                    "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
                   {"hub.mode": "subscribe", "hub.challenge": "1"}):
        assert desk.anon.get("/tipline/whatsapp", params=params).status_code == 403


def test_unsigned_or_wrongly_signed_whatsapp_is_rejected_and_nothing_stored(desk):
    payload = _wa("6281100000001", "wamid.sig-1", MATCHING)
    before = len(desk.graph.requests)
    assert _signed(desk, payload, secret=None).status_code == 401
    assert _signed(desk, payload, secret="not-the-app-secret").status_code == 403
    other = "sha256=" + hmac.new(APP_SECRET.encode(), b"{}", hashlib.sha256).hexdigest()  # a valid sig of other bytes
    assert _signed(desk, payload, header=other).status_code == 403
    assert _signed(desk, payload, header="sha1=" + "0" * 40).status_code == 403
    assert _tips(desk) == [] and _ctx(desk).tipline.store.db.execute("SELECT count(*) FROM tips").fetchone()[0] == 0
    assert len(desk.graph.requests) == before


def test_wrong_telegram_secret_is_rejected_and_nothing_stored(desk):
    update = _tg_update(500000001, 810000001, 1, MATCHING)
    assert _tg(desk, update, secret=None).status_code == 401
    assert _tg(desk, update, secret="guess").status_code == 401
    assert _tg(desk, update, path="guessed-path").status_code == 404
    assert not _to(desk.tg, "810000001")
    assert all(p.raw.get("channel") != "telegram" for p in _tips(desk))


def test_whatsapp_matching_tip_is_answered_with_the_debunk_once_despite_retries(desk):
    number = "6281100000002"
    payload = _wa(number, "wamid.HBgNNjI4MTEwMDAwMDAwMhUCABIYFDNBMDY", MATCHING, kind="video")
    for _ in range(3):  # WhatsApp re-delivers a notification until it gets a 200; here it got them all
        assert _signed(desk, payload).status_code == 200
    [answer] = _to(desk.graph, number)
    assert CLAIM_URL in answer["text"]["body"] and "Microchip Pelacak" in answer["text"]["body"]
    assert "[SALAH]" not in answer["text"]["body"]
    assert answer["context"] == {"message_id": "wamid.HBgNNjI4MTEwMDAwMDAwMhUCABIYFDNBMDY"}
    assert answer["messaging_product"] == "whatsapp" and answer["type"] == "text"
    [post] = [p for p in _tips(desk) if p.text == MATCHING]
    assert post.platform == "tipline" and post.classification.matched_claim_url == CLAIM_URL
    assert post.raw == {"channel": "whatsapp", "kind": "video", "forwarded": True,
                        "forward_origin": {"type": "forwarded"}}
    assert "vaksin" in post.campaigns  # tagged like any other post


def test_telegram_unmatched_tip_is_under_review_in_its_language(desk):
    chat = 810000002
    forwarded = {"forward_origin": {"type": "channel", "chat": {"id": -1001, "title": "Info", "username": "infoku",
                                                                "type": "channel"}, "message_id": 77, "date": 1}}
    assert _tg(desk, _tg_update(500000010, chat, 21, UNMATCHED, **forwarded)).status_code == 200
    assert _tg(desk, _tg_update(500000011, chat, 22, ENGLISH)).status_code == 200
    first, second = _to(desk.tg, str(chat))
    assert "sedang ditinjau" in first["text"] and first["reply_parameters"]["message_id"] == 21
    assert "under review" in second["text"] and second["reply_parameters"]["message_id"] == 22
    assert UNMATCHED not in first["text"] and ENGLISH not in second["text"]  # never echoed
    [post] = [p for p in _tips(desk) if p.text == UNMATCHED]
    assert post.url == "https://t.me/infoku/77" and post.raw["forward_origin"]["chat"] == "@infoku"
    assert post.classification.matched_claim_id is None


def test_rate_limit_per_sender_one_notice_then_silence(desk):
    chat, other = 810000003, 810000004
    for n in range(6):
        assert _tg(desk, _tg_update(500000100 + n, chat, 100 + n, f"{UNMATCHED} nomor {n}")).status_code == 200
    assert _tg(desk, _tg_update(500000200, other, 1, f"{UNMATCHED} dari orang lain")).status_code == 200
    answers = [a["text"] for a in _to(desk.tg, str(chat))]
    assert len(answers) == 4 and all("ditinjau" in a for a in answers[:3]) and "banyak pesan" in answers[3]
    assert sum(p.text.startswith(UNMATCHED + " nomor") for p in _tips(desk)) == 3  # the flood is not counted
    assert len(_to(desk.tg, str(other))) == 1


def test_sender_is_only_a_salted_hash_and_never_in_the_api(desk):
    number, chat = "6281100000005", 810000005
    assert _signed(desk, _wa(number, "wamid.HBgNNjI4MTEwMDAwMDAwNRUCABIYFDNBRkI1", MATCHING)).status_code == 200
    assert _tg(desk, _tg_update(500000300, chat, 5, MATCHING + " lagi")).status_code == 200
    store = _ctx(desk).tipline.store
    hashes = [h for (h,) in store.db.execute("SELECT sender FROM tips")]
    salt = (desk.settings.data_dir / "tipline.salt")
    assert salt.stat().st_mode & 0o077 == 0
    # without the salt, hashing the numbers around it (and the number itself, any common way) finds nothing
    guesses = {hashlib.sha256(f"{p}{n}".encode()).hexdigest() for n in range(6281100000000, 6281100010000)
               for p in ("", "+", "whatsapp\x1f", "sender\x1fwhatsapp\x1f")}
    assert not guesses & set(hashes)
    secrets_ = [number, str(chat), "wamid.HBgNNjI4MTEwMDAwMDAwNRUCABIYFDNBRkI1", *hashes]
    ids = [p.id for p in _tips(desk)]
    [alert] = desk.admin.get("/alerts").json()[:1] or [None]
    paths = ["/posts?platform=tipline&limit=100", "/export/posts?platform=tipline", "/tipline/tips?limit=500",
             "/tipline/tips?campaign=vaksin", "/alerts", "/narratives?campaign=vaksin", "/sources", "/auth/audit",
             *[f"/posts/{i}" for i in ids]] + ([f"/alerts/{alert['id']}", f"/tipline/tips?alert={alert['id']}"]
                                               if alert else [])
    for path in paths:
        resp = desk.admin.get(path)
        assert resp.status_code == 200, path
        leaked = [s for s in secrets_ if s in resp.text]
        assert not leaked, f"{path} shows a sender ({len(leaked)} values)"
    audit = desk.admin.get("/auth/audit").text
    assert HOOK_PATH not in audit and "/tipline/telegram/[redacted]" in audit


def test_alert_desk_answers_each_sender_once(desk):
    rule = desk.admin.post("/rules", json={"name": "bansos tipline", "campaign": "stunting",
                                           "query": {"any": ["bansos stunting"], "platforms": ["tipline"]}})
    assert rule.status_code == 201
    text = "Bansos stunting dibagikan lewat tautan ini, isi data KTP"
    senders = [("6281100000010", "wamid.a1"), ("6281100000011", "wamid.a2"), ("6281100000010", "wamid.a3")]
    for number, mid in senders:
        assert _signed(desk, _wa(number, mid, f"{text} {mid}")).status_code == 200
    assert _tg(desk, _tg_update(500000400, 810000010, 9, f"{text} telegram")).status_code == 200
    [alert] = [a for a in desk.pr.get("/alerts", params={"campaign": "stunting"}).json()
               if a["rule"] == rule.json()["id"]]
    tips = desk.pr.get("/tipline/tips", params={"alert": alert["id"]}).json()
    assert tips["count"] == 4 and {t["channel"] for t in tips["tips"]} == {"whatsapp", "telegram"}
    assert all(t["answer"] == "review" and t["platform"] == "tipline" for t in tips["tips"])

    counter = "Bansos stunting tidak pernah meminta data KTP lewat tautan. Cek info resmi di kemkes.go.id"
    first = desk.pr.post(f"/alerts/{alert['id']}/tip-answers", json={"text": counter})
    assert first.status_code == 200 and first.json() == {"senders": 3, "sent": 3, "already": 0, "unreachable": 0,
                                                         "failed": 0}
    again = desk.pr.post(f"/alerts/{alert['id']}/tip-answers", json={"text": counter})
    assert again.json()["sent"] == 0 and again.json()["already"] == 3
    got = [b["text"]["body"] for b in _to(desk.graph, "6281100000010")] + \
        [b["text"] for b in _to(desk.tg, "810000010")]
    assert got.count(counter) == 2 and [b["text"]["body"] for b in _to(desk.graph, "6281100000011")].count(counter) == 1
    trail = desk.pr.get(f"/alerts/{alert['id']}").json()["audit"]
    assert [e["detail"]["sent"] for e in trail if e["action"] == "tipline.answer"] == [3, 0]
    # another workspace's key neither sees these tips nor answers their senders
    other = keyed_client(desk.url, make_key(desk.settings, "pr", "kemlu"))
    assert other.get("/tipline/tips", params={"alert": alert["id"]}).status_code == 404
    assert other.post(f"/alerts/{alert['id']}/tip-answers", json={"text": "x"}).status_code == 404
    other.close()


def test_poll_offset_survives_a_restart(desk):
    from collectors.http import HttpClient
    from service.store.leases import Leases
    from service.store.sources import SourceState
    from service.tipline.poller import SOURCE, TelegramPoller

    def update(n: int) -> dict:  # one chat per update: the rate limit stays out of this test
        return _tg_update(600000000 + n, 820000000 + n, 1, f"{UNMATCHED} kabar {n}")

    def answered() -> int:
        return sum(len(_to(desk.tg, str(820000000 + n))) for n in range(1, 6))

    http = HttpClient(host_delay=0, max_attempts=1)

    def worker(owner: str) -> TelegramPoller:
        return TelegramPoller(_ctx(desk).tipline, SourceState.open(desk.settings, owner),
                              Leases.open(desk.settings, owner, ttl=60), http)

    desk.fakes.updates[:] = [update(1), update(2)]
    first = worker("worker-1")
    assert first.round() == 2
    assert worker("worker-2").round() is None  # one poller at a time (Telegram answers 409 to a second one)
    first.release()  # worker-1 stops

    desk.fakes.updates.append(update(3))  # the next worker asks from the update after the last one handled
    second = worker("worker-2")
    assert second.offset() == 600000003 and second.round() == 1
    assert [s.query for s in desk.tg.requests if s.path.endswith("/getUpdates")][-1].get("offset") == "600000003"
    assert answered() == 3

    desk.fakes.updates.append(update(4))  # killed after handling update 4, before its offset was saved
    commit = second.state.commit_batch
    second.state.commit_batch = lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt("killed"))
    with pytest.raises(KeyboardInterrupt):
        second.round()
    second.state.commit_batch = commit
    assert second.round() == 1  # update 4 comes back once more ...
    assert answered() == 4 and sum(p.text.endswith("kabar 4") for p in _tips(desk)) == 1  # ... and is not repeated
    assert second.offset() == 600000005
    row = second.state.get(SOURCE)
    assert row["healthy"] and row["last_success"] and row["items_collected"] == 4
    second.release()


def test_no_secret_sender_or_tip_text_in_logs(desk, caplog):
    from pydantic import SecretStr

    from core import redact

    redact.install()  # as `narrawatch serve` and the worker do
    caplog.set_level(logging.DEBUG)
    number, chat = "6281100000040", 810000040
    whatsapp = _ctx(desk).tipline.settings.whatsapp
    token = whatsapp.access_token
    whatsapp.access_token = SecretStr("EAAG-revoked-token")  # the Graph API refuses the answer: a warning is logged
    try:
        assert _signed(desk, _wa(number, "wamid.HBgNNjI4MTEwMDAwMDA0MBUCABIYFDNBRkQ5", UNMATCHED + " log")).status_code == 200
        assert _tg(desk, _tg_update(500000500, chat, 1, UNMATCHED + " log")).status_code == 200
        assert _tg(desk, _tg_update(500000501, chat, 2, "x"), path="not-the-path").status_code == 404
    finally:
        whatsapp.access_token = token
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not sent" in logged and "/bot[redacted]/sendMessage" in logged  # the failure and the calls were logged
    for secret in (number, str(chat), "NjI4MTEwMDAwMDA0MBU", BOT_TOKEN, HOOK_SECRET, APP_SECRET, ACCESS_TOKEN,
                   "EAAG-revoked-token", VERIFY_TOKEN, UNMATCHED):
        assert secret not in logged
