"""The collector interface (Scrapy's spider/pipeline split).

A collector only *produces*: `collect(cursor)` yields Batches, each carrying posts, known debunked claims,
rejected items (for quarantine) and the cursor that is valid once this batch (and all before it) is stored.
The scheduler is the pipeline: it hands posts to the sink and persists `batch.cursor` only after the sink
accepted them, so a crash re-delivers at most one batch (ids are stable, so re-delivery never duplicates).
"""
from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from core.dates import parse_datetime
from core.domain import Campaign, Engagement, Post
from core.quarantine import truncate as _truncate
from core.textrefs import extract_hashtags, extract_links

RAW_LIMIT = 2000  # characters kept per string in Post.raw / quarantine payloads


@dataclass
class Reject:
    """A malformed page/frame/item: written to quarantine by the scheduler, the collector carries on."""
    reason: str
    payload: Any


@dataclass
class Batch:
    posts: list[Post] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    cursor: dict | None = None
    # items left out on purpose (not malformed), by reason, e.g. {"empty comment": 2}: counted in GET /sources
    skipped: dict[str, int] = field(default_factory=dict)


@runtime_checkable
class Collector(Protocol):
    name: str
    type: str
    interval_seconds: float

    def collect(self, cursor: dict | None) -> Iterator[Batch]: ...


@dataclass
class Parsed:
    """What a parser returns: good posts plus rejects (never raises on bad input)."""
    posts: list[Post] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def reject(self, exc: Exception, payload: Any) -> None:
        """One bad item: a ValueError says what is wrong with it; anything else is an unexpected parse error."""
        reason = str(exc) if isinstance(exc, ValueError) else f"parse error: {type(exc).__name__}: {exc}"
        self.rejects.append(Reject(reason, payload))

    def skip(self, reason: str, n: int = 1) -> None:
        """An item left out on purpose (no text to analyse): counted, not quarantined."""
        skipped = self.extra.setdefault("skipped", {})
        skipped[reason] = skipped.get(reason, 0) + n

    def absorb(self, page: "Parsed", posts: list[Post] | None = None) -> None:
        """Gather another page into this one: its rejects, skip counts, and its posts (or the `posts` kept of it)."""
        self.posts += page.posts if posts is None else posts
        self.rejects += page.rejects
        for reason, n in (page.extra.get("skipped") or {}).items():
            self.skip(reason, n)

    def batch(self, cursor: dict | None, only_matching: bool = False) -> "Batch":
        """This page as a Batch (posts matching no campaign dropped when `only_matching`); `cursor` is copied."""
        return Batch(posts=[p for p in self.posts if not only_matching or p.campaigns], rejects=self.rejects,
                     skipped=dict(self.extra.get("skipped") or {}),
                     cursor=json.loads(json.dumps(cursor)) if cursor is not None else None)

    def unparseable(self, reason: str, payload: Any) -> "Parsed":
        """The whole page/response is unusable: one reject, and a flag the collector turns into a source error."""
        self.rejects.append(Reject(reason, payload))
        self.extra["unparseable"] = True
        return self


def decode_json(payload: Any, out: Parsed, expect: type | None = None, problem: str = "") -> Any:
    """Text or bytes → JSON value; on invalid JSON, or a value that is not an `expect` (then `problem` is the
    reason), marks `out` unparseable and returns None."""
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            out.unparseable(f"invalid JSON: {exc}", payload)
            return None
    if expect is not None and not isinstance(payload, expect):
        out.unparseable(problem, payload)
        return None
    return payload


# --- helpers shared by the parsers ---------------------------------------------------------------

_TAG_RE = re.compile(r"<[^>]+>")
_BR_RE = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\s*/?>", re.I)
_WS_RE = re.compile(r"[ \t\r\f\v]+")


def html_to_text(value: str | None) -> str:
    """Small, dependency-free HTML → text (Mastodon content, RSS summaries)."""
    if not value:
        return ""
    text = _BR_RE.sub("\n", value)
    text = _TAG_RE.sub("", text)
    text = htmllib.unescape(text)
    lines = [_WS_RE.sub(" ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln).strip()


def match_campaigns(campaigns: Iterable[Campaign], text: str, author: str | None, hashtags: list[str]) -> list[str]:
    return [c.id for c in campaigns if c.matches(text, author=author, hashtags=hashtags)]


def truncate(payload: Any, limit: int = RAW_LIMIT) -> Any:
    """Keep provenance payloads small (Post.raw, rejects): the quarantine's own truncation, at RAW_LIMIT."""
    return _truncate(payload, limit)


def parse_dt(value: Any) -> datetime | None:
    """core.dates.parse_datetime (the one date parser: ISO 8601, epoch seconds or milliseconds, range-checked),
    or None when missing, unreadable or out of range, which build_post then rejects as an unusable date."""
    if value is None or value == "":
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def build_post(campaigns: Iterable[Campaign], *, source: str, native_id: Any, platform: str, text: str,
               created_at: datetime | None, url: str | None = None, author: str | None = None,
               title: str | None = None, lang: str | None = None, engagement: Engagement | None = None,
               hashtags: list[str] | None = None, links: list[str] | None = None,
               raw: dict | None = None) -> Post:
    """Validate into a Post (raises ValueError with a readable reason; parsers turn it into a Reject)."""
    if native_id in (None, ""):
        raise ValueError("missing native id")
    text = (text or "").strip()
    if not text and title:
        text = title.strip()
    if not text:
        raise ValueError("empty text")
    if created_at is None:
        raise ValueError("missing or unparseable date")
    tags = hashtags if hashtags is not None else extract_hashtags(text)
    tags = list(dict.fromkeys(t.lstrip("#").lower() for t in tags if t and t.strip("# ")))
    lnks = list(dict.fromkeys(links if links is not None else extract_links(text)))
    try:
        return Post(
            source=source, native_id=str(native_id), platform=platform, url=url, author=author,
            text=text, title=title, lang=lang, created_at=created_at,
            engagement=engagement or Engagement(), hashtags=tags, links=lnks,
            campaigns=match_campaigns(campaigns, f"{title or ''}\n{text}", author, tags),
            raw=truncate(raw) if raw is not None else None,
        )
    except ValidationError as exc:
        raise ValueError(f"invalid post: {exc.errors()[0].get('loc')} {exc.errors()[0].get('msg')}") from None


def nonneg_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value == value and value >= 0 and value < 1e18:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def id_key(value: Any) -> tuple[int, int | str]:
    """Order ids numerically when they are numbers (Mastodon snowflakes, Telegram ids), else as text."""
    s = str(value)
    return (0, int(s)) if s.isdigit() else (1, s)
