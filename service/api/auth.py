"""Who may do what: API keys (stored hashed), roles, per-agency workspaces, an audit log and a rate limit.

* A key is ``nwk_<key id>_<secret>``; only ``sha256(key)`` is stored, in the store's shared state (KeyStore below;
  an ``auth.db`` of an older version is copied in once).
  The key id is public (it names the key in the audit log and the admin API); the secret never leaves the caller.
* A key has one role (``analyst``, ``pr``, ``leadership``, ``admin``) and one workspace (an agency, matching
  ``Campaign.workspace``; ``"*"`` = every workspace). A key only sees the campaigns of its workspace, and posts
  only through those campaigns.
* Every request but ``/health`` presents a key: ``X-API-Key: <key>``, ``Authorization: Bearer <key>``, or the
  HttpOnly cookie ``nw_session`` that the dashboards set at log-in: an opaque session id (``nws_<random>``, stored
  hashed with its expiry, revoked by log-out or by revoking the key), never the key itself (a cookie-authenticated
  write must also carry ``X-Requested-With``, which a cross-site form cannot send).
* Authorisation is decided from the route: its first path segment names the resource (``/alerts/...`` ->
  ``alerts``; any ``rules`` segment -> ``rules``), safe methods need ``<resource>:read``, the others
  ``<resource>:write``. So a router added later is protected as soon as app.py includes it with
  ``dependencies=[Depends(require())]``, and an unknown resource is admin-only.
* Mutating requests (and their refusals) are written to the audit log by :class:`AuditMiddleware`, listed for the
  caller's workspace and for every workspace the write touched (``touch``).
* A rate limit per key, counted in the store across every API replica (service/api/ratelimit.py), answers 429 with
  ``Retry-After`` once spent. Requests without a valid key (and failed log-ins) spend from a limit per client address;
  while it is spent they get 429 before the key is even looked at.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from core.batches import batched
from core.redact import redact
from service.api.asgi import capture_status
from service.config import Settings
from service.api.ratelimit import SharedLimit
from service.store.base import StoreUnavailable
from service.store.documents import Conflict, migrate_once, open_documents, update

Role = Literal["analyst", "pr", "leadership", "admin"]
ROLES: tuple[str, ...] = ("analyst", "pr", "leadership", "admin")
ALL_WORKSPACES = "*"
COOKIE = "nw_session"
TOKEN_PREFIX = "nwk"
SESSION_PREFIX = "nws"
log = logging.getLogger(__name__)

# The permission matrix. A permission is "<resource>:<read|write>"; "*" grants everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "analyst": frozenset({
        "posts:read", "export:read", "narratives:read", "narratives:write", "trending:read", "campaigns:read",
        "sources:read", "ui:analyst", "corrections:read", "corrections:write", "saved-searches:read", "saved-searches:write",
        "tipline:read", "claims:read",
    }),
    "pr": frozenset({
        "alerts:read", "alerts:write", "posts:read", "narratives:read", "trending:read", "campaigns:read",
        "sources:read", "ui:pr", "tipline:read", "claims:read", "claims:write",
    }),
    "leadership": frozenset({
        "summary:read", "dashboards:read", "campaigns:read", "ui:leadership",
    }),
    "admin": frozenset({"*"}),
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEY_RE = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{12}})_[A-Za-z0-9_-]{{20,}}$")
_WORKSPACE_RE = re.compile(r"^(\*|[a-z0-9][a-z0-9_-]{0,62})$")
_SESSION_RE = re.compile(rf"^{SESSION_PREFIX}_[A-Za-z0-9_-]{{40,64}}$")
KEY_NAME_MAX = 200
AUDIT_PATH_MAX = 1024  # audit rows keep at most this much of path + query (a request line can be megabytes)


def allowed(role: str, permission: str) -> bool:
    if permission == "self:read":  # /auth/whoami: every valid key may ask who it is
        return role in PERMISSIONS
    perms = PERMISSIONS.get(role, frozenset())
    return "*" in perms or permission in perms


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""
    key_id: str
    name: str
    role: str
    workspace: str

    @property
    def sees_all(self) -> bool:
        return self.workspace == ALL_WORKSPACES

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)


class KeyInfo(BaseModel):
    key_id: str
    name: str
    role: Role
    workspace: str
    created_at: str
    revoked_at: str | None = None
    last_used_at: str | None = None


class AuditEntry(BaseModel):
    ts: str
    key_id: str | None
    name: str | None
    role: str | None
    workspace: str | None
    method: str
    path: str
    status: int
    client: str | None = None
    detail: str | None = None
    touched: list[str] = Field(default_factory=list, description="Workspaces whose data the request changed")


KNOWN_FOR = 600.0  # seconds a replica still accepts a key or session it verified, while the store is unavailable
KEYS = ("api_keys", {"name": "keyword", "workspace": "keyword", "created_at": "date"})
SESSIONS = ("sessions", {"key_id": "keyword", "expires_at": "double"})
AUDIT = ("access_audit", {"ts": "date", "key_id": "keyword", "method": "keyword", "path": "keyword",
                          "status": "long", "scope": "keywords"})


class KeyStore:
    """API keys, dashboard sessions and the access audit log, in the store's shared state (service/store/documents.py:
    `state.db` on the embedded store, `<index>-state-api_keys|sessions|access_audit` on Elasticsearch), so every API
    replica sees a key, a log-in or a revocation made on any other at once (reads by id are real-time)."""

    def __init__(self, settings: Settings):
        self.keys = open_documents(settings, *KEYS)
        self._last_use = open_documents(settings, *KEYS, searchable=False)  # no wait for a search refresh per touch
        self.sessions = open_documents(settings, *SESSIONS, searchable=False)  # read by id only
        self.log = open_documents(settings, *AUDIT)
        self._touched: dict[str, float] = {}
        self._swept = 0.0
        self._settings, self._migrated = settings, False
        self._known: dict[str, tuple[float, Principal]] = {}  # key/session hash -> (verified at, principal)

    def _ready(self) -> None:
        """An auth.db of an older version is copied in at first use (the store may be down when the process starts)."""
        if not self._migrated:
            migrate_once(self._settings, "auth.db", auth_db_path(self._settings), self._copy_legacy)
            self._migrated = True

    def _remember(self, secret_hash: str, lookup) -> Principal | None:
        """`lookup()`, remembered for this replica: while the store is unavailable, a key or session this replica
        verified within KNOWN_FOR seconds is still accepted (nothing can be revoked meanwhile: that needs the store
        too), so writes keep reaching the spool; anything else gets the store's 503."""
        try:
            self._ready()
            principal = lookup()
        except StoreUnavailable:
            at, known = self._known.get(secret_hash, (0.0, None))
            if known is None or time.monotonic() - at > KNOWN_FOR:
                raise
            log.warning("store unavailable: accepting %s as verified %.0f s ago", known.key_id,
                        time.monotonic() - at)
            return known
        if principal is None:
            self._known.pop(secret_hash, None)
        else:
            if len(self._known) >= 100_000:
                self._known.clear()
            self._known[secret_hash] = (time.monotonic(), principal)
        return principal

    def _copy_legacy(self, db: sqlite3.Connection) -> None:
        """auth.db of an older version: keys and live sessions by create (idempotent), audit rows as they were."""
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for r in db.execute("SELECT * FROM api_keys") if "api_keys" in tables else ():
            _create_quietly(self.keys, r["key_id"], {k: r[k] for k in r.keys()})
        for r in db.execute("SELECT * FROM sessions WHERE expires_at > ?", (time.time(),)) \
                if "sessions" in tables else ():
            _create_quietly(self.sessions, r["session_hash"], {k: r[k] for k in r.keys() if k != "session_hash"})
        rows = db.execute("SELECT * FROM audit_log ORDER BY id") if "audit_log" in tables else []
        for chunk in batched(rows, 1000):
            self.log.put_many({f"legacy-{r['id']:012d}": self._legacy_audit(r) for r in chunk})

    def _legacy_audit(self, r: sqlite3.Row) -> dict:
        row = {k: r[k] for k in r.keys() if k != "id"}
        touched = [w for w in (row.pop("touched", None) or "").split(",") if w]
        return self._audit_body(row, touched)

    def create(self, name: str, role: str, workspace: str) -> tuple[KeyInfo, str]:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if not _WORKSPACE_RE.match(workspace or ""):
            raise ValueError(f"bad workspace {workspace!r}: a campaign workspace slug or '*'")
        if not name or not name.strip():
            raise ValueError("a key needs a name (who or what uses it)")
        if len(name.strip()) > KEY_NAME_MAX:
            raise ValueError(f"a key name has at most {KEY_NAME_MAX} characters")
        self._ready()
        key_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        info = KeyInfo(key_id=key_id, name=name.strip(), role=role, workspace=workspace, created_at=_now())
        self.keys.create(key_id, {**info.model_dump(), "key_hash": hash_key(token)})  # only the hash is kept
        return info, token

    def _principal(self, key_id: str, doc=None) -> Principal | None:
        """The principal of a live key; `doc`: the key's document when the caller has just read it."""
        doc = doc or self.keys.get(key_id)
        if doc is None or doc.body.get("revoked_at") is not None:
            return None
        self._touch(key_id)
        b = doc.body
        return Principal(key_id=key_id, name=b["name"], role=b["role"], workspace=b["workspace"])

    def verify(self, token: str | None) -> Principal | None:
        """The principal for a presented key, or None (unknown, malformed, wrong secret or revoked)."""
        m = _KEY_RE.match(token or "")
        if not m:
            return None

        def lookup() -> Principal | None:
            doc = self.keys.get(m.group(1))
            if doc is None or not hmac.compare_digest(doc.body.get("key_hash", ""), hash_key(token)):
                return None
            return self._principal(m.group(1), doc)  # one read of the key per request

        return self._remember(hash_key(token), lookup)

    def _touch(self, key_id: str) -> None:
        """Record last use, at most once a minute per key and process (no write per request)."""
        now = time.monotonic()
        if now - self._touched.get(key_id, -1e9) < 60:
            return
        self._touched[key_id] = now
        try:
            update(self._last_use, key_id, lambda b: {**b, "last_used_at": _now()} if b else None)  # keeps a revocation
        except (StoreUnavailable, Conflict):
            pass  # a usage stamp is not worth failing a request for

    def open_session(self, key_id: str, hours: float) -> str:
        """A new dashboard session for this key; returns the opaque id (only its hash is kept)."""
        token = f"{SESSION_PREFIX}_{secrets.token_urlsafe(32)}"
        self._ready()
        self._sweep_sessions()
        self.sessions.create(hash_key(token), {"key_id": key_id, "created_at": _now(),
                                               "expires_at": time.time() + hours * 3600, "revoked_at": None})
        return token

    def _sweep_sessions(self) -> None:
        """Forget expired sessions (at most once a minute per process, a page at a time)."""
        if time.monotonic() - self._swept < 60:
            return
        self._swept = time.monotonic()
        for doc in self.sessions.find({"expires_at": {"lt": time.time()}}, limit=500):
            try:
                self.sessions.delete(doc.id, doc.version)
            except Conflict:
                pass

    def verify_session(self, token: str | None) -> Principal | None:
        """The principal of a live session: unknown, expired, logged-out sessions and revoked keys give None."""
        if not _SESSION_RE.match(token or ""):
            return None

        def lookup() -> Principal | None:
            doc = self.sessions.get(hash_key(token))
            if doc is None or doc.body.get("revoked_at") is not None or float(doc.body["expires_at"]) <= time.time():
                return None
            return self._principal(doc.body["key_id"])

        return self._remember(hash_key(token), lookup)

    def close_session(self, token: str | None) -> bool:
        if not token:
            return False
        self._ready()
        self._known.pop(hash_key(token), None)
        return _revoke(self.sessions, hash_key(token))

    def list(self) -> list[KeyInfo]:
        self._ready()
        return [KeyInfo(**{k: d.body.get(k) for k in KeyInfo.model_fields})
                for d in self.keys.scan(sort=[("created_at", "asc")])]

    def revoke(self, key_id: str) -> bool:
        self._ready()
        self._known = {h: v for h, v in self._known.items() if v[1].key_id != key_id}
        return _revoke(self.keys, key_id)

    @staticmethod
    def _audit_body(row: dict, touched: Iterable[str]) -> dict:
        touched = sorted({w for w in touched if w})
        return {**row, "touched": touched, "scope": sorted({*touched, *([row["workspace"]] if row["workspace"] else [])})}

    def audit(self, principal: Principal | None, method: str, path: str, status_code: int,
              client: str | None = None, detail: str | None = None, touched: Iterable[str] = ()) -> None:
        p = principal
        if len(path) > AUDIT_PATH_MAX:
            path = path[:AUDIT_PATH_MAX - 1] + "\u2026"
        ts = _now()
        row = {"ts": ts, "key_id": p and p.key_id, "name": p and p.name, "role": p and p.role,
               "workspace": p and p.workspace, "method": method, "path": path, "status": status_code, "client": client,
               "detail": detail}
        try:
            self._ready()
            self.log.create(f"{ts}-{secrets.token_hex(4)}", self._audit_body(row, touched))
        except StoreUnavailable:  # the request is done; its row goes to the server log instead
            log.warning("audit row not stored, the store is unavailable: %s", json.dumps(row))

    def audit_log(self, limit: int = 100, key_id: str | None = None, workspace: str | None = None,
                  method: str | None = None, path: str | None = None,
                  status_class: int | None = None) -> list[AuditEntry]:
        """Newest first; with `workspace`, the rows of its keys and the rows of writes that touched it. `path`: rows
        whose path contains it; `status_class`: 2, 3, 4 or 5 for 2xx..5xx."""
        self._ready()
        where: dict = {}
        if key_id:
            where["key_id"] = key_id
        if method:
            where["method"] = method.upper()
        if path:
            where["path"] = {"contains": path}
        if status_class:
            where["status"] = {"gte": status_class * 100, "lt": status_class * 100 + 100}
        if workspace is not None:
            where["scope"] = workspace  # its own keys' rows and the rows of writes that touched it
        docs = self.log.find(where, sort=[("ts", "desc")], limit=limit)
        return [AuditEntry(**{k: d.body.get(k) for k in AuditEntry.model_fields if k != "touched"},
                           touched=d.body.get("touched") or []) for d in docs]


def _revoke(docs, id: str) -> bool:
    """Stamp `revoked_at` on a key or session (version-checked: a concurrent last-use stamp is kept); False if it
    does not exist or was revoked already."""
    revoked = []

    def change(body: dict | None) -> dict | None:
        if body is None or body.get("revoked_at") is not None:
            return None
        revoked.append(True)
        return {**body, "revoked_at": _now()}

    update(docs, id, change)
    return bool(revoked)


def _create_quietly(docs, id: str, body: dict) -> None:
    try:
        docs.create(id, body)
    except Conflict:
        pass  # already there (copied by another process, or changed since): the store's copy wins


def auth_db_path(settings: Settings) -> Path:
    """Where versions before issue 12 kept keys, sessions and the audit log (SQLite); migrated once on open."""
    return Path(settings.data_dir) / "auth.db"


def create_key(settings: Settings, name: str, role: str, workspace: str) -> str:
    """Create an API key and return it (shown once: only its hash is kept). For `narrawatch keys create`."""
    _, token = KeyStore(settings).create(name, role, workspace)
    return token


@dataclass
class AuthConfig:
    """Rate limit per key (NW_RATE_LIMIT_BURST requests per BURST / RPS seconds, NW_RATE_LIMIT_RPS on average) and per
    client address for requests without a valid key and failed log-ins (NW_ANON_RATE_LIMIT_RPS / _BURST); each holds
    across all API replicas (service/api/ratelimit.py)."""
    rate_per_second: float = field(default_factory=lambda: float(os.environ.get("NW_RATE_LIMIT_RPS", "20")))
    burst: int = field(default_factory=lambda: int(os.environ.get("NW_RATE_LIMIT_BURST", "120")))
    anon_rate_per_second: float = field(
        default_factory=lambda: float(os.environ.get("NW_ANON_RATE_LIMIT_RPS", "1")))
    anon_burst: int = field(default_factory=lambda: int(os.environ.get("NW_ANON_RATE_LIMIT_BURST", "30")))


@dataclass
class AuthState:
    keys: KeyStore
    limiter: SharedLimit
    anon_limiter: SharedLimit
    session_hours: float = 12

    @classmethod
    def build(cls, settings: Settings, config: AuthConfig | None = None) -> "AuthState":
        config = config or AuthConfig()
        return cls(keys=KeyStore(settings),
                   limiter=SharedLimit.open(settings, "key", config.rate_per_second, config.burst),
                   anon_limiter=SharedLimit.open(settings, "addr", config.anon_rate_per_second, config.anon_burst),
                   session_hours=settings.session_hours)


def auth_state(request: Request) -> AuthState:
    return request.app.state.auth


# -- FastAPI dependencies -----------------------------------------------------------------------------------------

_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (`narrawatch keys create`)")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token")
_cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="Set by the dashboards' log-in page")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def _too_many(wait: float, message: str = "rate limit exceeded; slow down") -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message,
                         headers={"Retry-After": str(max(1, math.ceil(wait)))})


def client_of(request: Request) -> str:
    """The client address (see service/api/proxies.py for X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


def check_anonymous_budget(request: Request) -> None:
    """429 while this address has spent its budget of failed attempts (nothing else is looked at)."""
    wait = auth_state(request).anon_limiter.wait(client_of(request))
    if wait > 0:
        raise _too_many(wait, "too many requests without a valid key from this address; slow down")


def spend_anonymous(request: Request) -> None:
    auth_state(request).anon_limiter.take(client_of(request))


def principal_from_request(request: Request, header: str | None = None, bearer: str | None = None,
                           cookie: str | None = None) -> Principal:
    """Authenticate and rate-limit one request (raises 401/403/429). Cached on request.state."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    state = auth_state(request)
    check_anonymous_budget(request)
    token = header or bearer
    if not (token or cookie):
        spend_anonymous(request)
        raise _unauthorized("an API key is required: X-API-Key header or Authorization: Bearer <key>")
    principal = state.keys.verify(token) if token else state.keys.verify_session(cookie)
    if principal is None:
        spend_anonymous(request)
        raise _unauthorized("invalid or revoked API key" if token else "session expired or logged out; log in again")
    request.state.principal = principal
    if not (header or bearer) and request.method not in SAFE_METHODS and not request.headers.get("x-requested-with"):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "cookie-authenticated writes must send the X-Requested-With header")
    wait = state.limiter.take(principal.key_id)
    if wait > 0:
        raise _too_many(wait)
    return principal


def authenticate(request: Request, header: str | None = Depends(_header),
                 bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                 cookie: str | None = Depends(_cookie)) -> Principal:
    """Dependency: the authenticated caller. Use it in handlers that scope by workspace."""
    return principal_from_request(request, header, bearer.credentials if bearer else None, cookie)


def resource_of(path: str) -> str:
    """`/alerts/{id}/ack` -> alerts; `/export/posts` -> export; any `rules` segment -> rules."""
    parts = [p for p in path.split("/") if p]
    if "rules" in parts:
        return "rules"
    if parts[:2] == ["auth", "keys"]:
        return "keys"
    if parts[:2] == ["auth", "audit"]:
        return "audit"
    if parts[:2] == ["auth", "whoami"]:
        return "self"
    return parts[0] if parts else "root"


def permission_for(request: Request, resource: str | None = None) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    action = "read" if request.method in SAFE_METHODS else "write"
    return f"{resource or resource_of(path)}:{action}"


def require(resource: str | None = None):
    """Router dependency: authenticate, then check `<resource>:<read|write>` against the role's permissions."""

    def check(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
        needed = permission_for(request, resource)
        if not principal.can(needed):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {principal.role!r} may not do this (needs {needed})")
        return principal

    return check


def require_all_workspaces(principal: Principal = Depends(authenticate)) -> Principal:
    """Router dependency for operator views (process metrics, collector health): they describe every workspace at
    once, so only a key of workspace '*' reads them."""
    if not principal.sees_all:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "a key of one workspace may not read this operator view (needs workspace '*')")
    return principal


# -- workspace scoping --------------------------------------------------------------------------------------------

def visible_campaign_ids(principal: Principal, store) -> list[str] | None:
    """Campaign ids this caller may see; None = all (workspace '*')."""
    if principal.sees_all:
        return None
    return sorted(c.id for c in store.list_campaigns(principal.workspace))


def can_see_campaign(principal: Principal, store, campaign_id: str) -> bool:
    if principal.sees_all:
        return True
    campaign = store.get_campaign(campaign_id)
    return campaign is not None and campaign.workspace == principal.workspace


def check_campaign(principal: Principal, store, campaign_id: str) -> None:
    """404 (not 403: other agencies' campaign ids are not disclosed) when the campaign is not visible."""
    if not can_see_campaign(principal, store, campaign_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"campaign {campaign_id!r} not found")


def can_see_post(principal: Principal, store, post) -> bool:
    if principal.sees_all:
        return True
    visible = set(visible_campaign_ids(principal, store) or [])
    return bool(visible & set(post.campaigns))


def shown_post(principal: Principal, visible: list[str] | None, post):
    """The post as this caller may see it: only the campaign ids of its own workspace (`visible`)."""
    if principal.sees_all or visible is None:
        return post
    return post.model_copy(update={"campaigns": [c for c in post.campaigns if c in visible]})


def scope_query(principal: Principal, store, query):
    """The query restricted to the caller's workspace: 404 for a foreign campaign, unchanged for workspace '*'."""
    if principal.sees_all:
        return query
    if query.campaign:
        check_campaign(principal, store, query.campaign)
    # also with a campaign filter: the search language's `campaign:` operator is folded against this list
    return query.model_copy(update={"campaigns": visible_campaign_ids(principal, store)})


# -- audit --------------------------------------------------------------------------------------------------------

class AuditMiddleware:
    """ASGI middleware: after every mutating request (and every refused one), one audit row."""

    def __init__(self, app, keys_of=lambda scope: None):
        self.app = app
        self.keys_of = keys_of

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        send_wrapper, seen = capture_status(send)
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            state = scope.get("app").state if scope.get("app") is not None else None
            auth: AuthState | None = getattr(state, "auth", None) if state is not None else None
            principal = (scope.get("state") or {}).get("principal")
            flood = principal is None and seen["status"] == 429  # an address over its budget: its 401s are logged
            if auth is not None and not scope["path"].startswith("/ui/static") and not flood:
                detail = (scope.get("state") or {}).get("audit_detail")
                touched = (scope.get("state") or {}).get("audit_touched") or ()
                client = scope.get("client")
                query = scope.get("query_string") or b""
                path = redact(scope["path"][:AUDIT_PATH_MAX] + ("?" + query[:AUDIT_PATH_MAX].decode("latin-1")
                                                                if query else ""))  # no webhook secret path
                await anyio.to_thread.run_sync(
                    auth.keys.audit, principal, scope["method"], path, seen["status"],
                    client[0] if client else None, detail, touched)


def touch(request: Request, workspaces: Iterable[str]) -> None:
    """Record that this request changed data of these workspaces: the audit row is listed for each of them."""
    current = set(getattr(request.state, "audit_touched", ()) or ())
    request.state.audit_touched = sorted(current | {w for w in workspaces if w and w != ALL_WORKSPACES})


# -- admin API: keys and audit ------------------------------------------------------------------------------------

router = APIRouter(prefix="/auth", tags=["auth"])


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=KEY_NAME_MAX, examples=["Tim humas Kemkes"])
    role: Role = Field(examples=["pr"])
    workspace: str = Field(pattern=_WORKSPACE_RE.pattern, examples=["kemkes"])


class CreatedKey(KeyInfo):
    key: str = Field(description="The API key. Shown once: only its hash is stored.")


class WhoAmI(BaseModel):
    key_id: str
    name: str
    role: str
    workspace: str
    permissions: list[str]


@router.get("/whoami", response_model=WhoAmI, summary="The caller's key, role, workspace and permissions")
def whoami(principal: Principal = Depends(authenticate)) -> WhoAmI:
    return WhoAmI(key_id=principal.key_id, name=principal.name, role=principal.role, workspace=principal.workspace,
                  permissions=sorted(PERMISSIONS[principal.role]))


@router.get("/keys", response_model=list[KeyInfo], summary="List API keys (admin; never the secrets)")
def list_keys(request: Request, principal: Principal = Depends(authenticate)) -> list[KeyInfo]:
    keys = auth_state(request).keys.list()
    return keys if principal.sees_all else [k for k in keys if k.workspace == principal.workspace]


@router.post("/keys", response_model=CreatedKey, status_code=201, summary="Create an API key (admin)",
             responses={403: {"description": "Key for another workspace"}})
def post_key(body: KeyRequest, request: Request, principal: Principal = Depends(authenticate)) -> CreatedKey:
    if not principal.sees_all and body.workspace != principal.workspace:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an admin of one workspace creates keys for that workspace only")
    info, token = auth_state(request).keys.create(body.name, body.role, body.workspace)
    touch(request, [info.workspace])
    request.state.audit_detail = json.dumps({"created_key": info.key_id, "role": info.role,
                                             "workspace": info.workspace})
    return CreatedKey(**info.model_dump(), key=token)


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key (admin)",
               responses={404: {"description": "No such active key"}})
def delete_key(key_id: str, request: Request, principal: Principal = Depends(authenticate)) -> None:
    keys = auth_state(request).keys
    target = next((k for k in keys.list() if k.key_id == key_id), None)
    if target is None or (not principal.sees_all and target.workspace != principal.workspace) \
            or not keys.revoke(key_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no active key {key_id!r}")
    touch(request, [target.workspace])


@router.get("/audit", response_model=list[AuditEntry], summary="Audit log of mutating requests, newest first (admin)")
def get_audit(request: Request, limit: int = Query(100, ge=1, le=1000), key_id: str | None = None,
              method: str | None = Query(None, max_length=10, description="POST, PUT, DELETE, ..."),
              path: str | None = Query(None, max_length=200, description="Rows whose path contains this"),
              status_class: int | None = Query(None, ge=2, le=5, description="2, 3, 4 or 5: 2xx..5xx answers"),
              principal: Principal = Depends(authenticate)) -> list[AuditEntry]:
    return auth_state(request).keys.audit_log(limit, key_id, None if principal.sees_all else principal.workspace,
                                              method, path, status_class)
