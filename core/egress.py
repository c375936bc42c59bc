"""The one outbound-request guard (SSRF): every fetch whose target did not come from the operator goes through it.

Used by alert delivery (webhook, Telegram, SMTP) and by collectors for links found inside fetched content (claim
pages). The operator's own configured feed URLs do not go through it.

- the host is resolved ONCE and the socket connects to the vetted address itself, so a DNS answer that changes
  between check and connect (rebinding) cannot redirect the connection; TLS still verifies the real host name;
- the check sits at connect time, so every redirect hop (a new connection) is vetted as well;
- refused: loopback, private, link-local (169.254/16, fe80::/10), CGNAT, ULA, unspecified, multicast, reserved and
  anything else not globally routable, also when wrapped in IPv6: IPv4-mapped/-compatible, 6to4 (2002::/16),
  NAT64 (64:ff9b::/96; 64:ff9b:1::/48 is local-use) and Teredo.

`allow_private` turns the address check off (operators who deliberately target private hosts); `allow` exempts
exact (host, port) pairs only.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import TypeVar

import httpcore
import httpx

T = TypeVar("T")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class EgressRefused(ValueError):
    """The target is not an allowed outbound destination (permanent: retrying will not help)."""


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form carries (mapped, compatible, 6to4, well-known NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def non_public(ip: IPAddress) -> bool:
    """True when `ip` (or the IPv4 address it wraps) is not a globally routable unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and (ip in _NAT64_LOCAL or ip.teredo):
        return True
    ip = embedded_ipv4(ip) or ip
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


class EgressGuard:
    def __init__(self, allow_private: bool = False, allow: Iterable[tuple[str, int]] = ()):
        self.allow_private = allow_private
        self.allow = {(h.lower().strip("[]"), int(p)) for h, p in allow}

    def vet(self, host: str, port: int) -> list[str]:
        """Resolve `host` once; every address must pass (unless exempt). Returns the addresses to connect to."""
        host = host.lower().strip("[]")
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)  # unresolvable: gaierror (an OSError)
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise OSError(f"cannot resolve {host}")
        if self.allow_private or (host, int(port)) in self.allow:
            return addresses
        bad = [a for a in addresses if non_public(ipaddress.ip_address(a))]
        if bad:
            raise EgressRefused(f"{host}:{port} resolves to non-public address(es) {bad}")
        return addresses

    def dial(self, host: str, port: int, connect: Callable[[str], T]) -> T:
        """Vet `host` once, then `connect(address)` to each vetted address in turn until one succeeds."""
        last: Exception | None = None
        for address in self.vet(host, port):
            try:
                return connect(address)
            except Exception as exc:  # noqa: BLE001 - try the next vetted address, re-raise the last failure
                last = exc
        assert last is not None
        raise last

    def connect(self, host: str, port: int, timeout: float | None = None,
                source_address: tuple[str, int] | None = None) -> socket.socket:
        """A TCP socket to a vetted address of `host` (for non-HTTP clients such as smtplib)."""
        return self.dial(host, port, lambda a: socket.create_connection((a, port), timeout, source_address))

    def client(self, **kw) -> httpx.Client:
        """An httpx client whose every connection (redirect hops included) goes through this guard."""
        kw.setdefault("follow_redirects", False)
        return httpx.Client(transport=GuardedTransport(self), trust_env=False, **kw)  # no env proxy: it would bypass


class _PinnedBackend(httpcore.SyncBackend):
    """httpcore's socket layer, but TCP connects go to the guard's vetted address (URL, Host and SNI unchanged)."""

    def __init__(self, guard: EgressGuard):
        self.guard = guard

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        connect = super().connect_tcp
        try:
            return self.guard.dial(host, port, lambda a: connect(a, port, timeout, local_address, socket_options))
        except OSError as exc:  # unresolvable: a (retryable) connect error like any other
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc


class GuardedTransport(httpx.HTTPTransport):
    """httpx's HTTP transport on a pinned network backend; non-http(s) schemes are refused."""

    def __init__(self, guard: EgressGuard):
        # super().__init__ is not called: it builds this same pool (httpx's default limits) with no hook for the
        # socket layer, and HTTPTransport's request handling only uses self._pool
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=_PinnedBackend(guard),
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https") or not request.url.host:
            # the URL itself is not quoted: it may carry a secret (Telegram bot token)
            raise EgressRefused(f"only http(s) URLs with a host may be fetched, not {request.url.scheme!r}")
        return super().handle_request(request)
