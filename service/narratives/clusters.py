"""Narrative clusters that persist and grow as posts arrive.

Two levels, both incremental:
* near-duplicates: MinHash over word 3-shingles in an LSH index (datasketch); a near-copy joins its original's
  duplicate group and narrative;
* similar posts: TF-IDF cosine against each narrative's centroid (term counts) in the same campaign; above
  `similarity` the post joins that narrative, else it seeds a new one.

Everything is written to the engine's SQLite (narratives + narrative_posts ledger), and the in-memory indexes are
rebuilt from it on start, so clusters keep growing across restarts.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import math
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from datasketch import MinHash, MinHashLSH

from service.alerts.store import AlertStore, parse_ts, ts
from service.alerts.text import content_tokens, normalised
from core.domain import Post
from service.narratives.links import canonical_link

NUM_PERM = 64
CENTROID_TERMS = 300
# datasketch >= 2 asks which hashing scheme stored signatures came from; pin it so restored ones stay comparable.
_SCHEME = {"scheme": "affine32"} if "scheme" in inspect.signature(MinHash.__init__).parameters else {}


def shingles(text: str, k: int = 3) -> set[str]:
    words = normalised(text).split()
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}


def minhash(text: str) -> MinHash:
    m = MinHash(num_perm=NUM_PERM, seed=7, **_SCHEME)
    for s in shingles(text):
        m.update(s.encode("utf-8"))
    return m


@dataclass
class Narrative:
    id: str
    campaign: str
    centroid: Counter = field(default_factory=Counter)
    size: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    seed_accounts: list[str] = field(default_factory=list)
    sentiment: Counter = field(default_factory=Counter)
    hoax: int = 0
    claims: dict[str, str] = field(default_factory=dict)
    norm: float | None = None  # cached centroid norm, reset when the centroid changes

    def keywords(self, idf, n: int = 8) -> list[str]:
        scored = sorted(self.centroid.items(), key=lambda kv: (-kv[1] * idf(kv[0]), kv[0]))
        return [t for t, _ in scored[:n]]

    def doc(self, idf) -> dict:
        kws = self.keywords(idf)
        return {"id": self.id, "campaign": self.campaign, "label": " ".join(kws[:3]), "keywords": kws,
                "size": self.size, "first_seen": self.first_seen.isoformat() if self.first_seen else None,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None,
                "seed_accounts": self.seed_accounts, "sentiment": dict(self.sentiment), "hoax_posts": self.hoax,
                "hoax_share": round(self.hoax / self.size, 4) if self.size else 0.0, "claims": self.claims,
                "centroid": dict(self.centroid.most_common(CENTROID_TERMS))}


@dataclass
class Assignment:
    post: Post
    campaign: str
    narrative_id: str
    dup_group: str
    new_post: bool
    links: list[str]


class _CampaignIndex:
    def __init__(self, lsh_threshold: float):
        self.lsh = MinHashLSH(threshold=lsh_threshold, num_perm=NUM_PERM)
        self.post_meta: dict[str, tuple[str, str]] = {}  # post id -> (narrative, dup_group)
        self.narratives: dict[str, Narrative] = {}
        self.df: Counter = Counter()
        self.docs = 0
        self.term_index: dict[str, set[str]] = {}  # centroid term -> narratives (candidate generation)

    def index_terms(self, n: Narrative, terms) -> None:
        for t in terms:
            self.term_index.setdefault(t, set()).add(n.id)


class NarrativeClusterer:
    def __init__(self, store: AlertStore, similarity: float = 0.45, lsh_threshold: float = 0.6,
                 active_clusters: int = 3000):
        self.store = store
        self.similarity = similarity
        self.lsh_threshold = lsh_threshold
        self.active_clusters = active_clusters
        self._indexes: dict[str, _CampaignIndex] = {}
        self._lock = threading.RLock()

    # -- state --
    def _index(self, campaign: str) -> _CampaignIndex:
        idx = self._indexes.get(campaign)
        if idx is None:
            idx = self._load(campaign)
            self._indexes[campaign] = idx
        return idx

    def _load(self, campaign: str) -> _CampaignIndex:
        idx = _CampaignIndex(self.lsh_threshold)
        db = self.store.db
        for (doc,) in db.execute("SELECT doc FROM narratives WHERE campaign=? ORDER BY last_seen DESC LIMIT ?",
                                 (campaign, self.active_clusters)):
            d = json.loads(doc)
            idx.narratives[d["id"]] = Narrative(
                id=d["id"], campaign=campaign, centroid=Counter(d.get("centroid", {})), size=d["size"],
                first_seen=parse_ts(d["first_seen"]) if d.get("first_seen") else None,
                last_seen=parse_ts(d["last_seen"]) if d.get("last_seen") else None,
                seed_accounts=d.get("seed_accounts", []), sentiment=Counter(d.get("sentiment", {})),
                hoax=d.get("hoax_posts", 0), claims=d.get("claims", {}))
            idx.index_terms(idx.narratives[d["id"]], idx.narratives[d["id"]].centroid)
        rows = db.execute("SELECT post_id, narrative_id, dup_group, text, title, minhash FROM narrative_posts "
                          "WHERE campaign=? ORDER BY created_at DESC LIMIT 50000", (campaign,))
        for post_id, nid, group, text, title, blob in rows:
            idx.post_meta[post_id] = (nid, group)
            idx.df.update(set(content_tokens(f"{title or ''} {text}")))
            idx.docs += 1
            if blob:
                m = MinHash(num_perm=NUM_PERM, seed=7, hashvalues=np.frombuffer(blob, dtype=np.uint64), **_SCHEME)
                idx.lsh.insert(post_id, m, check_duplication=False)
        return idx

    def reset_cache(self) -> None:
        with self._lock:
            self._indexes.clear()

    # -- assignment --
    def add(self, posts: list[Post]) -> list[Assignment]:
        out: list[Assignment] = []
        with self._lock:
            touched: dict[str, Narrative] = {}
            rows, link_rows = [], []
            for post in posts:
                for campaign in post.campaigns:
                    idx = self._index(campaign)
                    if post.id in idx.post_meta:  # idempotent: a re-collected post keeps its narrative
                        nid, group = idx.post_meta[post.id]
                        out.append(Assignment(post, campaign, nid, group, False, []))
                        continue
                    a, row, links, narrative = self._assign(idx, post, campaign)
                    touched[narrative.id] = narrative
                    rows.append(row)
                    link_rows += [(campaign, link, post.id, ts(post.created_at)) for link in links]
                    out.append(a)
            if rows:
                with self.store.tx() as db:
                    db.executemany(
                        "INSERT OR IGNORE INTO narrative_posts (narrative_id, post_id, campaign, created_at, platform, "
                        "author, sentiment, hoax, claim_id, claim_url, engagement, url, title, text, dup_group, minhash)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                    db.executemany("INSERT OR IGNORE INTO post_links VALUES (?,?,?,?)", link_rows)
                    for n in touched.values():
                        idf = self._idf(self._indexes[n.campaign])
                        db.execute("INSERT OR REPLACE INTO narratives VALUES (?,?,?,?,?,?)",
                                   (n.id, n.campaign, n.size, ts(n.first_seen), ts(n.last_seen),
                                    json.dumps(n.doc(idf))))
        return out

    @staticmethod
    def _idf(idx: _CampaignIndex):
        n = max(idx.docs, 1)
        return lambda t: math.log((1 + n) / (1 + idx.df.get(t, 0))) + 1.0

    def _assign(self, idx: _CampaignIndex, post: Post, campaign: str):
        full = f"{post.title or ''} {post.text}"
        terms = Counter(content_tokens(full))
        idx.df.update(set(terms))
        idx.docs += 1
        m = minhash(post.text)
        nid = group = None
        candidates = [c for c in idx.lsh.query(m) if c in idx.post_meta] if len(shingles(post.text)) else []
        if candidates:
            votes = Counter(idx.post_meta[c] for c in candidates)
            nid, group = votes.most_common(1)[0][0]
            if nid not in idx.narratives:
                nid = None
        if nid is None:
            nid = self._nearest(idx, terms)
        if group is None:
            group = post.id
        if nid is None:
            nid = "n_" + uuid.uuid4().hex[:12]
            idx.narratives[nid] = Narrative(id=nid, campaign=campaign)
        n = idx.narratives[nid]
        n.centroid.update(terms)
        n.norm = None
        idx.index_terms(n, terms)
        if len(n.centroid) > CENTROID_TERMS * 2:
            n.centroid = Counter(dict(n.centroid.most_common(CENTROID_TERMS)))
        n.size += 1
        n.first_seen = min(n.first_seen, post.created_at) if n.first_seen else post.created_at
        n.last_seen = max(n.last_seen, post.created_at) if n.last_seen else post.created_at
        account = f"{post.platform}:{post.author}" if post.author else None
        if account and account not in n.seed_accounts and len(n.seed_accounts) < 5:
            n.seed_accounts.append(account)
        c = post.classification
        n.sentiment[c.sentiment or "unknown"] += 1
        n.hoax += int(c.hoax)
        if c.matched_claim_id and c.matched_claim_id not in n.claims:
            n.claims[c.matched_claim_id] = c.matched_claim_url or ""
        if len(shingles(post.text)):
            idx.lsh.insert(post.id, m, check_duplication=False)
        idx.post_meta[post.id] = (nid, group)
        links = sorted({canonical_link(u) for u in post.links})
        row = (nid, post.id, campaign, ts(post.created_at), post.platform, post.author, c.sentiment, int(c.hoax),
               c.matched_claim_id, c.matched_claim_url, post.engagement.total, post.url, post.title, post.text, group,
               m.hashvalues.astype(np.uint64).tobytes())
        return Assignment(post, campaign, nid, group, True, links), row, links, n

    def _nearest(self, idx: _CampaignIndex, terms: Counter) -> str | None:
        if not terms or not idx.narratives:
            return None
        idf = self._idf(idx)
        vec = {t: (1 + math.log(c)) * idf(t) for t, c in terms.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        best, best_sim = None, 0.0
        top = sorted(vec, key=lambda t: -vec[t])[:8]
        candidates = set().union(*(idx.term_index.get(t, ()) for t in top))
        for nid in candidates:
            n = idx.narratives.get(nid)
            if n is None:
                continue
            cen = n.centroid
            dot = sum(w * (1 + math.log(cen[t])) * idf(t) for t, w in vec.items() if cen.get(t))
            if dot <= 0:
                continue
            if n.norm is None:
                n.norm = math.sqrt(sum(((1 + math.log(c)) * idf(t)) ** 2 for t, c in cen.items()))
            sim = dot / (norm * n.norm)
            if sim > best_sim:
                best, best_sim = n.id, sim
        return best if best_sim >= self.similarity else None


def text_hash(text: str) -> str:
    return hashlib.sha1(normalised(text).encode()).hexdigest()[:16]
