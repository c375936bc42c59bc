"""The client address of a request: the TCP peer, or, when that peer is one of NW_TRUSTED_PROXIES, the address its
X-Forwarded-For names. The server itself never rewrites the address (SERVER_OPTIONS turns uvicorn's proxy headers
off: uvicorn would otherwise believe any client on 127.0.0.1), so the rate limit and the audit log see one answer."""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence

SERVER_OPTIONS = {"proxy_headers": False}  # for uvicorn.run / uvicorn.Config (cli serve, bench/loopback.py)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(peer: str, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """Walk X-Forwarded-For from the right (the hops our proxies appended) to the first untrusted address."""
    if not proxies or not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:  # garbage from the client side: keep the last address we can vouch for
                return peer
        peer = hop
    return peer


class ClientAddressMiddleware:
    def __init__(self, app, proxies: Sequence[Network]):
        self.app = app
        self.proxies = list(proxies)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and self.proxies and scope.get("client"):
            forwarded = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k == b"x-forwarded-for"]
            host = client_address(scope["client"][0], ",".join(forwarded) or None, self.proxies)
            if host != scope["client"][0]:
                scope = {**scope, "client": (host, 0)}
        await self.app(scope, receive, send)
