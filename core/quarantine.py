"""The one quarantine: every record we could not take (a bad import line, a malformed collector item, a document the
store rejected) is kept as one JSONL line with where it came from and why, so nothing a user handed us is dropped.

Schema of a line: {"at", "source", "line" (file imports only, else null), "reason", "payload"}.
The same record with the same reason is written once: re-importing a file or re-collecting a page does not append
the same quarantine lines again.
"""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PAYLOAD_LIMIT = 4000  # characters kept per string in a quarantined payload
REASON_LIMIT = 500


def truncate(payload: Any, limit: int = PAYLOAD_LIMIT, depth: int = 0) -> Any:
    """Keep provenance payloads small: long strings cut, long lists cut, deep nesting flattened."""
    if isinstance(payload, str):
        return payload if len(payload) <= limit else payload[:limit] + "…"
    if isinstance(payload, bytes):
        return truncate(payload.decode("utf-8", "backslashreplace"), limit, depth)
    if depth > 6:
        return truncate(repr(payload), 200)
    if isinstance(payload, dict):
        return {str(k): truncate(v, limit, depth + 1) for k, v in list(payload.items())[:50]}
    if isinstance(payload, (list, tuple)):
        return [truncate(v, limit, depth + 1) for v in list(payload)[:50]]
    if payload is None or isinstance(payload, (int, bool)):
        return payload
    if isinstance(payload, float):
        return payload if payload == payload and abs(payload) != float("inf") else repr(payload)  # JSON has no NaN
    return truncate(str(payload), limit, depth)


def _key(source: str, line: int | None, reason: str, payload: Any) -> str:
    body = json.dumps([source, line, reason, payload], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha1(body.encode("utf-8", "surrogatepass")).hexdigest()


class Quarantine:
    """Appends rejected records to a JSONL file (or only counts them when `path` is None). Thread-safe."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._seen: set[str] | None = None  # keys already in the file, loaded on first put
        self.count = 0  # records rejected through this instance (repeats included: they were rejected again)

    def put(self, source: str, reason: str, payload: Any, line: int | None = None) -> None:
        reason = str(reason)[:REASON_LIMIT]
        payload = truncate(payload)
        key = _key(source, line, reason, payload)
        with self._lock:
            self.count += 1
            if self.path is None:
                return
            seen = self._load_seen()
            if key in seen:
                return
            seen.add(key)
            record = {"at": datetime.now(timezone.utc).isoformat(), "source": source, "line": line,
                      "reason": reason, "payload": payload}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def _load_seen(self) -> set[str]:
        if self._seen is None:
            self._seen = {_key(r["source"], r.get("line"), r["reason"], r["payload"])
                          for r in read_quarantine(self.path) if "source" in r and "payload" in r}
        return self._seen


def read_quarantine(path: str | Path | None) -> list[dict]:
    p = Path(path) if path else None
    if p is None or not p.exists():
        return []
    out = []
    for ln in p.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(ln))
        except json.JSONDecodeError:  # a torn last line after a crash is not a reason to fail
            continue
    return out
