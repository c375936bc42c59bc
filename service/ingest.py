"""File imports (JSONL, CSV, snscrape JSONL) → Posts. Bad rows are reported with file:line and quarantined."""
from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from service.domain import Engagement, Post
from service.quarantine import Quarantine

csv.field_size_limit(sys.maxsize)

TEXT_KEYS = ("text", "rawContent", "content", "renderedContent", "message", "tweet", "body", "full_text")
DATE_KEYS = ("created_at", "date", "createdAt", "timestamp", "published", "time")
ID_KEYS = ("native_id", "id", "id_str", "post_id", "message_id")
AUTHOR_KEYS = ("author", "username", "user", "screen_name", "account")


class BadRecord(ValueError):
    """A row that cannot become a Post; the message says why in words a user can act on."""


def _first(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def parse_datetime(value: Any) -> datetime:
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = float(value)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        for parse in (datetime.fromisoformat, lambda s: datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y")):
            try:
                parsed = parse(text)
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
            except ValueError:
                continue
    raise BadRecord(f"unreadable date {value!r}")


def _author(value: Any) -> str | None:
    if isinstance(value, dict):  # snscrape nests the user object
        return value.get("username") or value.get("displayname")
    return str(value) if value is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise BadRecord(f"engagement count {value!r} is not a whole number") from None


def snscrape_platform(kind: str) -> str:
    """'snscrape.modules.twitter.Tweet' → 'twitter'."""
    parts = kind.split(".")
    return parts[2] if len(parts) > 3 and parts[0] == "snscrape" else "import"


def to_post(record: dict[str, Any], default_source: str) -> Post:
    """Map our own Post JSON, snscrape JSONL (Tweet, TelegramPost, ...) or a generic flat row to a Post."""
    if not isinstance(record, dict):
        raise BadRecord(f"expected an object, got {type(record).__name__}")
    if "source" in record and "native_id" in record:  # our own export format
        return Post.model_validate(record)
    text = _first(record, TEXT_KEYS)
    if not isinstance(text, str) or not text.strip():
        raise BadRecord(f"no text (looked for {', '.join(TEXT_KEYS)})")
    date = _first(record, DATE_KEYS)
    if date is None:
        raise BadRecord(f"no date (looked for {', '.join(DATE_KEYS)})")
    kind = str(record.get("_type", ""))
    platform = snscrape_platform(kind) if kind else str(record.get("platform") or "import")
    native = _first(record, ID_KEYS) or record.get("url")
    if native is None:  # a row without an id: its content identifies it, so re-imports still dedupe
        native = hashlib.sha1(f"{text}\x1f{date}\x1f{_first(record, AUTHOR_KEYS)}".encode()).hexdigest()
    hashtags = record.get("hashtags") or []
    if isinstance(hashtags, str):
        hashtags = [h for h in hashtags.replace(",", " ").split() if h]
    links = record.get("outlinks") or record.get("links") or []
    links = [l.get("url", "") if isinstance(l, dict) else str(l) for l in links] if isinstance(links, list) else []
    return Post(
        source=platform if kind else str(record.get("source") or default_source),
        native_id=str(native),
        platform=platform if platform in Post.model_fields["platform"].annotation.__args__ else "import",
        url=record.get("url"),
        author=_author(_first(record, AUTHOR_KEYS)),
        text=text,
        title=record.get("title"),
        lang=record.get("lang") or None,
        created_at=parse_datetime(date),
        engagement=Engagement(
            likes=_int(_first(record, ("likeCount", "likes", "favourites_count"))),
            reposts=_int(_first(record, ("retweetCount", "reposts", "reblogs_count", "forwards"))),
            replies=_int(_first(record, ("replyCount", "replies", "replies_count"))),
            views=_int(_first(record, ("viewCount", "views"))),
        ),
        hashtags=[str(h) for h in hashtags],
        links=[l for l in links if l],
        campaigns=[c for c in str(record.get("campaigns") or "").replace(",", " ").split()]
        if isinstance(record.get("campaigns"), str) else list(record.get("campaigns") or []),
        raw=record if kind else None,
    )


def read_records(path: Path) -> Iterator[tuple[int, str, dict[str, Any] | None, str | None]]:
    """Yield (line number, raw text, record or None, error or None) for JSONL/NDJSON or CSV files."""
    if path.suffix.lower() in (".csv", ".tsv"):
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            for row in reader:
                line = reader.line_num
                if None in row:  # more fields than the header names
                    yield line, json.dumps(row, default=str), None, f"{len(row[None]) + len(reader.fieldnames)} fields, header has {len(reader.fieldnames)}"
                else:
                    yield line, json.dumps(row, ensure_ascii=False), row, None
        return
    with open(path, "rb") as fh:  # JSONL records end at "\n" only; a stray "\r" stays inside its record
        for number, raw in enumerate(fh, 1):
            line = raw.decode("utf-8", "replace")
            if not line.strip():
                continue
            try:
                yield number, line, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield number, line, None, f"invalid JSON: {exc.msg} at column {exc.colno}"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def import_file(path: Path, quarantine: Quarantine, report=print) -> Iterator[Post]:
    """Posts from a file; each bad record is reported as 'file:line: reason' and quarantined, never fatal."""
    default_source = f"import:{path.name}"
    for line, raw, record, error in read_records(path):
        if error is None:
            try:
                yield to_post(record, default_source)
                continue
            except (BadRecord, ValidationError, TypeError, ValueError) as exc:
                error = _reason(exc)
        report(f"{path}:{line}: {error}")
        quarantine.put(str(path), error, raw, line=line)
