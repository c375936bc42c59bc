"""Signed webhooks: body = alert JSON, X-Narrawatch-Signature: sha256=HMAC-SHA256(secret, body).

Targets resolving to private, loopback, link-local, multicast or reserved addresses are refused (every resolved
address is checked) unless `allow_private_targets` is set.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from urllib.parse import urlsplit

import httpx

from service.alerts.delivery.base import Outcome

SIGNATURE_HEADER = "X-Narrawatch-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign(secret, body), header)


class TargetRefused(ValueError):
    pass


def _forbidden(ip: ipaddress._BaseAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


def check_target(url: str, allow_private: bool = False) -> list[str]:
    """Resolve the host and refuse unsafe targets; returns the resolved addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"webhook url must be http(s) with a host: {url!r}")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectionError(f"cannot resolve {parts.hostname}: {exc}") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not allow_private:
        bad = [a for a in addresses if _forbidden(ipaddress.ip_address(a.split("%")[0]))]
        if bad:
            raise TargetRefused(f"webhook target {parts.hostname} resolves to non-public address(es) {bad}; "
                                "set alerts.allow_private_targets to allow")
    return addresses


def send_webhook(url: str, secret: str, body: bytes, delivery_id: str, allow_private: bool = False,
                 timeout: float = 10.0, client: httpx.Client | None = None) -> Outcome:
    try:
        check_target(url, allow_private)
    except TargetRefused as exc:
        return Outcome(False, None, str(exc), retry=False)
    except ConnectionError as exc:
        return Outcome(False, None, str(exc), retry=True)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
               "X-Narrawatch-Delivery": delivery_id, "X-Narrawatch-Timestamp": str(int(time.time())),
               "User-Agent": "narrawatch-alerts/0.1"}
    try:
        # redirects are not followed: a redirect could lead to a private address the check never saw
        if client is not None:
            resp = client.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
        else:
            with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as c:
                resp = c.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}", retry=True)
    if 200 <= resp.status_code < 300:
        return Outcome(True, resp.status_code)
    retry = resp.status_code >= 500 or resp.status_code in (408, 425, 429)
    return Outcome(False, resp.status_code, f"HTTP {resp.status_code}: {resp.text[:200]}", retry=retry)
