"""Secrets never reach logs or stored error messages: API keys, bearer tokens, bot tokens and key= query params
are masked wherever text is logged (a log-record factory) or an error is recorded (collector state, outbox)."""
from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"([?&](?:key|api_key|apikey|access_token|token|secret|password)=)[^&\s'\"]+", re.I), r"\1[redacted]"),
    (re.compile(r"(/bot)[^/\s'\"]+(?=/)"), r"\1[redacted]"),  # Telegram bot API path
    (re.compile(r"(/tipline/telegram/)[^/\s?'\"]+"), r"\1[redacted]"),  # the tipline webhook's secret path
    (re.compile(r"\bnwk_[A-Za-z0-9]+_[A-Za-z0-9_\-]+"), "nwk_[redacted]"),  # our API keys
    (re.compile(r"(\bBearer\s+)[^\s'\"]+", re.I), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def install() -> None:
    """Wrap the process's log-record factory once, so every logger (ours, httpx, uvicorn) is covered."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "narrawatch_redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call stays the logging module's problem
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return record

    factory.narrawatch_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
