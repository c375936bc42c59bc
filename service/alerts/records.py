"""Records shared by the alert store (store.py) and the live-stream announcements (announce.py): the stored timestamp
format, ids in creation order, and an outbox entry with who claims it."""
from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import datetime

from core.domain import as_utc, utcnow

OWNER = f"{socket.gethostname()}:{os.getpid()}"  # who claimed an outbox entry (for the record; the lease decides)


def ts(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def time_id() -> str:
    """Ids that sort in creation order (audit and attempt records are read back in that order)."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def outbox_entry(alert_id: str, channel: str, target: int, payload: str) -> dict:
    now = ts(utcnow())
    return {"alert_id": alert_id, "channel": channel, "target": target, "payload": payload, "status": "pending",
            "attempts": 0, "next_try": time.time(), "last_error": None, "created_at": now, "updated_at": now,
            "sent_at": None, "claimed_by": None}
