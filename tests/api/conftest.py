"""Fixtures for API tests with authentication: a served app, keys per role and workspace, clients carrying them.

The plain helpers `make_key(settings, role, workspace)` and `keyed_client(url, key)` live in tests/api/keys.py.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from service.api.app import create_app
from service.api.auth import AuthConfig
from service.config import Settings
from tests.api.keys import CAMPAIGNS_YAML, keyed_client, make_key, make_settings  # noqa: F401 - re-exported
from bench.loopback import serve

@dataclass
class Api:
    url: str
    settings: Settings
    app: object
    clients: dict[tuple, httpx.Client] = field(default_factory=dict)

    def as_(self, role: str, workspace: str = "*") -> httpx.Client:
        """A client whose key has this role and workspace (created on first use)."""
        if (role, workspace) not in self.clients:
            self.clients[(role, workspace)] = keyed_client(self.url, make_key(self.settings, role, workspace))
        return self.clients[(role, workspace)]

    def ui(self, role: str, workspace: str = "*") -> httpx.Client:
        """A client logged in to the dashboards (the pages read the session cookie, not the key header)."""
        if ("ui", role, workspace) not in self.clients:
            client = keyed_client(self.url, None)
            r = client.post("/ui/login", data={"key": make_key(self.settings, role, workspace)})
            assert r.status_code == 303 and client.cookies.get("nw_session"), r.text
            self.clients[("ui", role, workspace)] = client
        return self.clients[("ui", role, workspace)]

    @property
    def admin(self) -> httpx.Client:
        return self.as_("admin", "*")

    def anon(self) -> httpx.Client:
        return keyed_client(self.url, None)


@pytest.fixture()
def api_settings(tmp_path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture()
def auth_config() -> AuthConfig:
    return AuthConfig(rate_per_second=1000, burst=1000, anon_rate_per_second=1000, anon_burst=1000)


@contextmanager
def served(settings: Settings, auth_config: AuthConfig | None = None) -> Iterator[Api]:
    """The real app over loopback HTTP; the clients made through it are closed with it."""
    app = create_app(settings, auth_config=auth_config or AuthConfig(rate_per_second=1000, burst=1000))
    with serve(app) as url:
        live = Api(url=url, settings=settings, app=app)
        yield live
        for client in live.clients.values():
            client.close()


@pytest.fixture()
def api(api_settings, auth_config) -> Iterator[Api]:
    with served(api_settings, auth_config) as live:
        yield live
