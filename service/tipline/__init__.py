"""The public tipline: citizens forward suspicious messages to a Telegram bot or a WhatsApp number; each becomes a
`platform=tipline` post and gets an answer at once (see desk.py)."""
from __future__ import annotations

from service.alerts.store import AlertStore
from service.config import Settings
from service.pipeline import Pipeline
from service.tipline.config import TiplineSettings
from service.tipline.desk import TipDesk
from service.tipline.store import TipStore
from service.tipline.vault import SenderVault


def build_desk(settings: Settings, pipeline: Pipeline, alerts: AlertStore) -> TipDesk:
    tipline = TiplineSettings.load(settings.file_config)
    vault = SenderVault(path=tipline.salt_file or settings.data_dir / "tipline.salt")
    return TipDesk(tipline, TipStore(settings.data_dir / "tipline.db"), vault, pipeline, alerts)
