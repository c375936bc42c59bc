"""Who may do what: API keys (stored hashed), roles, per-agency workspaces, an audit log and a rate limit.

* A key is ``nwk_<key id>_<secret>``; only ``sha256(key)`` is stored, in ``<data_dir>/auth.db`` (SQLite).
  The key id is public (it names the key in the audit log and the admin API); the secret never leaves the caller.
* A key has one role (``analyst``, ``pr``, ``leadership``, ``admin``) and one workspace (an agency, matching
  ``Campaign.workspace``; ``"*"`` = every workspace). A key only sees the campaigns of its workspace, and posts
  only through those campaigns.
* Every request but ``/health`` presents a key: ``X-API-Key: <key>``, ``Authorization: Bearer <key>``, or the
  HttpOnly cookie ``nw_key`` that the dashboards set at log-in (a cookie-authenticated write must also carry
  ``X-Requested-With``, which a cross-site form cannot send).
* Authorisation is decided from the route: its first path segment names the resource (``/alerts/...`` ->
  ``alerts``; any ``rules`` segment -> ``rules``), safe methods need ``<resource>:read``, the others
  ``<resource>:write``. So a router added later is protected as soon as app.py includes it with
  ``dependencies=[Depends(require())]``, and an unknown resource is admin-only.
* Mutating requests (and their refusals) are written to the audit log by :class:`AuditMiddleware`.
* A token bucket per key limits the request rate; an empty bucket answers 429 with ``Retry-After``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from service.api.asgi import capture_status
from service.config import Settings
from service.sqlitedb import ThreadLocalDB

Role = Literal["analyst", "pr", "leadership", "admin"]
ROLES: tuple[str, ...] = ("analyst", "pr", "leadership", "admin")
ALL_WORKSPACES = "*"
COOKIE = "nw_key"
TOKEN_PREFIX = "nwk"

# The permission matrix. A permission is "<resource>:<read|write>"; "*" grants everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "analyst": frozenset({
        "posts:read", "export:read", "narratives:read", "trending:read", "campaigns:read", "sources:read",
        "ui:analyst", "corrections:read", "corrections:write",
    }),
    "pr": frozenset({
        "alerts:read", "alerts:write", "posts:read", "narratives:read", "trending:read", "campaigns:read",
        "sources:read", "ui:pr",
    }),
    "leadership": frozenset({
        "summary:read", "dashboards:read", "campaigns:read", "ui:leadership",
    }),
    "admin": frozenset({"*"}),
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEY_RE = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{12}})_[A-Za-z0-9_-]{{20,}}$")
_WORKSPACE_RE = re.compile(r"^(\*|[a-z0-9][a-z0-9_-]{0,62})$")


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


SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, workspace TEXT NOT NULL,
    key_hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, key_id TEXT, name TEXT, role TEXT, workspace TEXT,
    method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, client TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit_log(ts);
"""


class KeyStore:
    """API keys and the audit log in one small SQLite file (WAL; one connection per thread)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._sqlite = ThreadLocalDB(self.path, row_factory=sqlite3.Row)
        self._lock = self._sqlite.lock
        self._touched: dict[str, float] = {}
        self.db.executescript(SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        return self._sqlite.conn

    def create(self, name: str, role: str, workspace: str) -> tuple[KeyInfo, str]:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if not _WORKSPACE_RE.match(workspace or ""):
            raise ValueError(f"bad workspace {workspace!r}: a campaign workspace slug or '*'")
        if not name or not name.strip():
            raise ValueError("a key needs a name (who or what uses it)")
        key_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        info = KeyInfo(key_id=key_id, name=name.strip(), role=role, workspace=workspace, created_at=_now())
        with self._lock:
            self.db.execute("INSERT INTO api_keys (key_id, name, role, workspace, key_hash, created_at) "
                            "VALUES (?,?,?,?,?,?)",
                            (key_id, info.name, role, workspace, hash_key(token), info.created_at))
        return info, token

    def verify(self, token: str | None) -> Principal | None:
        """The principal for a presented key, or None (unknown, malformed, wrong secret or revoked)."""
        m = _KEY_RE.match(token or "")
        if not m:
            return None
        row = self.db.execute("SELECT * FROM api_keys WHERE key_id=?", (m.group(1),)).fetchone()
        if row is None or row["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(row["key_hash"], hash_key(token)):
            return None
        self._touch(row["key_id"])
        return Principal(key_id=row["key_id"], name=row["name"], role=row["role"], workspace=row["workspace"])

    def _touch(self, key_id: str) -> None:
        """Record last use, at most once a minute per key (no write per request)."""
        now = time.monotonic()
        if now - self._touched.get(key_id, -1e9) < 60:
            return
        self._touched[key_id] = now
        with self._lock:
            self.db.execute("UPDATE api_keys SET last_used_at=? WHERE key_id=?", (_now(), key_id))

    def list(self) -> list[KeyInfo]:
        rows = self.db.execute("SELECT key_id, name, role, workspace, created_at, revoked_at, last_used_at "
                               "FROM api_keys ORDER BY created_at").fetchall()
        return [KeyInfo(**dict(r)) for r in rows]

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            return self.db.execute("UPDATE api_keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL",
                                   (_now(), key_id)).rowcount > 0

    def audit(self, principal: Principal | None, method: str, path: str, status_code: int,
              client: str | None = None, detail: str | None = None) -> None:
        p = principal
        with self._lock:
            self.db.execute(
                "INSERT INTO audit_log (ts, key_id, name, role, workspace, method, path, status, client, detail) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (_now(), p and p.key_id, p and p.name, p and p.role, p and p.workspace, method, path,
                 status_code, client, detail))

    def audit_log(self, limit: int = 100, key_id: str | None = None) -> list[AuditEntry]:
        sql, args = "SELECT * FROM audit_log", []
        if key_id:
            sql, args = sql + " WHERE key_id=?", [key_id]
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
        return [AuditEntry(**{k: r[k] for k in AuditEntry.model_fields}) for r in rows]


def auth_db_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "auth.db"


def create_key(settings: Settings, name: str, role: str, workspace: str) -> str:
    """Create an API key and return it (shown once: only its hash is kept). For `narrawatch keys create`."""
    _, token = KeyStore(auth_db_path(settings)).create(name, role, workspace)
    return token


# -- rate limiting ------------------------------------------------------------------------------------------------

class TokenBucket:
    """Per-key token buckets: `burst` requests at once, refilled at `rate` per second."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = float(rate), float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token; 0.0 when allowed, else the seconds to wait for the next token."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate if self.rate > 0 else float("inf")


@dataclass
class AuthConfig:
    """Rate limit per key; defaults from NW_RATE_LIMIT_RPS / NW_RATE_LIMIT_BURST."""
    rate_per_second: float = field(default_factory=lambda: float(os.environ.get("NW_RATE_LIMIT_RPS", "20")))
    burst: int = field(default_factory=lambda: int(os.environ.get("NW_RATE_LIMIT_BURST", "120")))


@dataclass
class AuthState:
    keys: KeyStore
    limiter: TokenBucket

    @classmethod
    def build(cls, settings: Settings, config: AuthConfig | None = None) -> "AuthState":
        config = config or AuthConfig()
        return cls(keys=KeyStore(auth_db_path(settings)), limiter=TokenBucket(config.rate_per_second, config.burst))


def auth_state(request: Request) -> AuthState:
    return request.app.state.auth


# -- FastAPI dependencies -----------------------------------------------------------------------------------------

_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (`narrawatch keys create`)")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token")
_cookie = APIKeyCookie(name=COOKIE, auto_error=False, description="Set by the dashboards' log-in page")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def principal_from_request(request: Request, header: str | None = None, bearer: str | None = None,
                           cookie: str | None = None) -> Principal:
    """Authenticate and rate-limit one request (raises 401/403/429). Cached on request.state."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    state = auth_state(request)
    token = header or bearer or cookie
    if not token:
        raise _unauthorized("an API key is required: X-API-Key header or Authorization: Bearer <key>")
    principal = state.keys.verify(token)
    if principal is None:
        raise _unauthorized("invalid or revoked API key")
    request.state.principal = principal
    if not (header or bearer) and request.method not in SAFE_METHODS and not request.headers.get("x-requested-with"):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "cookie-authenticated writes must send the X-Requested-With header")
    wait = state.limiter.take(principal.key_id)
    if wait > 0:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "rate limit exceeded; slow down",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
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


def scope_query(principal: Principal, store, query):
    """The query restricted to the caller's workspace: 404 for a foreign campaign, unchanged for workspace '*'."""
    if principal.sees_all:
        return query
    if query.campaign:
        check_campaign(principal, store, query.campaign)
        return query
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
            if auth is not None and not scope["path"].startswith("/ui/static"):
                principal = (scope.get("state") or {}).get("principal")
                detail = (scope.get("state") or {}).get("audit_detail")
                client = scope.get("client")
                path = scope["path"] + (("?" + scope["query_string"].decode("latin-1"))
                                        if scope.get("query_string") else "")
                await anyio.to_thread.run_sync(
                    auth.keys.audit, principal, scope["method"], path, seen["status"],
                    client[0] if client else None, detail)


# -- admin API: keys and audit ------------------------------------------------------------------------------------

router = APIRouter(prefix="/auth", tags=["auth"])


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, examples=["Tim humas Kemkes"])
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


@router.get("/audit", response_model=list[AuditEntry], summary="Audit log of mutating requests, newest first (admin)")
def get_audit(request: Request, limit: int = Query(100, ge=1, le=1000), key_id: str | None = None,
              principal: Principal = Depends(authenticate)) -> list[AuditEntry]:
    entries = auth_state(request).keys.audit_log(limit, key_id)
    return entries if principal.sees_all else [e for e in entries if e.workspace == principal.workspace]
