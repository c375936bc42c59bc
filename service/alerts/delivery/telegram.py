"""Telegram Bot API sendMessage. The base URL is configurable so tests (and self-hosted Bot API servers) work; it goes
through the egress guard like webhooks (a private/loopback base URL needs `allow_private_targets`)."""
from __future__ import annotations

import httpx

from service.alerts.delivery.base import Outcome, refused
from core.egress import EgressGuard, EgressRefused


def send_telegram(base_url: str, token: str, chat_id: str, text: str, timeout: float = 10.0,
                  allow_private: bool = False, client: httpx.Client | None = None,
                  reply_to: int | None = None) -> Outcome:
    """`client`, when given, must come from `EgressGuard.client()` (the delivery loop reuses one). `reply_to`: the
    message this one answers (the tipline), sent even if that message was deleted meanwhile."""
    url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
    body: dict = {"chat_id": chat_id, "text": text[:4096], "disable_web_page_preview": True}
    if reply_to is not None:
        body["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
    try:
        if client is not None:
            resp = client.post(url, json=body, timeout=timeout, follow_redirects=False)
        else:
            with EgressGuard(allow_private).client(timeout=timeout) as c:
                resp = c.post(url, json=body)
    except EgressRefused as exc:
        return refused(exc)
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {str(exc).replace(token, '<token>')}", retry=True)
    try:
        ok = bool(resp.json().get("ok"))
    except ValueError:
        ok = False
    if resp.status_code == 200 and ok:
        return Outcome(True, 200)
    retry = resp.status_code >= 500 or resp.status_code == 429
    return Outcome(False, resp.status_code, f"telegram HTTP {resp.status_code}: {resp.text[:200]}", retry=retry)
