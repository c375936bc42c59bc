"""The store contract: every backend (SQLite embedded default, Elasticsearch at scale) implements exactly this.

tests/contract runs one suite against each backend, so behaviour (idempotent upserts, filters, buckets) is the same.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from core.dates import as_utc
from core.domain import Campaign, Post, Sentiment

TermField = Literal["platform", "lang", "sentiment", "campaigns", "author", "hashtags", "source"]
Interval = Literal["hour", "day"]


class StoreUnavailable(RuntimeError):
    """The backend cannot be reached (or asks us to slow down: 429/5xx); callers spool and retry the whole batch."""


class StoreRejected(Exception):
    """The backend refused some documents for what they are (mapping, parse, immense term, over-long id): retrying
    cannot help. Raised by upsert *after* every other post of the batch was written, so callers quarantine exactly
    `rejected` (post id -> reason) and carry on; `stored` is the number of posts written."""

    def __init__(self, rejected: dict[str, str], stored: int):
        self.rejected, self.stored = rejected, stored
        first = next(iter(rejected.items()), ("", ""))
        super().__init__(f"store rejected {len(rejected)} posts (stored {stored}); first {first[0]}: {first[1]}")


# Elasticsearch's _id limit; every backend enforces it so a post is accepted or rejected the same way everywhere
# (generated ids are 24 hex characters; only a hand-set id can exceed it).
MAX_ID_BYTES = 512


def id_problem(post: Post) -> str | None:
    """Why no backend may store this post id, or None."""
    size = len(post.id.encode("utf-8"))
    return f"post id is {size} bytes, the limit is {MAX_ID_BYTES}" if size > MAX_ID_BYTES else None


def utc_instant(value: datetime) -> datetime:
    """The UTC instant of a query bound; ValueError (a 422 at the API edge) when it has none.

    `0001-01-01T00:00:00+01:00` is year 0 in UTC and `9999-12-31T23:59:59-01:00` is year 10000: Python cannot
    represent either, so they are refused here with a readable message instead of overflowing in a store."""
    return as_utc(value)  # the one date module raises ValueError for those


Instant = Annotated[datetime, AfterValidator(utc_instant)]  # a date-time query parameter, always UTC


class PostQuery(BaseModel):
    """Filters shared by search, counts and buckets. Empty query = everything."""
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="Full-text query (words are ANDed)", examples=["vaksin halal"])
    campaign: str | None = None
    campaigns: list[str] | None = Field(default=None, description="Any of these campaigns ([] matches nothing); "
                                        "used to scope a query to an agency's workspace")
    platform: str | None = None
    lang: str | None = None
    sentiment: Sentiment | None = None
    hoax: bool | None = None
    author: str | None = None
    since: Instant | None = Field(default=None, description="created_at >= since")
    until: Instant | None = Field(default=None, description="created_at < until")

    @field_validator("text")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v if v and v.strip() else None


MAX_OFFSET, MAX_LIMIT = 10_000, 500  # the same on every backend (Elasticsearch pages past its window with search_after)


# Result orders, the same on every backend: relevance (text queries; else newest), newest, oldest, engagement
# (likes+reposts+replies, most first), hoax (hoax score, highest first, unscored posts last). Ties: newest, then id.
Sort = Literal["relevance", "newest", "oldest", "engagement", "hoax"]
SORTS: tuple[str, ...] = Sort.__args__  # type: ignore[attr-defined]


class Page(BaseModel):
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    sort: Sort = "newest"


class SearchResult(BaseModel):
    total: int
    posts: list[Post]


class Store(ABC):
    """One interface, two backends. All datetimes are UTC; all writes are idempotent by Post.id."""

    @abstractmethod
    def init(self) -> None:
        """Create tables / index templates. Safe to call repeatedly. Raises StoreUnavailable if unreachable."""

    @abstractmethod
    def upsert(self, posts: Iterable[Post]) -> int:
        """Insert or overwrite by id. Keeps the first first_seen_at and unions campaign ids.

        Raises StoreUnavailable when the backend is down (nothing partially committed is lost: ids are stable), and
        StoreRejected, once the rest of the batch is written, when some documents can never be stored.
        Returns the number of posts written.
        """

    @abstractmethod
    def get(self, post_id: str) -> Post | None: ...

    def get_many(self, post_ids: Iterable[str]) -> dict[str, Post]:
        """The stored posts among these ids, by id (a backend may fetch them in one round trip)."""
        return {p.id: p for p in (self.get(i) for i in dict.fromkeys(post_ids)) if p is not None}

    @abstractmethod
    def search(self, query: PostQuery, page: Page = Page()) -> SearchResult: ...

    @abstractmethod
    def count(self, query: PostQuery = PostQuery()) -> int: ...

    @abstractmethod
    def histogram(self, query: PostQuery, interval: Interval = "day", tz: str = "UTC") -> list[tuple[datetime, int]]:
        """Post counts per calendar bucket of created_at in time zone `tz` (core.periods: a day starts at local
        midnight), only non-empty buckets, oldest first; each bucket start is an aware datetime in `tz`."""

    @abstractmethod
    def terms(self, query: PostQuery, field: TermField, size: int = 10) -> list[tuple[str, int]]:
        """Most frequent values of a field among matching posts, most frequent first (ties by value)."""

    @abstractmethod
    def scan(self, query: PostQuery, sort: Sort = "oldest") -> Iterator[Post]:
        """Every matching post in this order (as `search` pages it), without deep-pagination limits (exports,
        re-processing)."""

    @abstractmethod
    def delete_by_campaign(self, campaign: str) -> int:
        """Remove posts tagged with this campaign; returns how many were deleted."""

    # Campaign definitions live beside the posts so every process sees the same configuration.
    @abstractmethod
    def put_campaign(self, campaign: Campaign) -> None: ...

    @abstractmethod
    def get_campaign(self, campaign_id: str) -> Campaign | None: ...

    @abstractmethod
    def list_campaigns(self, workspace: str | None = None) -> list[Campaign]: ...

    @abstractmethod
    def remove_campaign(self, campaign_id: str) -> bool:
        """Delete the definition and leave a tombstone naming its workspace (see `campaign_tombstone`)."""

    @abstractmethod
    def campaign_tombstone(self, campaign_id: str) -> str | None:
        """The workspace that deleted this campaign id, or None. Posts, alerts, narratives and rules stay keyed by
        the id, so only that workspace may create the id again: another one would inherit them."""

    @abstractmethod
    def ping(self) -> bool: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


def merge_existing(new: Post, old: Post) -> Post:
    """Re-collection overwrites content and engagement but keeps when we first saw it and who monitors it."""
    return new.model_copy(update={
        "first_seen_at": min(old.first_seen_at or old.collected_at, new.first_seen_at or new.collected_at),
        "campaigns": sorted(set(old.campaigns) | set(new.campaigns)),
    })
