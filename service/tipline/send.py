"""Answers to tip senders, through the one outbound guard (core/egress.py) like every alert delivery: Telegram via
the alert channel's sendMessage (service/alerts/delivery/telegram.py), WhatsApp via the Graph API's
`POST /{version}/{phone-number-id}/messages` (text message, `context.message_id` = the tip it answers)."""
from __future__ import annotations

import httpx

from core.egress import EgressGuard, EgressRefused
from service.alerts.delivery.base import Outcome, refused
from service.alerts.delivery.telegram import send_telegram
from service.tipline.config import TiplineSettings


class Replier:
    def __init__(self, settings: TiplineSettings):
        self.settings = settings
        self.client = EgressGuard(settings.allow_private_targets).client(timeout=settings.send_timeout)

    def send(self, channel: str, address: str, text: str, reply_ref: str | None = None,
             account: str | None = None) -> Outcome:
        if channel == "telegram" and self.settings.telegram_on:
            tg = self.settings.telegram
            return send_telegram(tg.base_url, tg.token.get_secret_value(), address, text,
                                 timeout=self.settings.send_timeout, client=self.client,
                                 reply_to=int(reply_ref) if reply_ref and reply_ref.isdigit() else None)
        if channel == "whatsapp" and self.settings.whatsapp_on:
            return self._whatsapp(address, text, reply_ref, account)
        return Outcome(False, None, f"{channel} is not configured", retry=False)

    def _whatsapp(self, to: str, text: str, reply_ref: str | None, account: str | None) -> Outcome:
        wa = self.settings.whatsapp
        url = f"{wa.graph_url.rstrip('/')}/{wa.graph_version}/{account or wa.phone_number_id}/messages"
        body: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
                      "text": {"preview_url": False, "body": text[:4096]}}
        if reply_ref:
            body["context"] = {"message_id": reply_ref}
        headers = {"Authorization": f"Bearer {wa.access_token.get_secret_value()}"}
        try:
            resp = self.client.post(url, json=body, headers=headers, follow_redirects=False)
        except EgressRefused as exc:
            return refused(exc)
        except httpx.HTTPError as exc:
            return Outcome(False, None, f"{type(exc).__name__}", retry=True)
        if resp.status_code == 200:
            return Outcome(True, 200)
        # Graph errors name the recipient in some messages: keep the code only
        try:
            code = (resp.json().get("error") or {}).get("code")
        except ValueError:
            code = None
        return Outcome(False, resp.status_code, f"graph HTTP {resp.status_code} error code {code}",
                       retry=resp.status_code >= 500 or resp.status_code == 429)

    def close(self) -> None:
        self.client.close()
