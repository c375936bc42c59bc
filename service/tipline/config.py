"""Tipline configuration: the `tipline:` section of the YAML file, or NW_TIPLINE_* variables (nested with __).

Secrets are SecretStr: they never appear in a repr, a log line or an error (core/redact.py masks the bot token in
URLs as well)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelegramBot(BaseModel):
    token: SecretStr | None = Field(default=None, description="Bot API token from @BotFather")
    webhook_path: SecretStr | None = Field(default=None, description=(
        "The {secret-path} of POST /tipline/telegram/{secret-path} (long and random: the URL is the first secret)"))
    webhook_secret: SecretStr | None = Field(default=None, description=(
        "secret_token given to setWebhook; Telegram sends it as X-Telegram-Bot-Api-Secret-Token"))
    poll: bool = Field(default=False, description="Long-poll getUpdates from the worker instead of a webhook")
    poll_timeout: int = Field(default=30, ge=0, le=50, description="getUpdates long-poll seconds")
    base_url: str = "https://api.telegram.org"


class WhatsAppCloud(BaseModel):
    app_secret: SecretStr | None = Field(default=None, description="Meta app secret: X-Hub-Signature-256 key")
    verify_token: SecretStr | None = Field(default=None, description="Echoed by the GET verification handshake")
    phone_number_id: str | None = Field(default=None, description="Business number that sends the answers")
    access_token: SecretStr | None = Field(default=None, description="Graph API token (Bearer) for /messages")
    graph_url: str = "https://graph.facebook.com"
    graph_version: str = "v21.0"


class TiplineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NW_TIPLINE_", env_nested_delimiter="__", extra="ignore")

    telegram: TelegramBot = Field(default_factory=TelegramBot)
    whatsapp: WhatsAppCloud = Field(default_factory=WhatsAppCloud)
    salt_file: Path | None = Field(default=None, description=(
        "File holding the secret salt of sender hashes (created with 32 random bytes, mode 0600, when missing); "
        "default <data_dir>/tipline.salt"))
    rate_limit: int = Field(default=10, ge=1, description="Messages per sender per window; beyond: one notice")
    rate_window_minutes: float = Field(default=60, gt=0)
    reply_days: float = Field(default=7, gt=0, description=(
        "How long a sender can still be answered from the alert desk (their encrypted address is then erased)"))
    allow_private_targets: bool = Field(default=False, description="Bot/Graph API base URLs on private IPs (tests)")
    send_timeout: float = Field(default=10.0, gt=0)

    @classmethod
    def load(cls, file_config: dict[str, Any] | None = None) -> "TiplineSettings":
        return cls(**((file_config or {}).get("tipline") or {}))

    @property
    def telegram_on(self) -> bool:
        return self.telegram.token is not None

    @property
    def whatsapp_on(self) -> bool:
        w = self.whatsapp
        return bool(w.app_secret and w.verify_token and w.phone_number_id and w.access_token)
