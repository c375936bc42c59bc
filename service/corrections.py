"""Analyst corrections: the labels people gave posts (sentiment, hoax / not hoax, claim match confirmed / rejected).

Kept in their own append-only table (``$NW_DATA_DIR/corrections.db``), never only inside the post, because
re-collecting a post re-classifies it and overwrites its classification. Every correction row is also the audit
record of the label (who, when, what the model said before). A correction takes effect twice:

* at once: the API writes the corrected post back to the store (``apply`` + ``Store.upsert``), so search filters,
  counts and dashboards see the analyst's label immediately, on SQLite and Elasticsearch alike;
* on every later classification of the same post: ``CorrectionOverlay`` is the last step of the classifier chain,
  so a re-collected post is stored with the analyst's label again, not the model's.

The effective label of a field is the latest correction of that field for the post (in any workspace: a post has
one classification). Adaptation (``classifiers.adapt``) reads the workspace's own sentiment corrections (the
sentiment head) and hoax / not-hoax corrections (the hoax-style head).

Claim-match decisions also teach the hoax step of every process (``HoaxFeedback``, read from this table on each
batch): a rejected match stops that claim matching the post and its near-identical reposts in the workspace (the
next candidate claim may still match), and a confirmed post becomes an alias of its claim in the workspace, so a
reworded repost matches the claim too.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from core.domain import Post, Sentiment
from service.sqlitedb import ThreadLocalDB

ClaimDecision = Literal["confirm", "reject"]
ANALYST = "analyst"  # prefix of the hoax_reasons entries a correction adds

SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY, post_id TEXT NOT NULL, workspace TEXT NOT NULL, campaigns TEXT NOT NULL,
    sentiment TEXT, hoax INTEGER, claim_match TEXT, claim_id TEXT, note TEXT,
    text TEXT NOT NULL, lang TEXT, before TEXT NOT NULL, actor TEXT, actor_name TEXT, created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_post ON corrections(post_id, id);
CREATE INDEX IF NOT EXISTS corrections_ws ON corrections(workspace, id);
"""


class Correction(BaseModel):
    id: int | None = None
    post_id: str
    workspace: str
    campaigns: list[str] = Field(default_factory=list, description="The post's campaigns in that workspace")
    sentiment: Sentiment | None = None
    hoax: bool | None = None
    claim_match: ClaimDecision | None = None
    claim_id: str | None = Field(default=None, description="The matched claim the decision is about")
    note: str | None = None
    text: str = Field(description="The post text when corrected (adaptation trains on it)")
    lang: str | None = None
    before: dict = Field(default_factory=dict, description="The labels before the correction")
    actor: str | None = Field(default=None, description="API key id")
    actor_name: str | None = None
    created_at: str = ""


class Override(BaseModel):
    """The effective analyst labels of one post (latest value per field)."""
    sentiment: Sentiment | None = None
    hoax: bool | None = None
    confirmed_claims: set[str] = Field(default_factory=set)
    rejected_claims: set[str] = Field(default_factory=set)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def before_labels(post: Post) -> dict:
    c = post.classification
    return {"sentiment": c.sentiment, "sentiment_score": c.sentiment_score, "hoax": c.hoax,
            "hoax_score": c.hoax_score, "matched_claim_id": c.matched_claim_id}


def apply(post: Post, o: Override | None) -> Post:
    """The post with the analyst's labels in its classification (in place; returns the post)."""
    if o is None:
        return post
    c = post.classification
    reasons = [r for r in c.hoax_reasons if not r.startswith(f"{ANALYST}:")]
    if o.sentiment is not None:
        c.sentiment, c.sentiment_score = o.sentiment, 1.0  # a person's label, not a model's probability
    if c.matched_claim_id and c.matched_claim_id in o.rejected_claims:
        reasons.append(f"{ANALYST}: claim match {c.matched_claim_id} rejected")
        c.matched_claim_id = c.matched_claim_url = c.matched_claim_title = c.matched_claim_score = None
    elif c.matched_claim_id and c.matched_claim_id in o.confirmed_claims:
        reasons.append(f"{ANALYST}: claim match {c.matched_claim_id} confirmed")
    if o.hoax is not None:
        c.hoax, c.hoax_score = o.hoax, 1.0 if o.hoax else 0.0
        reasons.append(f"{ANALYST}: {'hoax' if o.hoax else 'not hoax'}")
    c.hoax_reasons = reasons
    return post


class CorrectionStore:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._sqlite = ThreadLocalDB(self.path)
        self._sqlite.conn.executescript(SCHEMA)

    @classmethod
    def for_settings(cls, settings) -> "CorrectionStore":
        return cls(Path(settings.data_dir) / "corrections.db")

    def add(self, c: Correction) -> Correction:
        c = c.model_copy(update={"created_at": c.created_at or _now()})
        with self._sqlite.transaction() as db:
            cur = db.execute(
                "INSERT INTO corrections (post_id, workspace, campaigns, sentiment, hoax, claim_match, claim_id, note,"
                " text, lang, before, actor, actor_name, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (c.post_id, c.workspace, json.dumps(sorted(c.campaigns)), c.sentiment,
                 None if c.hoax is None else int(c.hoax), c.claim_match, c.claim_id, c.note, c.text, c.lang,
                 json.dumps(c.before, default=str), c.actor, c.actor_name, c.created_at))
        return c.model_copy(update={"id": cur.lastrowid})

    @staticmethod
    def _row(r: tuple) -> Correction:
        (id_, post_id, ws, camps, sentiment, hoax, claim_match, claim_id, note, text, lang, before, actor, name,
         created) = r
        return Correction(id=id_, post_id=post_id, workspace=ws, campaigns=json.loads(camps), sentiment=sentiment,
                          hoax=None if hoax is None else bool(hoax), claim_match=claim_match, claim_id=claim_id,
                          note=note, text=text, lang=lang, before=json.loads(before), actor=actor, actor_name=name,
                          created_at=created)

    def list(self, workspace: str | None = None, campaign: str | None = None, post_id: str | None = None,
             limit: int = 100, offset: int = 0) -> list[Correction]:
        """Newest first; ``workspace`` None = every workspace."""
        sql, args = "SELECT * FROM corrections WHERE 1=1", []
        if workspace is not None:
            sql, args = sql + " AND workspace=?", [*args, workspace]
        if campaign is not None:
            sql, args = sql + " AND EXISTS (SELECT 1 FROM json_each(campaigns) WHERE value=?)", [*args, campaign]
        if post_id is not None:
            sql, args = sql + " AND post_id=?", [*args, post_id]
        rows = self._sqlite.conn.execute(sql + " ORDER BY id DESC LIMIT ? OFFSET ?", [*args, limit, offset])
        return [self._row(r) for r in rows.fetchall()]

    def overrides(self, post_ids: list[str]) -> dict[str, Override]:
        """Effective labels of the given posts (only those with corrections appear)."""
        out: dict[str, Override] = {}
        ids = list(dict.fromkeys(post_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = self._sqlite.conn.execute(
                f"SELECT post_id, sentiment, hoax, claim_match, claim_id FROM corrections WHERE post_id IN "
                f"({','.join('?' * len(chunk))}) ORDER BY id", chunk).fetchall()
            for post_id, sentiment, hoax, claim_match, claim_id in rows:  # oldest first: the latest value wins
                o = out.setdefault(post_id, Override())
                if sentiment is not None:
                    o.sentiment = sentiment
                if hoax is not None:
                    o.hoax = bool(hoax)
                if claim_match and claim_id:
                    (o.confirmed_claims if claim_match == "confirm" else o.rejected_claims).add(claim_id)
                    (o.rejected_claims if claim_match == "confirm" else o.confirmed_claims).discard(claim_id)
        return out

    def apply(self, posts: list[Post]) -> list[Post]:
        found = self.overrides([p.id for p in posts]) if posts else {}
        for p in posts:
            apply(p, found.get(p.id))
        return posts

    def sentiment_labels(self, workspace: str) -> list[Correction]:
        """The workspace's latest sentiment correction per post, oldest first (adaptation's training rows)."""
        rows = self._sqlite.conn.execute(
            "SELECT * FROM corrections WHERE id IN (SELECT max(id) FROM corrections WHERE workspace=? AND "
            "sentiment IS NOT NULL GROUP BY post_id) ORDER BY id", (workspace,)).fetchall()
        return [self._row(r) for r in rows]

    def hoax_labels(self, workspace: str) -> list[Correction]:
        """The workspace's latest hoax / not-hoax correction per post, oldest first (the style head's rows)."""
        rows = self._sqlite.conn.execute(
            "SELECT * FROM corrections WHERE id IN (SELECT max(id) FROM corrections WHERE workspace=? AND "
            "hoax IS NOT NULL GROUP BY post_id) ORDER BY id", (workspace,)).fetchall()
        return [self._row(r) for r in rows]

    def claim_decisions(self, after: int = 0) -> list[Correction]:
        """Claim-match decisions with id > ``after``, oldest first (HoaxFeedback reads only what is new)."""
        rows = self._sqlite.conn.execute("SELECT * FROM corrections WHERE id > ? AND claim_match IS NOT NULL AND "
                                         "claim_id IS NOT NULL ORDER BY id", (after,)).fetchall()
        return [self._row(r) for r in rows]

    def count(self, workspace: str | None = None) -> int:
        sql, args = "SELECT count(*) FROM corrections", []
        if workspace is not None:
            sql, args = sql + " WHERE workspace=?", [workspace]
        return self._sqlite.conn.execute(sql, args).fetchone()[0]

    def corrected_posts(self, workspace: str, head: str = "sentiment") -> int:
        """How many posts of the workspace have a correction of ``head``'s field (what automatic adaptation
        counts)."""
        field = {"sentiment": "sentiment", "hoax": "hoax"}[head]
        return self._sqlite.conn.execute("SELECT count(DISTINCT post_id) FROM corrections WHERE workspace=? AND "
                                         f"{field} IS NOT NULL", (workspace,)).fetchone()[0]


HEADS = ("sentiment", "hoax")  # the heads `narrawatch adapt --head` fits per workspace


def adaptation_rows(store: CorrectionStore, workspace: str, head: str = "sentiment") -> list:
    """The workspace's corrections as training rows for ``classifiers.adapt``: sentiment labels, or "hoax" /
    "not_hoax" for the hoax-style head."""
    from classifiers.adapt import Row

    if head == "hoax":
        return [Row(c.post_id, c.text, c.lang, "hoax" if c.hoax else "not_hoax") for c in store.hoax_labels(workspace)]
    return [Row(c.post_id, c.text, c.lang, c.sentiment) for c in store.sentiment_labels(workspace)]


def adaptation_base(head: str):
    """The shipped model a head adapts (``classifiers.adapt``'s ``model``)."""
    from classifiers import DEFAULT_MODEL_DIR, adapt
    from classifiers.style import StyleModel

    return StyleModel.load(DEFAULT_MODEL_DIR) if head == "hoax" else adapt.load_base()


class HoaxFeedback:
    """The analysts' teaching as the hoax step reads it (``HoaxClassifier.feedback``), per workspace.

    ``workspace_of(post)`` names the post's one workspace (None: none or several, and then only the post's own
    corrections apply, through ``CorrectionOverlay``). Each batch first reads the claim decisions recorded since the
    last batch (by any process), so every API replica and worker learns them on its next batch.
    """

    def __init__(self, store: CorrectionStore, workspace_of, registry):
        import threading

        self.store = store
        self.workspace_of = workspace_of
        self.registry = registry  # classifiers.adapt.HeadRegistry(kind="hoax")
        self._seen = 0
        self._lock = threading.Lock()
        self._rejected: dict[tuple[str, str], dict[str, str]] = {}  # (workspace, claim) -> {post id: normalised}
        self._confirmed: dict[str, dict[str, tuple[str, str, str | None]]] = {}  # ws -> {alias: (claim, text, lang)}
        self._aliases: dict = {}  # workspace -> ClaimIndex of its confirmed posts

    def sync(self, claims) -> None:
        from classifiers.claims import Claim, ClaimIndex
        from classifiers.normalise import normalise_many

        with self._lock:
            rows = self.store.claim_decisions(self._seen)
            if not rows:
                return
            self._seen = rows[-1].id
            changed = set()
            for c in rows:
                alias = f"{c.claim_id}@{c.post_id}"
                rejected = self._rejected.setdefault((c.workspace, c.claim_id), {})
                if c.claim_match == "reject":
                    rejected[c.post_id] = normalise_many([c.text], [c.lang])[0]
                    self._confirmed.get(c.workspace, {}).pop(alias, None)
                else:
                    rejected.pop(c.post_id, None)
                    self._confirmed.setdefault(c.workspace, {})[alias] = (c.claim_id, c.text, c.lang)
                changed.add(c.workspace)
            for ws in changed:
                index = ClaimIndex(claims.scorer)
                for alias, (cid, text, _) in self._confirmed.get(ws, {}).items():
                    index.add_alias(alias, claims.claims.get(cid) or Claim(cid, text), text)
                self._aliases[ws] = index

    def _rejects(self, post: Post, workspace: str | None, claim_id: str, norm: str) -> bool:
        """The post itself was rejected for the claim (in any workspace: a post has one classification), or it is
        a near-identical repost of a post rejected in its workspace."""
        from classifiers.claims import near_duplicate

        if any(post.id in d for (_, cid), d in self._rejected.items() if cid == claim_id):
            return True
        texts = self._rejected.get((workspace, claim_id)) if workspace is not None else None
        return bool(texts) and any(near_duplicate(norm, t) for t in texts.values())

    def matches(self, hoax, posts: list[Post], norms: list[str], found: list[list]) -> list[list]:
        """Per post, best first: the index's candidates plus its workspace's aliases, minus the rejected ones."""
        ws = [self.workspace_of(p) for p in posts]
        extra: list[list] = [[] for _ in posts]
        for w in {w for w in ws if w is not None and len(self._aliases.get(w, ()))}:
            idx = [i for i, x in enumerate(ws) if x == w]
            got = self._aliases[w].match_many([posts[i].text for i in idx], hoax.claim_threshold, top_k=1,
                                              normalised=[norms[i] for i in idx])
            for i, ms in zip(idx, got):
                extra[i] = ms
        out = []
        for i, ms in enumerate(found):
            cands = sorted([*ms, *extra[i]], key=lambda m: -m.score)
            out.append([m for m in cands if not self._rejects(posts[i], ws[i], m.claim_id, norms[i])])
        return out

    def style(self, model, posts: list[Post], raws: list[str], probs, contrib):
        """p(hoax style) and cue contributions from the workspace's adapted style head, where one is active."""
        import numpy as np

        from classifiers.adapt import base_head, head_proba, usable

        groups: dict[str, list[int]] = {}
        for i, p in enumerate(posts):
            w = self.workspace_of(p)
            if w is not None:
                groups.setdefault(w, []).append(i)
        for w, idx in groups.items():
            head = self.registry.load(w).get("all")
            if head is None or not usable(head, model):
                continue
            texts = [raws[i] for i in idx]
            probs[idx] = head_proba(model, head, texts)[:, 1]
            coef = base_head(model, None)[0].copy()
            coef[:, head.cols] += head.delta
            contrib[idx] = model.adapt_matrix(texts).toarray() * (coef[1] - coef[0])
        return probs, contrib


class CorrectionOverlay:
    """Last step of the classifier chain: analysts' labels win over every model, also after re-collection."""

    def __init__(self, store: CorrectionStore):
        self.store = store

    def classify(self, posts: list[Post]) -> list[Post]:
        return self.store.apply(posts)
