"""The domain model shared by every stage: what a post, a campaign and an alert are."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from core.dates import as_utc, parse_datetime  # noqa: F401 - as_utc re-exported for the stores
from core.langcodes import normalize_lang

Sentiment = Literal["positive", "neutral", "negative"]
Platform = Literal[
    "rss", "news", "factcheck", "telegram", "mastodon", "bluesky", "youtube", "gdelt", "twitter", "facebook",
    "instagram", "tiktok", "tipline", "import", "other"
]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def post_id(source: str, native_id: str) -> str:
    """Stable id: the same item from the same source always maps to the same document (idempotent upserts)."""
    return hashlib.sha1(f"{source}\x1f{native_id}".encode()).hexdigest()[:24]


COUNT_MAX = 2**53  # counts beyond this are garbage (and overflow SQLite/ES integers and JS numbers)

# Size caps (README "Limits"). Post text longer than TEXT_MAX is kept truncated, with `truncated: true`, rather than
# rejected: the post still counts. Every other string and list has a cap that answers 422 (or quarantines the record).
TEXT_MAX = 100_000
NAME_MAX = 200  # names, keywords, hashtags, accounts, authors
URL_MAX = 4096
LIST_MAX = 500  # items in any list field
Name = Annotated[str, StringConstraints(max_length=NAME_MAX)]
Url = Annotated[str, StringConstraints(max_length=URL_MAX)]


class Engagement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    likes: int | None = Field(default=None, ge=0, le=COUNT_MAX)
    reposts: int | None = Field(default=None, ge=0, le=COUNT_MAX)
    replies: int | None = Field(default=None, ge=0, le=COUNT_MAX)
    views: int | None = Field(default=None, ge=0, le=COUNT_MAX)

    @property
    def total(self) -> int:
        return sum(v or 0 for v in (self.likes, self.reposts, self.replies, self.views))


class Classification(BaseModel):
    """What the classify stage adds; every field optional so a partial classifier is still valid."""
    model_config = ConfigDict(extra="forbid")
    sentiment: Sentiment | None = None
    sentiment_score: float | None = Field(default=None, ge=0, le=1)
    hoax_score: float | None = Field(default=None, ge=0, le=1)
    hoax: bool = False
    hoax_reasons: list[str] = Field(default_factory=list)
    matched_claim_id: str | None = None
    matched_claim_url: str | None = None
    matched_claim_title: str | None = Field(default=None, description="The debunk's title as a reader sees it")
    matched_claim_score: float | None = Field(default=None, ge=0, le=1, description="Similarity to that debunk")
    entities: list[str] = Field(default_factory=list)


class Post(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="", max_length=NAME_MAX)
    source: str = Field(min_length=1, max_length=NAME_MAX,
                        description="Collector instance, e.g. 'rss:antaranews.com' or 'import'")
    native_id: str = Field(min_length=1, max_length=URL_MAX,
                           description="The platform's own id (URL, status id, message id)")
    platform: Platform = "other"
    url: str | None = Field(default=None, max_length=URL_MAX)
    author: str | None = Field(default=None, max_length=NAME_MAX)
    text: str = Field(min_length=1, description=f"Longer than {TEXT_MAX} characters: truncated, `truncated` set")
    truncated: bool = Field(default=False, description=f"The text was cut at {TEXT_MAX} characters")
    title: str | None = Field(default=None, max_length=URL_MAX)
    lang: str | None = Field(default=None, max_length=16)
    created_at: datetime
    collected_at: datetime = Field(default_factory=utcnow)
    first_seen_at: datetime | None = None
    engagement: Engagement = Field(default_factory=Engagement)
    campaigns: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    hashtags: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    links: list[Url] = Field(default_factory=list, max_length=LIST_MAX)
    classification: Classification = Field(default_factory=Classification)
    raw: dict[str, Any] | None = Field(default=None, description="Original payload, kept for provenance")

    @model_validator(mode="before")
    @classmethod
    def _truncate(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("text"), str) and len(data["text"]) > TEXT_MAX:
            data = {**data, "text": data["text"][:TEXT_MAX], "truncated": True}
        return data

    @field_validator("created_at", "collected_at", "first_seen_at", mode="before")
    @classmethod
    def _date(cls, v: Any, info: ValidationInfo) -> datetime | None:
        """The one date parser (core/dates.py): same epoch rule as collectors and imports, and a date outside
        the representable range is a validation error naming the field, never an OverflowError (500)."""
        return parse_datetime(v, info.field_name) if v is not None else None

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, v: Any) -> str | None:
        """One language-code convention for every source and import path ('in' → 'id', 'und' → None)."""
        if v is not None and not isinstance(v, str):
            raise ValueError("must be a language code (string) or null")
        return normalize_lang(v)

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        """Hashtags are case-insensitive on every platform: store them once, lowercased, without '#'."""
        return list(dict.fromkeys(t.lstrip("#").lower() for t in v if t.strip("# ")))

    @model_validator(mode="after")
    def _derive(self) -> "Post":
        if not self.id:
            self.id = post_id(self.source, self.native_id)
        if self.first_seen_at is None:
            self.first_seen_at = self.collected_at
        return self


class Campaign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Slug used in filters and URLs")
    name: str = Field(min_length=1, max_length=NAME_MAX)
    workspace: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
                           description="Agency that owns the campaign (the workspace of its keys)")
    keywords: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    hashtags: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    accounts: list[Name] = Field(default_factory=list, max_length=LIST_MAX)
    key_messages: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(default_factory=list,
                                                                                     max_length=50)
    language: str = Field(default="id", max_length=16)

    @field_validator("hashtags")
    @classmethod
    def _strip_hash(cls, v: list[str]) -> list[str]:
        return [h.lstrip("#").lower() for h in v if h.strip("# ")]

    def matches(self, text: str, author: str | None = None, hashtags: list[str] | None = None) -> bool:
        """A post belongs to a campaign when it names a keyword or hashtag, or comes from a watched account."""
        low = text.lower()
        tags = {h.lower() for h in hashtags or []}
        if any(k.lower() in low for k in self.keywords):
            return True
        if any(h in tags or f"#{h}" in low for h in self.hashtags):
            return True
        return bool(author) and author.lower().lstrip("@") in {a.lower().lstrip("@") for a in self.accounts}


class Alert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    campaign: str
    rule: str
    severity: Literal["info", "low", "medium", "high", "critical"] = "medium"
    title: str = Field(description="In English; title_key + title_params render it in any dashboard language")
    title_key: str | None = Field(default=None, description="service/alerts/titles.py template key")
    title_params: dict[str, Any] = Field(default_factory=dict)
    why: dict[str, Any] = Field(default_factory=dict, description="Rule, figures and example posts")
    brief: dict[str, Any] = Field(default_factory=dict, description="Counter-narrative brief")
    post_ids: list[str] = Field(default_factory=list)
    dedup_key: str
    status: Literal["open", "acknowledged", "assigned", "resolved"] = "open"
    assignee: str | None = None
    incident: str | None = Field(default=None, description="Alerts about one narrative share it: one card, one incident")
    notes: list[dict[str, Any]] = Field(default_factory=list, description="Officers' notes: id, at, author, text")
    responses: list[dict[str, Any]] = Field(
        default_factory=list, description="Counter-messages sent: id, sent_at, recorded_at, by, text, channel, url")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
