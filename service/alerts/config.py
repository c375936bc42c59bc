"""Alert configuration: environment (prefix NW_ALERTS_, nested with __) or the `alerts:` section of the YAML file."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.periods import DEFAULT_ZONE, Zone


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


class DigestSettings(BaseModel):
    """The scheduled daily digest e-mail (``alerts.digest`` in the YAML file, ``NW_ALERTS_DIGEST__*`` in the env).

    Once a day of zone ``tz`` (WIB by default), at or after the local ``hour``, the worker renders yesterday's
    digest (dashboards/digest.py) of every campaign that has recipients and queues it in the durable outbox under the key ``digest:<campaign>:<date>``,
    so it is sent once per campaign-day across restarts. Mail goes through the SMTP server and sender of
    ``alerts.email[email_target]``. Recipients of a campaign: ``to`` (every campaign) plus ``campaigns[<id>]``;
    when both are empty, the ``to`` of the alert e-mail targets that cover the campaign.
    """
    enabled: bool = False
    hour: int = Field(default=6, ge=0, le=23, description="Local hour (in `tz`) from which yesterday's digest is sent")
    tz: Zone = Field(default=DEFAULT_ZONE, description="Zone of the digest's days and hour (WIB, WITA, WIT or UTC)")
    lang: str = Field(default="id", description="Digest language (id or en)")
    to: list[str] = Field(default_factory=list, description="Recipients of every campaign's digest")
    campaigns: dict[str, list[str]] = Field(default_factory=dict, description="Extra recipients per campaign id")
    email_target: int = Field(default=0, ge=0, description="Index into alerts.email: SMTP server and sender")


class AlertSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NW_ALERTS_", env_nested_delimiter="__", extra="ignore")

    webhooks: list[WebhookTarget] = Field(default_factory=list)
    telegram: list[TelegramTarget] = Field(default_factory=list)
    email: list[EmailTarget] = Field(default_factory=list)
    allow_private_targets: bool = Field(default=False,
                                        description="Allow webhook, Telegram and SMTP targets on private/loopback IPs")
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    max_attempts: int = Field(default=25, ge=1, description="After this many failures an entry is marked failed")
    send_timeout: float = Field(default=10.0, gt=0)
    send_lease_seconds: float = Field(default=120.0, gt=0, description=(
        "How long a process holds an outbox entry it is sending; if it dies meanwhile, another sends the entry "
        "after this (a receiver may then get that delivery id twice: de-duplicate on X-Narrawatch-Delivery)"))
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    dashboard_url: str | None = None
    digest: DigestSettings = Field(default_factory=DigestSettings)

    @classmethod
    def load(cls, file_config: dict[str, Any] | None = None) -> "AlertSettings":
        section = (file_config or {}).get("alerts") or {}
        return cls(**section)
