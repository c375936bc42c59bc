"""One shared, polite HTTP client for every collector.

- a real User-Agent and timeouts;
- retries with exponential backoff (tenacity) on transport errors, 429 and 5xx, honouring Retry-After;
- conditional GET: pass the validators from the last 200 (ETag / Last-Modified) and a 304 comes back as
  `Fetched.not_modified` (collectors keep the validators in their cursor, so they survive restarts);
- robots.txt: fetched once per host (cached with a TTL) and fed to urllib.robotparser;
- per-host politeness delay (minimum gap between two requests to the same host; per-host overrides);
- `untrusted=True` for URLs found inside fetched content (claim pages): robots.txt and the page are fetched through
  the egress guard (core/egress.py: no private/loopback/metadata targets, every redirect hop vetted). The
  operator's configured source URLs are fetched as configured.

`sleep` and `clock` are injectable so tests run instantly.
"""
from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, retry_if_result, stop_after_attempt

from core.egress import EgressGuard, EgressRefused

DEFAULT_USER_AGENT = "narrawatch-collector/0.1 (+https://github.com/narrawatch; public-interest narrative monitoring)"
RETRY_STATUS = {429, 500, 502, 503, 504}
EPOCH_RESET_FROM = 1e9  # a numeric rate-limit reset at or above this is an epoch instant (2001-09-09), not a delay


class CollectorHttpError(RuntimeError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class RobotsDisallowed(CollectorHttpError):
    """robots.txt forbids this URL for our User-Agent."""


@dataclass
class Fetched:
    url: str
    status: int
    text: str
    headers: Mapping[str, str]
    validators: dict = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def json(self):
        import json
        return json.loads(self.text)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, dt.timestamp() - now)


class HttpClient:
    def __init__(self, client: httpx.Client | None = None, *, user_agent: str = DEFAULT_USER_AGENT,
                 timeout: float = 20.0, max_attempts: int = 4, backoff_base: float = 1.0,
                 backoff_max: float = 120.0, max_retry_after: float = 600.0, host_delay: float = 1.0,
                 host_delays: Mapping[str, float] | None = None, robots_ttl: float = 3600.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 transport: httpx.BaseTransport | None = None, egress: EgressGuard | None = None):
        self.user_agent = user_agent
        common = dict(headers={"User-Agent": user_agent, "Accept-Language": "id,en;q=0.8"},
                      timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)), follow_redirects=True)
        self.client = client or httpx.Client(transport=transport, **common)
        # links taken from content; an injected transport (tests) stands in for the network here too
        self.untrusted_client = (httpx.Client(transport=transport, **common) if transport is not None
                                 else (egress or EgressGuard()).client(max_redirects=5, **common))
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.host_delay = host_delay
        self.host_delays = dict(host_delays or {})
        self.robots_ttl = robots_ttl
        self.sleep = sleep
        self.clock = clock
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self._lock = threading.Lock()
        self.requests_made = 0

    # --- politeness ---------------------------------------------------------------------------
    def set_host_delay(self, host: str, seconds: float) -> None:
        self.host_delays[host.lower()] = max(self.host_delays.get(host.lower(), 0.0), seconds)

    def _wait_for_host(self, host: str) -> None:
        delay = self.host_delays.get(host, self.host_delay)
        with self._lock:
            last = self._last_request.get(host)
            now = self.clock()
            wait = 0.0 if last is None else last + delay - now
        if wait > 0:
            self.sleep(wait)
        with self._lock:
            self._last_request[host] = self.clock()

    # --- robots.txt -----------------------------------------------------------------------------
    def robots_allowed(self, url: str, untrusted: bool = False) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        cached = self._robots.get(origin)
        now = self.clock()
        if cached is None or cached[0] < now:
            parser = urllib.robotparser.RobotFileParser()
            ttl = self.robots_ttl
            try:
                resp = self._send("GET", origin + "/robots.txt", headers={}, params=None, untrusted=untrusted)
                if resp.status_code >= 500:
                    parser.disallow_all = True  # RFC 9309: server error → assume complete disallow
                    ttl = min(ttl, 300.0)
                elif resp.status_code in (401, 403):
                    parser.disallow_all = True
                elif resp.status_code >= 400:
                    parser.allow_all = True  # no robots.txt → everything allowed
                else:
                    parser.parse(resp.text.splitlines())
            except httpx.HTTPError:
                parser.disallow_all = True
                ttl = min(ttl, 300.0)
            parser.modified()
            self._robots[origin] = (now + ttl, parser)
            cached = self._robots[origin]
        return cached[1].can_fetch(self.user_agent, url)

    # --- requests -----------------------------------------------------------------------------
    def _wait_strategy(self, state: RetryCallState) -> float:
        exp = min(self.backoff_max, self.backoff_base * (2 ** (state.attempt_number - 1)))
        if state.outcome is not None and not state.outcome.failed:
            resp: httpx.Response = state.outcome.result()
            ra = parse_retry_after(resp.headers.get("Retry-After"))
            if ra is None and resp.status_code == 429:  # X sends no Retry-After, only x-rate-limit-reset
                ra = rate_limit_wait(resp.headers, min_remaining=0, cap=self.max_retry_after) or None
            if ra is not None:
                return min(ra, self.max_retry_after)
        return exp

    def _send(self, method: str, url: str, *, headers: dict, params, untrusted: bool = False,
              answers: tuple[int, ...] = (), **body) -> httpx.Response:
        """`answers`: statuses the caller reads itself (a 429 carrying a quota error): never retried."""
        host = (urlsplit(url).hostname or "").lower()
        client = self.untrusted_client if untrusted else self.client
        retry_statuses = RETRY_STATUS - set(answers)

        def once() -> httpx.Response:
            self._wait_for_host(host)
            self.requests_made += 1
            return client.request(method, url, headers=headers, params=params, **body)

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait_strategy,
            retry=retry_if_exception_type(httpx.TransportError) | retry_if_result(lambda r: r.status_code in retry_statuses),
            sleep=self.sleep,
            retry_error_callback=lambda s: s.outcome.result(),  # re-raises a last exception, else last response
            reraise=True,
        )
        return retrying(once)

    def get(self, url: str, *, params: Mapping | None = None, headers: Mapping[str, str] | None = None,
            validators: Mapping[str, str] | None = None, respect_robots: bool = True,
            ok_statuses: tuple[int, ...] = (200,), untrusted: bool = False) -> Fetched:
        """GET with retries; raises CollectorHttpError on a final non-OK status or a refused target,
        RobotsDisallowed on robots. `untrusted`: the URL came from fetched content (see the module doc)."""
        full = str(httpx.URL(url, params=params)) if params else url
        try:
            return self._get(url, full, params, headers, validators, respect_robots, ok_statuses, untrusted)
        except EgressRefused as exc:
            raise CollectorHttpError(f"refused {full}: {exc}") from exc

    def post(self, url: str, *, params: Mapping | None = None, headers: Mapping[str, str] | None = None,
             json: object = None, data: Mapping | None = None, ok_statuses: tuple[int, ...] = (200,)) -> Fetched:
        """POST to a configured API (TikTok's query endpoints, OAuth token requests): the same politeness and
        retries as `get`; statuses in `ok_statuses` come back to the caller and are not retried."""
        full = str(httpx.URL(url, params=params)) if params else url
        try:
            resp = self._send("POST", url, headers=dict(headers or {}), params=params, answers=ok_statuses,
                              json=json, data=data)
        except httpx.HTTPError as exc:
            raise CollectorHttpError(f"{type(exc).__name__}: {exc} ({full})") from exc
        if resp.status_code not in ok_statuses:
            raise CollectorHttpError(f"HTTP {resp.status_code} for {full}", status=resp.status_code)
        return Fetched(str(resp.url), resp.status_code, resp.text, resp.headers)

    def _get(self, url, full, params, headers, validators, respect_robots, ok_statuses, untrusted) -> Fetched:
        if respect_robots and not self.robots_allowed(full, untrusted):
            raise RobotsDisallowed(f"robots.txt disallows {full}")
        hdrs = dict(headers or {})
        if validators:
            if validators.get("etag"):
                hdrs["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                hdrs["If-Modified-Since"] = validators["last_modified"]
        try:
            resp = self._send("GET", url, headers=hdrs, params=params, untrusted=untrusted, answers=ok_statuses)
        except httpx.HTTPError as exc:
            raise CollectorHttpError(f"{type(exc).__name__}: {exc} ({full})") from exc
        if resp.status_code == 304:
            return Fetched(str(resp.url), 304, "", resp.headers, dict(validators or {}))
        if resp.status_code not in ok_statuses:
            raise CollectorHttpError(f"HTTP {resp.status_code} for {full}", status=resp.status_code)
        new_validators = {}
        if resp.headers.get("ETag"):
            new_validators["etag"] = resp.headers["ETag"]
        if resp.headers.get("Last-Modified"):
            new_validators["last_modified"] = resp.headers["Last-Modified"]
        return Fetched(str(resp.url), resp.status_code, resp.text, resp.headers, new_validators)

    def close(self) -> None:
        self.client.close()
        self.untrusted_client.close()


def rate_limit_wait(headers: Mapping[str, str], *, min_remaining: int = 1, now: datetime | None = None,
                    cap: float = 900.0) -> float:
    """Seconds to wait per X-RateLimit-Remaining / X-RateLimit-Reset (Mastodon: an ISO timestamp) or X's
    x-rate-limit-remaining / x-rate-limit-reset (epoch seconds)."""
    remaining = headers.get("X-RateLimit-Remaining", headers.get("x-rate-limit-remaining"))
    reset = headers.get("X-RateLimit-Reset", headers.get("x-rate-limit-reset"))
    try:
        if remaining is None or int(remaining) > min_remaining or not reset:
            return 0.0
    except ValueError:
        return 0.0
    try:  # a number is seconds until the reset (checked first: the date parser would read it as an epoch)...
        seconds = float(reset)
    except ValueError:
        pass
    else:  # ...unless it is an epoch instant (X, GitHub): no reset window is 30 years long
        if seconds >= EPOCH_RESET_FROM:
            seconds -= (now or datetime.now(timezone.utc)).timestamp()
        return min(cap, max(0.0, seconds))
    from collectors.base import parse_dt
    reset_dt = parse_dt(reset)
    if reset_dt is None:
        return 0.0
    now = now or datetime.now(timezone.utc)
    return min(cap, max(0.0, (reset_dt - now).total_seconds()))
