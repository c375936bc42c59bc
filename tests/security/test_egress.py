"""SSRF: the one egress guard (core/egress.py) on every fetch whose target the operator did not configure.

Real loopback servers record every request; DNS is faked by monkeypatching socket.getaddrinfo for made-up names
only, and socket.create_connection is wrapped to record (and, for the "public" address, route) each TCP connect.
"""
from __future__ import annotations

import ipaddress
import socket
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiosmtpd.controller  # noqa: F401 - imported before `net` patches socket (it binds create_connection)
import pytest

from collectors.http import CollectorHttpError, HttpClient
from collectors.rss import RssCollector
from service.alerts.config import AlertSettings, EmailTarget, TelegramTarget
from service.alerts.delivery.email import send_email
from service.alerts.delivery.outbox import DeliveryWorker, channels_for
from service.alerts.delivery.telegram import send_telegram
from service.alerts.delivery.webhook import send_webhook
from service.alerts.store import AlertStore
from core.domain import Alert, Campaign
from core.egress import EgressGuard, non_public
from bench.loopback import smtp_server
from tests.factories import T0
from bench.loopback import serving_http

PUBLIC = "93.184.216.34"  # a globally routable address; the test routes connects to it onto a loopback server
PRIVATE_FORMS = ["127.0.0.1", "::1", "169.254.169.254", "2002:7f00:1::", "::ffff:127.0.0.1", "64:ff9b::7f00:1"]


class Server:
    """Loopback HTTP server recording every request; `answer(handler)` -> (status, headers, body)."""

    def __init__(self, answer=None):
        self.hits: list[dict] = []
        self.answer = answer or (lambda h: (200, {"Content-Type": "application/json"}, b'{"ok": true}'))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.hits.append({"method": self.command, "path": self.path, "host": self.headers.get("Host"),
                                    "body": self.rfile.read(length)})
                status, headers, body = server.answer(self)
                self.send_response(status)
                for k, v in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _any  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(answer=None):
    s = Server(answer)
    with serving_http(s.httpd):
        yield s


class Net:
    """Fake DNS for made-up names (a list of answers per name: one per lookup, the last one repeats) and a record
    of every TCP connect; connects to PUBLIC are routed to `public_port` on 127.0.0.1."""

    def __init__(self, monkeypatch):
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.connects: list[tuple[str, int]] = []
        self.public_port: int | None = None
        real_gai, real_connect = socket.getaddrinfo, socket.create_connection

        def getaddrinfo(host, port, *args, **kw):
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in self.answers:
                return real_gai(host, port, *args, **kw)
            self.lookups.append(name)
            seq = self.answers[name]
            ip = seq.pop(0) if len(seq) > 1 else seq[0]
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            sockaddr = (ip, int(port or 0), 0, 0) if family == socket.AF_INET6 else (ip, int(port or 0))
            return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]

        def create_connection(address, *args, **kw):
            self.connects.append((str(address[0]), int(address[1])))
            if address[0] == PUBLIC:
                if self.public_port is None:
                    raise ConnectionRefusedError("no route to the public test address")
                address = ("127.0.0.1", self.public_port)
            return real_connect(address, *args, **kw)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


@pytest.fixture
def net(monkeypatch):
    return Net(monkeypatch)


# --- the address rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("address", PRIVATE_FORMS + [
    "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "fe80::1",
    "fc00::1", "fd00:ec2::254", "::", "ff02::1", "::127.0.0.1", "64:ff9b:1::1", "2002:a01:203::1",
    "2002:a9fe:a9fe::", "64:ff9b::a9fe:a9fe", "::ffff:169.254.169.254", "2001:0:4136:e378:8000:63bf:3fff:fdd2"])
def test_non_public_addresses_and_their_ipv6_wrappings_are_refused(address):
    assert non_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822",
                                     "2002:5db8:d822::1", "::ffff:93.184.216.34"])
def test_public_addresses_pass(address):
    assert not non_public(ipaddress.ip_address(address))


# --- every untrusted fetch refuses every private form, before any connect -------------------------------------

def _via_claim_page(url, host, port):
    with pytest.raises(CollectorHttpError) as err:
        HttpClient(host_delay=0.0).get(url, untrusted=True)
    return str(err.value)


def _via_webhook(url, host, port):
    outcome = send_webhook(url, "k", b"{}", "d1")
    assert not outcome.ok and outcome.retry is False
    return outcome.error


def _via_telegram(url, host, port):
    outcome = send_telegram(url, "123:ABC", "-1", "hello")
    assert not outcome.ok and outcome.retry is False
    return outcome.error


def _via_email(url, host, port):
    outcome = send_email(host, port, "nw@example.org", ["pr@example.org"], "s", "t")
    assert not outcome.ok and outcome.retry is False
    return outcome.error


@pytest.mark.parametrize("channel", [_via_claim_page, _via_webhook, _via_telegram, _via_email],
                         ids=["claim_page", "webhook", "telegram", "email"])
@pytest.mark.parametrize("form", PRIVATE_FORMS)
def test_private_forms_refused_on_every_channel(net, form, channel):
    with serving() as server:
        net.answers["internal.example"] = [form]
        error = channel(f"http://internal.example:{server.port}/x", "internal.example", server.port)
        ip_literal = f"[{form}]" if ":" in form else form
        error2 = channel(f"http://{ip_literal}:{server.port}/x", form, server.port)
    assert "non-public" in error and "non-public" in error2
    assert net.connects == [] and server.hits == []


# --- DNS rebinding: the connection goes to the address that was vetted ----------------------------------------

def test_rebinding_webhook_connects_to_the_vetted_address_only(net):
    """rebind.example answers a public address to the first lookup and 127.0.0.1 afterwards. The guard resolves
    once and connects to that public address (routed here to the `vetted` loopback server); the loopback target
    the second answer points at is never reached."""
    with serving() as vetted, serving() as internal:
        net.public_port = vetted.port
        net.answers["rebind.example"] = [PUBLIC, "127.0.0.1"]
        outcome = send_webhook(f"http://rebind.example:{internal.port}/hook", "k", b"{}", "d1")
    assert outcome.ok, outcome.error
    assert net.connects == [(PUBLIC, internal.port)] and net.lookups == ["rebind.example"]
    assert internal.hits == [] and [h["host"] for h in vetted.hits] == [f"rebind.example:{internal.port}"]


def test_rebinding_claim_page_connects_to_the_vetted_address_only(net):
    with serving(lambda h: (200, {}, b"page")) as vetted, serving() as internal:
        net.public_port = vetted.port
        net.answers["rebind.example"] = [PUBLIC, "127.0.0.1"]
        page = HttpClient(host_delay=0.0).get(f"http://rebind.example:{internal.port}/a", untrusted=True,
                                              respect_robots=False)  # one connection, one lookup
    assert page.text == "page" and internal.hits == [] and [h["path"] for h in vetted.hits] == ["/a"]
    assert net.connects == [(PUBLIC, internal.port)] and net.lookups == ["rebind.example"]


def test_rebinding_smtp_connects_to_the_vetted_address_only(net):
    with smtp_server() as (vetted, vetted_mails), smtp_server() as (internal, internal_mails):
        net.public_port = vetted.port
        net.answers["rebind.example"] = [PUBLIC, "127.0.0.1"]
        outcome = send_email("rebind.example", internal.port, "nw@example.org", ["pr@example.org"], "s", "t")
    assert outcome.ok, outcome.error
    assert net.connects == [(PUBLIC, internal.port)] and net.lookups == ["rebind.example"]
    assert len(vetted_mails.messages) == 1 and internal_mails.messages == []


# --- redirects: every hop is vetted ----------------------------------------------------------------------------

def test_redirect_hop_to_a_private_address_is_refused(net):
    """The first hop is explicitly allowed (so a loopback server can play it); it redirects to another loopback
    server, which is not allowed and must see no request at all."""
    with serving() as internal:
        with serving(lambda h: (302, {"Location": f"{internal.url}/secret"}, b"")) as first:
            http = HttpClient(host_delay=0.0, egress=EgressGuard(allow=[("127.0.0.1", first.port)]))
            with pytest.raises(CollectorHttpError, match="non-public"):
                http.get(f"{first.url}/start", untrusted=True, respect_robots=False)
    assert [h["path"] for h in first.hits] == ["/start"] and internal.hits == []


def test_redirect_between_allowed_hops_is_followed(net):
    """The same chain where the second hop is allowed too: the refusal above is about the hop, not redirects."""
    with serving() as second:
        with serving(lambda h: (302, {"Location": f"{second.url}/ok"}, b"")) as first:
            http = HttpClient(host_delay=0.0, egress=EgressGuard(allow=[("127.0.0.1", first.port),
                                                                        ("127.0.0.1", second.port)]))
            page = http.get(f"{first.url}/start", untrusted=True, respect_robots=False)
    assert page.url.endswith("/ok") and [h["path"] for h in second.hits] == ["/ok"]


# --- fetch_claimreview: the operator's feed is fetched, item links found inside it are not -------------------

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>cek fakta</title>
<item><title>[SALAH] Vaksin mengandung chip</title><link>{link}</link><guid>{link}</guid>
<pubDate>Thu, 02 May 2024 10:00:00 +0700</pubDate><description>Klaim chip pada vaksin.</description></item>
</channel></rss>"""


def test_fetch_claimreview_does_not_request_private_item_links():
    campaigns = [Campaign(id="vaksin", name="Vaksin", keywords=["vaksin"])]
    with serving() as internal:
        link = f"{internal.url}/latest/meta-data/"
        with serving(lambda h: (200, {"Content-Type": "application/rss+xml"}, FEED.format(link=link).encode())
                     if h.path == "/feed" else (404, {}, b"")) as feed:
            collector = RssCollector(name="rss:cekfakta", url=f"{feed.url}/feed", campaigns=campaigns,
                                     http=HttpClient(host_delay=0.0), factcheck=True, fetch_claimreview=True)
            [batch] = list(collector.collect(None))
    assert [c["url"] for c in batch.claims] == [link] and batch.claims[0]["verdict"] == "SALAH"  # claim kept
    assert any("non-public" in r.reason for r in batch.rejects)
    assert "/feed" in [h["path"] for h in feed.hits]  # the operator's own feed URL on loopback is fine
    assert internal.hits == []


# --- alert channels: loopback Telegram / SMTP only with allow_private_targets ---------------------------------

@pytest.mark.parametrize("allow", [False, True])
def test_telegram_and_email_on_loopback_need_allow_private_targets(tmp_path, allow):
    with serving() as tg, smtp_server() as (smtp, mails):
        settings = AlertSettings(allow_private_targets=allow,
                                 telegram=[TelegramTarget(token="1:A", chat_id="-1", base_url=tg.url)],
                                 email=[EmailTarget(host="127.0.0.1", port=smtp.port, to=["pr@example.org"])])
        store = AlertStore(tmp_path / "alerts.db")
        store.fire(Alert(id="a_1", campaign="asean", rule="kw", title="t", dedup_key="k"),
                   timedelta(0), T0, channels_for(settings, "asean"))
        DeliveryWorker(store, settings).run_once()
        rows = {r["channel"]: r for r in store.outbox()}
        store.close()
    if allow:
        assert {r["status"] for r in rows.values()} == {"sent"}
        assert len(tg.hits) == 1 and len(mails.messages) == 1
    else:
        assert {r["status"] for r in rows.values()} == {"failed"}
        assert all("non-public" in r["last_error"] for r in rows.values())
        assert tg.hits == [] and mails.messages == []


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:9", "ftp://api.telegram.org"])
def test_telegram_refusal_does_not_quote_the_bot_token(base_url):
    outcome = send_telegram(base_url, "987654:AAF-secretBotToken", "-1", "hello")
    assert not outcome.ok and outcome.retry is False and "secretBotToken" not in outcome.error


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "localhost"])
def test_odd_spellings_of_loopback_are_judged_by_resolved_address(net, host):
    with serving() as server:
        with pytest.raises(CollectorHttpError, match="non-public"):
            HttpClient(host_delay=0.0).get(f"http://{host}:{server.port}/x", untrusted=True)
    assert server.hits == [] and net.connects == []
