"""The public tipline's inbound side: citizens' messages from the Telegram Bot API and the WhatsApp Business Cloud
API, turned into `Tip`s (what was said, by whom, how to answer). Parsers never raise on bad input: an update they do
not understand gives no tip.

- Telegram (https://core.telegram.org/bots/api#update): `message` updates of private chats only (a bot added to a
  group would otherwise store and answer other people's messages); text, or the caption of a photo/video/document;
  `forward_origin` (user, hidden_user, chat, channel) marks a forward, and a public channel/chat origin is kept.
- WhatsApp (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components): `entry[].changes[]` with
  `field == "messages"`, `value.messages[]` of type text (`text.body`) or image/video/document (`caption`);
  `context.forwarded` / `context.frequently_forwarded` mark forwards. Status callbacks carry no messages; reactions
  and system messages give no tip (answering them would be noise).
- `valid_signature`: WhatsApp's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, app secret>`.

The sender (Telegram user id, WhatsApp number) is carried in memory only; service/tipline hashes it before anything
is stored. `poll_updates` is the long-polling read (`getUpdates`) through the shared collector HTTP client.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from collectors.base import parse_dt
from collectors.http import HttpClient

TEXT_MEDIA = ("photo", "video", "document", "animation", "audio", "voice")
WHATSAPP_CAPTIONED = ("image", "video", "document")
# not something a citizen sends us to check: a reaction to our answer, a number change, an unsupported type
WHATSAPP_IGNORED = frozenset({"reaction", "system", "unsupported", "request_welcome"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass
class Tip:
    channel: str  # "telegram" | "whatsapp"
    key: str  # the platform's identity of this message (dedup across webhook retries and polling)
    sender: str  # Telegram user id / WhatsApp number: in memory only, never stored or logged
    text: str  # normalised; "" for media without caption, stickers, locations...
    created_at: datetime
    reply_ref: str  # what the answer replies to (Telegram message_id, WhatsApp message id)
    kind: str = "text"
    forwarded: bool = False
    origin: dict[str, Any] = field(default_factory=dict)  # public origin of a forward (channel/chat), no persons
    account: str | None = None  # WhatsApp phone_number_id that received it (the answer comes from the same number)
    sender_lang: str | None = None  # Telegram `from.language_code`

    @property
    def command(self) -> str | None:
        """`/start`, `/help`...: a Telegram bot command, not a tip."""
        if self.channel == "telegram" and self.text.startswith("/"):
            return self.text.split()[0].split("@")[0].lower()
        return None

    def __repr__(self) -> str:  # the sender never reaches a log line or a traceback
        return f"Tip({self.channel}, kind={self.kind}, forwarded={self.forwarded}, chars={len(self.text)})"


def normalise_text(text: Any) -> str:
    """NFC, no control or zero-width characters, no runs of blank lines, trimmed."""
    if not isinstance(text, str):
        return ""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text)).replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINES.sub("\n\n", text).strip()


def _date(value: Any) -> datetime:
    return parse_dt(value) or datetime.now(timezone.utc)  # an unreadable date still is a tip, received now


def _telegram_origin(origin: Any) -> dict[str, Any]:
    if not isinstance(origin, dict):
        return {}
    kind = str(origin.get("type") or "unknown")
    out: dict[str, Any] = {"type": kind}
    chat = origin.get("chat") if kind == "channel" else origin.get("sender_chat") if kind == "chat" else None
    if isinstance(chat, dict):  # a public channel/group is a source worth knowing; a person's name is not kept
        out["chat"] = f"@{chat['username']}" if chat.get("username") else str(chat.get("title") or "")[:200]
        if kind == "channel" and chat.get("username") and isinstance(origin.get("message_id"), int):
            out["url"] = f"https://t.me/{chat['username']}/{origin['message_id']}"
    return out


def telegram_tip(update: Any) -> Tip | None:
    """The tip in one Telegram `Update`, or None (not a private message, malformed)."""
    msg = update.get("message") if isinstance(update, dict) else None
    if not isinstance(msg, dict):
        return None
    chat, sender = msg.get("chat"), msg.get("from")
    if not isinstance(chat, dict) or chat.get("type") != "private" or not isinstance(chat.get("id"), int):
        return None
    if not isinstance(msg.get("message_id"), int) or (isinstance(sender, dict) and sender.get("is_bot")):
        return None
    kind = "text" if "text" in msg else next((k for k in TEXT_MEDIA if k in msg), "other")
    text = normalise_text(msg.get("text") if kind == "text" else msg.get("caption"))
    origin = msg.get("forward_origin")
    lang = sender.get("language_code") if isinstance(sender, dict) else None
    return Tip("telegram", f"{chat['id']}:{msg['message_id']}", str(chat["id"]), text, _date(msg.get("date")),
               str(msg["message_id"]), kind, forwarded=isinstance(origin, dict), origin=_telegram_origin(origin),
               sender_lang=lang if isinstance(lang, str) else None)


def whatsapp_tips(payload: Any) -> list[Tip]:
    """Every customer message in one WhatsApp webhook POST (statuses and other fields give none)."""
    tips: list[Tip] = []
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value") if isinstance(change.get("value"), dict) else {}
            account = (value.get("metadata") or {}).get("phone_number_id") if isinstance(value.get("metadata"),
                                                                                         dict) else None
            messages = value.get("messages")
            for m in messages if isinstance(messages, list) else []:
                if tip := _whatsapp_tip(m, account):
                    tips.append(tip)
    return tips


def _whatsapp_tip(m: Any, account: Any) -> Tip | None:
    if not isinstance(m, dict) or not isinstance(m.get("id"), str) or not isinstance(m.get("from"), str):
        return None
    kind = str(m.get("type") or "other")
    if kind in WHATSAPP_IGNORED:
        return None
    body = m.get(kind) if isinstance(m.get(kind), dict) else {}
    text = body.get("body") if kind == "text" else body.get("caption") if kind in WHATSAPP_CAPTIONED else None
    context = m.get("context") if isinstance(m.get("context"), dict) else {}
    forwarded = bool(context.get("forwarded") or context.get("frequently_forwarded"))
    origin = {"type": "frequently_forwarded" if context.get("frequently_forwarded") else "forwarded"} \
        if forwarded else {}
    return Tip("whatsapp", m["id"], m["from"], normalise_text(text), _date(m.get("timestamp")), m["id"], kind,
               forwarded=forwarded, origin=origin, account=str(account) if account else None)


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 check on the raw bytes, constant-time (before anything parses the body)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def poll_updates(http: HttpClient, base_url: str, token: str, offset: int | None, timeout: int) -> list[dict]:
    """One `getUpdates` long poll: updates with `update_id >= offset` (asking with an offset confirms the ones
    before it to Telegram). Raises CollectorHttpError on a non-200 answer (409: a webhook is set)."""
    params: dict[str, Any] = {"timeout": timeout, "allowed_updates": json.dumps(["message"])}
    if offset is not None:
        params["offset"] = offset
    fetched = http.get(f"{base_url.rstrip('/')}/bot{token}/getUpdates", params=params, respect_robots=False)
    body = fetched.json()
    result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
    if not isinstance(result, list):
        raise ValueError("getUpdates answered without a result list")
    return [u for u in result if isinstance(u, dict) and isinstance(u.get("update_id"), int)]


def set_webhook(http: HttpClient, base_url: str, token: str, url: str | None, secret: str | None) -> str:
    """Register (`url`) or remove (None) the bot's webhook: `setWebhook` with the secret Telegram will send as
    X-Telegram-Bot-Api-Secret-Token, private `message` updates only. Returns Telegram's description."""
    body: dict[str, Any] = {"url": url or "", "allowed_updates": ["message"]}
    if url and secret:
        body["secret_token"] = secret
    answer = http.post(f"{base_url.rstrip('/')}/bot{token}/setWebhook", json=body, ok_statuses=(200, 400, 401)).json()
    if not (isinstance(answer, dict) and answer.get("ok")):
        raise ValueError(f"Telegram refused setWebhook: {(answer or {}).get('description')}")
    return str(answer.get("description") or "ok")
