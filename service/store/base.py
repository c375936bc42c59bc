"""The store contract: every backend (SQLite embedded default, Elasticsearch at scale) implements exactly this.

tests/contract runs one suite against each backend, so behaviour (idempotent upserts, filters, buckets) is the same.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.domain import Campaign, Post, Sentiment, as_utc

TermField = Literal["platform", "lang", "sentiment", "campaigns", "author", "hashtags", "source"]
Interval = Literal["hour", "day"]


class StoreUnavailable(RuntimeError):
    """The backend cannot be reached; callers spool and retry instead of losing data."""


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
    since: datetime | None = Field(default=None, description="created_at >= since")
    until: datetime | None = Field(default=None, description="created_at < until")

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return as_utc(v) if v is not None else None

    @field_validator("text")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v if v and v.strip() else None


class Page(BaseModel):
    offset: int = Field(default=0, ge=0, le=10_000)
    limit: int = Field(default=20, ge=1, le=500)
    sort: Literal["relevance", "newest", "oldest", "engagement"] = "newest"


class SearchResult(BaseModel):
    total: int
    posts: list[Post]


class Store(ABC):
    """One interface, two backends. All datetimes are UTC; all writes are idempotent by Post.id."""

    @abstractmethod
    def init(self) -> None:
        """Create tables / index templates. Safe to call repeatedly."""

    @abstractmethod
    def upsert(self, posts: Iterable[Post]) -> int:
        """Insert or overwrite by id. Keeps the first first_seen_at and unions campaign ids.

        Raises StoreUnavailable when the backend is down (nothing partially committed is lost: ids are stable).
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
    def histogram(self, query: PostQuery, interval: Interval = "day") -> list[tuple[datetime, int]]:
        """Post counts per calendar bucket (UTC) of created_at, only non-empty buckets, oldest first."""

    @abstractmethod
    def terms(self, query: PostQuery, field: TermField, size: int = 10) -> list[tuple[str, int]]:
        """Most frequent values of a field among matching posts, most frequent first (ties by value)."""

    @abstractmethod
    def scan(self, query: PostQuery) -> Iterator[Post]:
        """Every matching post, oldest first, without deep-pagination limits (exports, re-processing)."""

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
