"""Tipline parsers on the recorded WhatsApp notifications (pywa's test data) and Bot API-shaped Telegram updates."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from collectors.tipline import normalise_text, telegram_tip, valid_signature, whatsapp_tips

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_telegram_updates_give_private_texts_captions_and_forwards():
    updates = _load("telegram_updates.json")["result"]
    tips = [telegram_tip(u) for u in updates]
    start, text, photo, video, hidden, sticker, group, edited = tips
    assert start.command == "/start" and text.command is None
    assert text.text.startswith("Benarkah ini?") and text.kind == "text" and not text.forwarded
    assert text.key == "710000001:12" and text.reply_ref == "12" and text.sender_lang == "id"
    assert photo.kind == "photo" and photo.text == "Beredar foto antrean BBM di Jakarta" and photo.forwarded
    assert photo.origin == {"type": "channel", "chat": "@infoviral_id", "url": "https://t.me/infoviral_id/4521"}
    assert video.kind == "video" and video.forwarded and video.origin == {"type": "user"}  # no person's name kept
    assert hidden.forwarded and hidden.origin == {"type": "hidden_user"}
    assert sticker.text == "" and sticker.kind == "other"
    assert group is None and edited is None  # groups and edits are not tips
    assert "710000001" not in repr(text)  # the sender never reaches a log line


def test_whatsapp_recorded_notifications():
    data = _load("whatsapp_webhook_pywa.json")
    [text] = whatsapp_tips(data["text"])
    assert (text.text, text.kind, text.sender, text.key, text.account) == (
        "Body Text", "text", "972987654321", "wamid.xyzxyz", "1122334455667")
    [image] = whatsapp_tips(data["image"])
    assert image.text == "" and image.kind == "image"
    [video] = whatsapp_tips(data["video"])
    assert video.text == "caption" and video.forwarded and video.origin == {"type": "forwarded"}
    assert whatsapp_tips(data["sent"]) == []  # a status callback carries no message
    assert whatsapp_tips(data["reaction"]) == []  # a reaction to our answer is not a tip
    for junk in (None, [], {"entry": "x"}, {"entry": [{"changes": [{"field": "messages", "value": {"messages": [1]}}]}]}):
        assert whatsapp_tips(junk) == []


def test_signature_is_hmac_of_the_raw_body():
    body = json.dumps(_load("whatsapp_webhook_pywa.json")["text"]).encode()
    good = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert valid_signature("app-secret", body, good)
    assert not valid_signature("app-secret", body + b" ", good)
    assert not valid_signature("other", body, good)
    assert not valid_signature("app-secret", body, None) and not valid_signature("app-secret", body, good[7:])


def test_normalise_text():
    assert normalise_text(" Cek\u200b ini\r\n\r\n\r\n\r\nya\x00 ") == "Cek ini\n\nya"
    assert normalise_text(None) == ""


def test_webhook_secret_path_and_bot_token_are_masked_in_logs():
    from core.redact import redact

    line = redact('127.0.0.1 - "POST /tipline/telegram/hook-path-5f1c?x=1 HTTP/1.1" 200; '
                  "GET https://api.telegram.org/bot123:ABC/getUpdates?offset=5")
    assert "hook-path-5f1c" not in line and "123:ABC" not in line
    assert "/tipline/telegram/[redacted]" in line and "/bot[redacted]/getUpdates" in line


def test_telegram_webhook_command_registers_path_and_secret(tmp_path):
    from typer.testing import CliRunner

    from service.cli import app
    from tests.collectors.loopback import loopback

    def respond(seen):  # setWebhook as the Bot API answers it
        if not seen.path.startswith("/botTOKEN:1/"):
            return 401, {"Content-Type": "application/json"}, json.dumps(
                {"ok": False, "error_code": 401, "description": "Unauthorized"})
        said = "Webhook was set" if seen.body.get("url") else "Webhook was deleted"
        return 200, {"Content-Type": "application/json"}, json.dumps({"ok": True, "result": True, "description": said})

    with loopback(respond) as tg:
        def run(token: str, *args: str):
            cfg = tmp_path / "nw.yaml"
            cfg.write_text(f"tipline:\n  telegram: {{token: '{token}', webhook_path: 'p4th', webhook_secret: 's3c', "
                           f"base_url: '{tg.url}'}}\n", encoding="utf-8")
            return CliRunner().invoke(app, ["tipline", "telegram-webhook", *args, "--config", str(cfg)],
                                      env={"NW_DATA_DIR": str(tmp_path / "var")})

        done = run("TOKEN:1", "https://nw.example.go.id/")
        assert done.exit_code == 0 and "Webhook was set" in done.output
        assert tg.requests[-1].body == {"url": "https://nw.example.go.id/tipline/telegram/p4th",
                                        "allowed_updates": ["message"], "secret_token": "s3c"}
        assert run("TOKEN:1", "--delete").exit_code == 0 and tg.requests[-1].body["url"] == ""
        refused = run("WRONG:9", "https://nw.example.go.id")
        assert refused.exit_code == 1 and "Unauthorized" in refused.output and "WRONG:9" not in refused.output
        assert run("TOKEN:1").exit_code == 2  # no URL and no --delete
