"""Signed webhooks: body = alert JSON, X-Narrawatch-Signature: sha256=HMAC-SHA256(secret, body).

Sent through the egress guard (core/egress.py): targets resolving to private, loopback, link-local, multicast or
reserved addresses (also in IPv6 wrappers) are refused unless `allow_private_targets` is set, and the connection goes
to the address that was vetted. Redirects are not followed.
"""
from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from service.alerts.delivery.base import Outcome, refused
from core.egress import EgressGuard, EgressRefused

SIGNATURE_HEADER = "X-Narrawatch-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign(secret, body), header)


def send_webhook(url: str, secret: str, body: bytes, delivery_id: str, allow_private: bool = False,
                 timeout: float = 10.0, client: httpx.Client | None = None) -> Outcome:
    """`client`, when given, must come from `EgressGuard.client()` (the delivery loop reuses one)."""
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
               "X-Narrawatch-Delivery": delivery_id, "X-Narrawatch-Timestamp": str(int(time.time())),
               "User-Agent": "narrawatch-alerts/0.1"}
    try:
        if client is not None:
            resp = client.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
        else:
            with EgressGuard(allow_private).client(timeout=timeout) as c:
                resp = c.post(url, content=body, headers=headers)
    except EgressRefused as exc:
        return refused(exc)
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}", retry=True)
    if 200 <= resp.status_code < 300:
        return Outcome(True, resp.status_code)
    retry = resp.status_code >= 500 or resp.status_code in (408, 425, 429)
    return Outcome(False, resp.status_code, f"HTTP {resp.status_code}: {resp.text[:200]}", retry=retry)
