"""Alert configuration: environment (prefix NW_ALERTS_, nested with __) or the `alerts:` section of the YAML file."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookTarget(BaseModel):
    url: str
    secret: str = Field(min_length=1, description="HMAC-SHA256 key; receivers verify X-Narrawatch-Signature")
    campaigns: list[str] | None = Field(default=None, description="Only these campaigns; None = all")


class TelegramTarget(BaseModel):
    token: str
    chat_id: str
    base_url: str = "https://api.telegram.org"
    campaigns: list[str] | None = None


class EmailTarget(BaseModel):
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "narrawatch@localhost"
    to: list[str] = Field(min_length=1)
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    campaigns: list[str] | None = None


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NW_ALERTS_", env_nested_delimiter="__", extra="ignore")

    webhooks: list[WebhookTarget] = Field(default_factory=list)
    telegram: list[TelegramTarget] = Field(default_factory=list)
    email: list[EmailTarget] = Field(default_factory=list)
    allow_private_targets: bool = Field(default=False, description="Allow webhook targets on private/loopback IPs")
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    max_attempts: int = Field(default=25, ge=1, description="After this many failures an entry is marked failed")
    send_timeout: float = Field(default=10.0, gt=0)
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    use_percolator: bool = Field(default=True, description="On Elasticsearch, percolate rules when available")
    dashboard_url: str | None = None

    @classmethod
    def load(cls, file_config: dict[str, Any] | None = None) -> "AlertSettings":
        section = (file_config or {}).get("alerts") or {}
        return cls(**section)
