"""Alert rules: keyword/query rules (matched per post on ingest) and threshold rules (evaluated per batch)."""
from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from service.alerts.text import tokens
from core.domain import Sentiment, utcnow

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
RuleKind = Literal["keyword", "spike", "negative_share", "hoax_match", "coordinated"]


class RuleQuery(BaseModel):
    """Phrases are matched as whole-token sequences (`text.tokens`) in the title or the text, case-insensitive.

    A post matches when it contains every phrase of `all`, at least one of `any` (if given) and none of `none`,
    and passes the filters. The same in-process matcher (service.alerts.matcher) runs whatever the store.
    """
    model_config = ConfigDict(extra="forbid")
    any: list[str] = Field(default_factory=list, examples=[["vaksin haram", "chip"]])
    all: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    langs: list[str] = Field(default_factory=list)
    sentiment: Sentiment | None = None
    hoax: bool | None = None

    @field_validator("any", "all", "none")
    @classmethod
    def _phrases(cls, v: list[str]) -> list[str]:
        out = []
        for phrase in v:
            if not tokens(phrase):
                raise ValueError(f"phrase {phrase!r} has no words")
            out.append(" ".join(tokens(phrase)))
        return list(dict.fromkeys(out))

    def is_empty(self) -> bool:
        return not (self.any or self.all)


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60, description="Bucket/window width")
    history_buckets: int = Field(default=24, ge=3, le=24 * 60, description="Baseline length in buckets")
    sensitivity: float = Field(default=3.5, gt=0, le=50, description="Robust z-score (median/MAD) to exceed")
    min_posts: int = Field(default=5, ge=1, description="Ignore windows smaller than this")
    negative_share: float = Field(default=0.5, gt=0, le=1, description="negative_share rule: absolute floor")
    min_accounts: int = Field(default=3, ge=2, description="coordinated rule: distinct accounts")
    min_hoax_score: float = Field(default=0.0, ge=0, le=1, description="hoax_match rule: minimum hoax_score")
    min_hoax_accounts: int = Field(default=2, ge=1, description="hoax_match rule: distinct accounts posting the same "
                                   "debunked claim (or hoax narrative) within window_minutes; 1 = any single post")
    per_narrative: bool = Field(default=True, description="spike rules: also per narrative cluster")


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: RuleKind = "keyword"
    campaign: str | None = Field(default=None, description="Campaign id; None = every campaign")
    severity: Severity = "medium"
    cooldown_minutes: int = Field(default=60, ge=0, le=30 * 24 * 60)
    enabled: bool = True
    query: RuleQuery = Field(default_factory=RuleQuery)
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @model_validator(mode="after")
    def _check(self) -> "RuleIn":
        if self.kind == "keyword" and self.query.is_empty():
            raise ValueError("a keyword rule needs at least one phrase in query.any or query.all")
        return self


class Rule(RuleIn):
    id: str = Field(default_factory=lambda: "r_" + uuid.uuid4().hex[:12])
    created_at: str = Field(default_factory=lambda: utcnow().isoformat())
    updated_at: str = Field(default_factory=lambda: utcnow().isoformat())


def bump(severity: str, levels: int = 1) -> str:
    i = min(SEVERITIES.index(severity) + levels, len(SEVERITIES) - 1)
    return SEVERITIES[i]
