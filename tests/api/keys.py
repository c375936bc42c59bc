"""Plain helpers for tests that call the authenticated API (usable from any test module)."""
from __future__ import annotations

from pathlib import Path

import httpx

from service.api.auth import create_key
from service.config import Settings

CAMPAIGNS_YAML = """campaigns:
  - id: asean
    name: KTT ASEAN
    workspace: kemlu
    keywords: [asean]
  - id: vaksin
    name: Vaksinasi nasional
    workspace: kemkes
    keywords: [vaksin, imunisasi]
    key_messages: ["Vaksin program nasional aman dan halal."]
  - id: stunting
    name: Cegah stunting
    workspace: kemkes
    keywords: [stunting]
"""


def make_settings(tmp_path: Path, campaigns_yaml: str = CAMPAIGNS_YAML) -> Settings:
    cfg = tmp_path / "nw.yaml"
    cfg.write_text(campaigns_yaml, encoding="utf-8")
    return Settings(data_dir=tmp_path / "var", config_file=cfg)


def make_key(settings: Settings, role: str = "admin", workspace: str = "*", name: str | None = None) -> str:
    return create_key(settings, name or f"test-{role}-{workspace}", role, workspace)


def state_bytes(settings: Settings) -> bytes:
    """Every byte the embedded store keeps of the shared state (state.db and its write-ahead log)."""
    return b"".join(p.read_bytes() for p in (settings.state_path, settings.state_path.with_name("state.db-wal"))
                    if p.is_file())


def keyed_client(url: str, key: str | None, scheme: str = "header") -> httpx.Client:
    headers = {}
    if key and scheme == "header":
        headers["X-API-Key"] = key
    elif key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=url, headers=headers, timeout=60)  # first classify loads models: slow on a busy box
