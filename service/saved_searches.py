"""Saved searches: a named query in the search language plus filters, owned by a key and kept per workspace in the
shared document store (service/store/documents.py), so every API process sees the same list. One drives the
analyst page, an export and, turned into a keyword rule, an alert."""
from __future__ import annotations

import re
import uuid

from pydantic import BaseModel, ConfigDict, Field

from core.domain import NAME_MAX, Sentiment, utcnow
from service.alerts.rules import RuleQuery
from service.store.base import Instant, PostQuery
from service.store.documents import Documents, open_documents
from service.store.query import MAX_QUERY, And, Field as FieldNode, Node, Not, Or, Terms, parse

FIELDS = {"workspace": "keyword", "owner": "keyword", "name": "keyword", "created_at": "date"}
MAX_PER_WORKSPACE = 1000
ID = re.compile(r"s_[0-9a-f]{12}")


class SearchFilters(BaseModel):
    """The analyst page's filters beside the query (each optional)."""
    model_config = ConfigDict(extra="forbid")
    campaign: str | None = Field(default=None, max_length=NAME_MAX)
    platform: str | None = Field(default=None, max_length=NAME_MAX)
    lang: str | None = Field(default=None, max_length=16)
    sentiment: Sentiment | None = None
    hoax: bool | None = None
    author: str | None = Field(default=None, max_length=NAME_MAX)
    since: Instant | None = None
    until: Instant | None = None


class SavedSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=NAME_MAX, examples=["Hoaks hotel gratis"])
    query: str = Field(default="", max_length=MAX_QUERY, description="The search language (README, Search)",
                       examples=['"hotel gratis" -resmi'])
    filters: SearchFilters = Field(default_factory=SearchFilters)


class SavedSearch(SavedSearchIn):
    id: str
    owner: str = Field(description="Name of the key that saved it")
    workspace: str
    created_at: str
    updated_at: str

    def post_query(self) -> PostQuery:
        return PostQuery(text=self.query or None, **self.filters.model_dump())


class SavedSearches:
    def __init__(self, docs: Documents):
        self.docs = docs

    @classmethod
    def open(cls, settings) -> "SavedSearches":
        return cls(open_documents(settings, "saved_searches", FIELDS))

    def create(self, body: SavedSearchIn, owner: str, workspace: str) -> SavedSearch:
        now = utcnow().isoformat()
        saved = SavedSearch(**body.model_dump(), id="s_" + uuid.uuid4().hex[:12], owner=owner, workspace=workspace,
                            created_at=now, updated_at=now)
        self.docs.create(saved.id, saved.model_dump(mode="json"))
        return saved

    def get(self, search_id: str) -> SavedSearch | None:
        doc = self.docs.get(search_id)
        return SavedSearch.model_validate(doc.body) if doc else None

    def list(self, workspace: str | None) -> list[SavedSearch]:
        """A workspace's searches by name (None: every workspace's)."""
        where = {"workspace": workspace} if workspace is not None else None
        docs = self.docs.find(where, sort=[("name", "asc")], limit=MAX_PER_WORKSPACE)
        return [SavedSearch.model_validate(d.body) for d in docs]

    def replace(self, old: SavedSearch, body: SavedSearchIn) -> SavedSearch:
        saved = old.model_copy(update={**body.model_dump(), "filters": body.filters,
                                       "updated_at": utcnow().isoformat()})
        self.docs.put(old.id, saved.model_dump(mode="json"))
        return saved

    def delete(self, search_id: str) -> bool:
        return self.docs.delete(search_id)


class NotARule(ValueError):
    """A saved search an alert rule cannot express (rules match words as written, on new posts)."""


def rule_query(saved: SavedSearch) -> tuple[RuleQuery, str | None]:
    """The keyword rule a saved search becomes, and the campaign it names (filter or `campaign:`), if any.

    Rules match words and phrases as written (no stems, no prefixes) with ANDed words, one OR group, NOTs, and
    platform/lang/campaign; anything else is refused with what and why, never silently dropped."""
    f = saved.filters
    if f.author:
        raise NotARule("the author filter cannot be part of an alert rule")
    parts: dict = {"all": [], "any": [], "none": [], "platforms": [f.platform] if f.platform else [],
                   "langs": [f.lang] if f.lang else [], "sentiment": f.sentiment, "hoax": f.hoax}
    campaign = f.campaign
    node: Node | None = parse(saved.query) if saved.query.strip() else None
    for part in (node.children if isinstance(node, And) else (node,) if node else ()):
        if isinstance(part, Terms):
            parts["all"].append(" ".join(part.words))
        elif isinstance(part, Not) and isinstance(part.child, Terms):
            parts["none"].append(" ".join(part.child.words))
        elif isinstance(part, Or) and all(isinstance(c, Terms) for c in part.children) and not parts["any"]:
            parts["any"] = [" ".join(c.words) for c in part.children]  # type: ignore[union-attr]
        elif isinstance(part, FieldNode) and part.name in ("platform", "lang"):
            parts["platforms" if part.name == "platform" else "langs"].extend(part.values)
        elif isinstance(part, FieldNode) and part.name == "campaign" and campaign in (None, part.values[0]):
            campaign = part.values[0]
        else:
            raise NotARule("alert rules match words, phrases, one OR group of them, NOT, platform:, lang: and one "
                           "campaign: (as written, without stems or prefixes); this search has more")
    query = RuleQuery(**parts)
    if query.is_empty():
        raise NotARule("an alert rule needs at least one word or phrase to look for")
    return query, campaign
