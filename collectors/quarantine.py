"""Malformed pages/frames/items go to a JSONL file with source, reason and a truncated payload."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from collectors.base import truncate

PAYLOAD_LIMIT = 4000


class Quarantine:
    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self.count = 0
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def put(self, source: str, reason: str, payload: Any) -> None:
        record = {
            "at": datetime.now(timezone.utc).isoformat(),
            "source": source,
            "reason": str(reason)[:500],
            "payload": truncate(payload, PAYLOAD_LIMIT),
        }
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            self.count += 1
            if self.path:
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")


def read_quarantine(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(ln) for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
