"""Runtime configuration: environment variables (prefix NW_) plus one YAML file for campaigns and sources."""
from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.domain import Campaign
from core.periods import DEFAULT_ZONE, check_zone

if TYPE_CHECKING:
    from service.alerts.rules import Rule


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NW_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="SQLite db, spool, quarantine, collector state")
    store: Literal["sqlite", "elasticsearch"] = "sqlite"
    es_url: str = "http://127.0.0.1:9200"
    es_index: str = "narrawatch"
    es_shards: int = Field(default=1, ge=1, le=64, description="Primary shards of the posts index (set at creation)")
    es_replicas: int = Field(default=0, ge=0, le=8, description=(
        "Replica copies of the posts index: 1 or more on a cluster of several nodes, so losing a node loses nothing"))
    config_file: Path | None = Field(default=None, description="YAML with `campaigns:` and `sources:`")
    batch_size: int = Field(default=500, ge=1, le=10_000)
    adapt_every: int = Field(default=0, ge=0, description="Adapt a workspace's sentiment head every N corrected posts")
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, description=(
        "Largest request body accepted (413 beyond, answered before the body is read or the key checked); "
        "16 MiB holds a full POST /posts batch of 5000 ordinary posts"))
    trusted_proxies: str = Field(default="", description=(
        "Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed; empty = none"))
    session_hours: float = Field(default=12, gt=0, le=24 * 30, description="Dashboard log-in session lifetime")
    lease_seconds: float = Field(default=30, ge=0.5, le=3600, description=(
        "How long a worker's claim on a source lasts without renewal: a killed worker's sources move to another "
        "worker within this time (renewed every third of it)"))
    event_retention_days: float = Field(default=7, gt=0, le=3650, description=(
        "Live events (the SSE stream's log) older than this are deleted by a worker, once an hour; a client resuming "
        "with a Last-Event-ID older than that gets the stream from the oldest event kept"))
    timezone: str = Field(default=DEFAULT_ZONE, description=(
        "Default zone of days in charts, digests and summaries: Asia/Jakarta (WIB), Asia/Makassar (WITA), "
        "Asia/Jayapura (WIT) or UTC; users switch it per request (?tz=) or in the dashboards"))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return check_zone(v)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: str) -> str:
        for part in filter(None, (p.strip() for p in v.split(","))):
            ipaddress.ip_network(part, strict=False)  # a typo fails at start-up, not silently at run time
        return v

    @property
    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "narrawatch.db"

    @property
    def state_path(self) -> Path:
        """Shared state of the embedded default (alerts, keys, claims, leases, events): service/store/documents.py"""
        return self.data_dir / "state.db"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @cached_property
    def file_config(self) -> dict[str, Any]:
        if not self.config_file:
            return {}
        return yaml.safe_load(self.config_file.read_text(encoding="utf-8")) or {}

    def campaigns(self) -> list[Campaign]:
        return [Campaign.model_validate(c) for c in self.file_config.get("campaigns", [])]

    def rules(self) -> list["Rule"]:
        """Alert rules under `rules:`; each needs an `id` so that seeding is idempotent."""
        from service.alerts.rules import Rule

        rules = [Rule.model_validate(r) for r in self.file_config.get("rules", [])]
        if missing := [r.name for r, raw in zip(rules, self.file_config.get("rules", [])) if "id" not in raw]:
            raise ValueError(f"config rules need an id: {', '.join(missing)}")
        return rules
