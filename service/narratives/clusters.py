"""Narrative clusters that persist and grow as posts arrive.

Two levels, both incremental:
* near-duplicates: MinHash over word 3-shingles in an LSH index (datasketch); a near-copy joins its original's
  duplicate group and narrative;
* one debunked claim: a post the classifier matched to a claim (`matched_claim_id`) joins the narrative already
  holding that claim (the closest one, if an analyst split it), however it is worded; a post matching another claim
  never joins a narrative of other claims by similarity alone, so two hoaxes of one campaign stay apart; when a
  narrative first gains a claim another narrative already holds (a near-copy of an unmatched wording matched the
  claim, e.g. once the fact-check arrived), the two are merged in the same batch (the smaller into the larger, as an
  analyst's merge would: posts move, the absorbed id resolves to the survivor), unless an analyst named or split
  either of them;
* similar posts: TF-IDF cosine against each narrative's centroid (term counts) in the same campaign; above
  `similarity` the post joins that narrative, else it seeds a new one.

Everything is written to the narrative ledger on the shared store (service/narratives/ledger.py), partitioned by
campaign: a campaign's posts are assigned only while holding its lease, on an in-memory index first brought up to
the last batch any process committed. So two workers (or a worker and `narrawatch ingest`) never create two
narratives for one cluster nor assign a post twice, and clusters keep growing across restarts and processes.
"""
from __future__ import annotations

import hashlib
import inspect
import logging
import math
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from datasketch import MinHash, MinHashLSH

from service.alerts.records import parse_ts, ts
from service.alerts.text import content_tokens, normalised
from core.domain import Post
from service.narratives.ledger import NarrativeLedger, decode_minhash, encode_minhash
from service.narratives.links import canonical_link
from service.store.documents import Conflict

log = logging.getLogger(__name__)
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
    representative: dict = field(default_factory=dict)  # the post closest to the centroid (medoid): the label
    rep_terms: Counter | None = None  # the representative's terms (from its text after a reload)
    name: str | None = None  # an analyst's name for it (rename): the label, kept by the clusterer
    merged: list[str] = field(default_factory=list)  # ids of narratives merged into this one
    split_from: str | None = None  # split off that narrative by an analyst (never merged back automatically)

    @classmethod
    def from_posts(cls, nid: str, campaign: str, rows: list[dict], name: str | None = None,
                   merged: list[str] | None = None) -> "Narrative":
        """A narrative summed up again from its ledger posts (after a merge or split moved posts)."""
        n = cls(id=nid, campaign=campaign, name=name, merged=list(merged or []))
        tokens = {}
        for r in sorted(rows, key=lambda r: r["created_at"]):
            tokens[r["post_id"]] = terms = Counter(content_tokens(f"{r.get('title') or ''} {r.get('text') or ''}"))
            n.centroid.update(terms)
            n.size += 1
            at = parse_ts(r["created_at"])
            n.first_seen = min(n.first_seen, at) if n.first_seen else at
            n.last_seen = max(n.last_seen, at) if n.last_seen else at
            account = f"{r['platform']}:{r['author']}" if r.get("author") else None
            if account and account not in n.seed_accounts and len(n.seed_accounts) < 5:
                n.seed_accounts.append(account)
            n.sentiment[r.get("sentiment") or "unknown"] += 1
            n.hoax += bool(r.get("hoax"))
            if r.get("claim_id") and r["claim_id"] not in n.claims:
                n.claims[r["claim_id"]] = r.get("claim_url") or ""
        norm = math.sqrt(sum(c * c for c in n.centroid.values())) or 1.0

        def closeness(r: dict) -> float:
            t = tokens[r["post_id"]]
            return sum(c * n.centroid[w] for w, c in t.items()) / ((math.sqrt(sum(c * c for c in t.values())) or 1.0)
                                                                  * norm)
        if rows:
            best = max(rows, key=closeness)
            n.representative = {"post_id": best["post_id"], "text": (best.get("text") or "")[:1000],
                                "similarity": round(closeness(best), 4)}
        return n

    def terms(self, weight, n: int = 8) -> list[tuple[str, float]]:
        """Distinctive terms, c-TF-IDF style: the term's share of this narrative's words times `weight(term)`, how
        rare it is across the campaign's narratives (words every narrative uses score low, so ties of one-off words
        no longer come out in alphabetical order)."""
        total = sum(self.centroid.values()) or 1
        scored = sorted(((t, c / total * weight(t)) for t, c in self.centroid.items()), key=lambda tw: (-tw[1], tw[0]))
        return scored[:n]

    @classmethod
    def from_doc(cls, d: dict) -> "Narrative":
        return cls(id=d["id"], campaign=d["campaign"], centroid=Counter(d.get("centroid", {})), size=d["size"],
                   first_seen=parse_ts(d["first_seen"]) if d.get("first_seen") else None,
                   last_seen=parse_ts(d["last_seen"]) if d.get("last_seen") else None,
                   seed_accounts=d.get("seed_accounts", []), sentiment=Counter(d.get("sentiment", {})),
                   hoax=d.get("hoax_posts", 0), claims=d.get("claims", {}),
                   representative=d.get("representative") or {}, name=d.get("name"),
                   merged=d.get("merged") or [], split_from=d.get("split_from"))

    def doc(self, weight) -> dict:
        terms = self.terms(weight)
        kws = [t for t, _ in terms]
        label = self.name or shorten(self.representative.get("text") or "") or " ".join(kws[:3])
        return {"id": self.id, "campaign": self.campaign, "label": label, "name": self.name, "merged": self.merged, "keywords": kws,
                "terms": [{"term": t, "weight": round(w, 4)} for t, w in terms], "representative": self.representative,
                "size": self.size, "first_seen": self.first_seen.isoformat() if self.first_seen else None,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None,
                "seed_accounts": self.seed_accounts, "sentiment": dict(self.sentiment), "hoax_posts": self.hoax,
                "hoax_share": round(self.hoax / self.size, 4) if self.size else 0.0, "claims": self.claims,
                "centroid": dict(self.centroid.most_common(CENTROID_TERMS))} | (
                    {"split_from": self.split_from} if self.split_from else {})


def merged_ids(merged: list[str], gone: list[tuple[str, list[str]]]) -> list[str]:
    """The ids a survivor answers for after a merge: its own `merged`, then each absorbed narrative's id and those
    merged into it (`gone`: (id, its merged ids) pairs)."""
    return merged + [i for nid, more in gone for i in [nid, *more] if i not in merged]


def tombstone(doc: dict, survivor_id: str) -> dict:
    """An absorbed narrative's ledger document: empty, and read as `survivor_id` from now on."""
    return doc | {"merged_into": survivor_id, "size": 0, "centroid": {}}


def shorten(text: str, limit: int = 120) -> str:
    """A post's text as a label: one line, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


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
        self.class_tf: Counter = Counter()  # term -> its count over all the campaign's narratives (c-TF-IDF)
        self.claim_index: dict[str, set[str]] = {}  # matched claim id -> narratives holding it (may be stale)
        self.gained: list[tuple[str, str]] = []  # (narrative, claim) it first holds in the batch being assigned
        self.seq = 0  # the last committed batch (narrative_log) this index includes
        self.own = False  # that batch was committed and applied by this process

    def index_terms(self, n: Narrative, terms) -> None:
        for t in terms:
            self.term_index.setdefault(t, set()).add(n.id)

    def index_claims(self, n: Narrative) -> None:
        for claim in n.claims:
            self.claim_index.setdefault(claim, set()).add(n.id)

    def claim_narratives(self, claim: str) -> list[Narrative]:
        """The live narratives holding `claim` (a merge or split may have moved it since it was indexed)."""
        found = (self.narratives.get(nid) for nid in sorted(self.claim_index.get(claim, ())))
        return [n for n in found if n is not None and claim in n.claims]

    def put_narrative(self, d: dict) -> None:
        if d.get("merged_into"):  # merged by an analyst: its posts now belong to the survivor
            self.narratives.pop(d["id"], None)
            return
        n = self.narratives[d["id"]] = Narrative.from_doc(d)
        self.index_terms(n, n.centroid)
        self.index_claims(n)

    def put_post(self, row: dict) -> None:
        """A ledger post another process (or an earlier life of this one) assigned."""
        if row["post_id"] in self.post_meta:  # moved by an analyst's merge or split: follow it
            self.post_meta[row["post_id"]] = (row["narrative_id"], self.post_meta[row["post_id"]][1])
            return
        self.post_meta[row["post_id"]] = (row["narrative_id"], row["dup_group"])
        terms = Counter(content_tokens(f"{row.get('title') or ''} {row['text']}"))
        self.df.update(set(terms))
        self.class_tf.update(terms)
        self.docs += 1
        if raw := decode_minhash(row.get("minhash")):
            m = MinHash(num_perm=NUM_PERM, seed=7, hashvalues=np.frombuffer(raw, dtype=np.uint64), **_SCHEME)
            self.lsh.insert(row["post_id"], m, check_duplication=False)


class NarrativeClusterer:
    def __init__(self, ledger: NarrativeLedger, similarity: float = 0.45, lsh_threshold: float = 0.6,
                 active_clusters: int = 3000):
        self.ledger = ledger
        self.similarity = similarity
        self.lsh_threshold = lsh_threshold
        self.active_clusters = active_clusters
        self._indexes: dict[str, _CampaignIndex] = {}
        self._lock = threading.RLock()
        self.redone = 0  # batches assigned on stale state and refused at commit (only when a lease lapsed)

    # -- state --
    def _fresh(self, campaign: str) -> _CampaignIndex | None:
        """Under the campaign's lease: the cached index brought up to every batch committed so far, by any process
        (replayed from the batch records); None when it is too far behind (load it again, outside the lease)."""
        idx = self._indexes.pop(campaign)
        committed = self.ledger.committed(campaign, idx.seq if idx.own else None)
        if idx.seq != committed:
            records = self.ledger.records(campaign, idx.seq, committed) if idx.seq < committed else None
            if records is None:
                return None  # too far behind, or the ledger was reset under us
            idx.own = False
            for record in records:
                for d in record["narratives"]:
                    idx.put_narrative(d)
                for row in record["posts"]:
                    idx.put_post(row)
            idx.seq = committed
        self._indexes[campaign] = idx
        return idx

    def _load(self, campaign: str) -> _CampaignIndex:
        """The campaign's state from the ledger, read without the lease (a large campaign takes a while): it holds
        at least every batch up to the head's last applied one, and any newer batch is replayed under the lease."""
        idx = _CampaignIndex(self.lsh_threshold)
        idx.seq = self.ledger.applied(campaign)  # read first: what is loaded next is at least this
        for d in self.ledger.campaign_narratives(campaign, self.active_clusters):
            idx.put_narrative(d)
        for row in self.ledger.campaign_posts(campaign, 50000):
            idx.put_post(row)
        return idx

    def reset_cache(self) -> None:
        with self._lock:
            self._indexes.clear()

    # -- assignment --
    def add(self, posts: list[Post]) -> list[Assignment]:
        """Assign each (post, campaign) once; a post seen before keeps its narrative (new_post=False)."""
        by_campaign: dict[str, list[Post]] = {}
        for post in posts:
            for campaign in post.campaigns:
                by_campaign.setdefault(campaign, []).append(post)
        with self._lock:
            done = {campaign: iter(self._add(campaign, group)) for campaign, group in by_campaign.items()}
        return [next(done[campaign]) for post in posts for campaign in post.campaigns]

    def _add(self, campaign: str, posts: list[Post]) -> list[Assignment]:
        """One campaign's posts, under its lease. A post whose campaign another process is assigning waits here for
        the lease (it stays in the caller's batch: nothing is dropped, and nothing is queued that could be assigned
        twice); a dead holder's lease lapses after the lease time. Conflict on commit means our lease lapsed and
        another holder committed first: our in-memory work is discarded and the batch redone on its state."""
        for _ in range(20):
            if campaign not in self._indexes:  # first batch, too far behind, or after a failure
                self._indexes[campaign] = self._load(campaign)
            with self.ledger.hold(campaign):
                idx = self._fresh(campaign)
                if idx is None:
                    continue
                try:
                    out, rows, links, touched = self._assign_all(idx, campaign, posts)
                    if rows:
                        moved, absorbed = self._merge_on_claims(idx, campaign, rows, out, touched)
                        weight = self._class_weight(idx)
                        docs = [n.doc(weight) for n in touched] + [
                            tombstone(n.doc(weight), into) for n, into in absorbed]
                        self.ledger.commit(campaign, idx.seq + 1, rows + moved, links, docs)
                        idx.seq, idx.own = idx.seq + 1, True
                    return out
                except Conflict:
                    self._indexes.pop(campaign, None)
                    self.redone += 1
                    log.warning("narratives of %s: lease lapsed and another process committed first; batch redone",
                                campaign)
                    continue
                except BaseException:
                    self._indexes.pop(campaign, None)  # half-assigned in memory: reload on the next batch
                    raise
        raise Conflict(f"narratives of {campaign}: still contended")

    def _assign_all(self, idx: _CampaignIndex, campaign: str, posts: list[Post]):
        out: list[Assignment] = []
        touched: dict[str, Narrative] = {}
        rows, links = [], []
        idx.gained = []
        for post in posts:
            if post.id in idx.post_meta:  # idempotent: a re-collected post keeps its narrative
                nid, group = idx.post_meta[post.id]
                out.append(Assignment(post, campaign, nid, group, False, []))
                continue
            a, row, post_links, narrative = self._assign(idx, post, campaign)
            touched[narrative.id] = narrative
            rows.append(row)
            links += [{"campaign": campaign, "link": link, "post_id": post.id, "created_at": ts(post.created_at)}
                      for link in post_links]
            out.append(a)
        return out, rows, links, list(touched.values())

    @staticmethod
    def _idf(idx: _CampaignIndex):
        n = max(idx.docs, 1)
        return lambda t: math.log((1 + n) / (1 + idx.df.get(t, 0))) + 1.0

    def _assign(self, idx: _CampaignIndex, post: Post, campaign: str):
        full = f"{post.title or ''} {post.text}"
        terms = Counter(content_tokens(full))
        idx.df.update(set(terms))
        idx.class_tf.update(terms)
        idx.docs += 1
        m = minhash(post.text)
        nid = group = None
        candidates = [c for c in idx.lsh.query(m) if c in idx.post_meta] if len(shingles(post.text)) else []
        if candidates:
            votes = Counter(idx.post_meta[c] for c in candidates)
            nid, group = votes.most_common(1)[0][0]
            if nid not in idx.narratives:
                nid = None
        claim = post.classification.matched_claim_id
        if nid is None and claim:
            nid = self._claim_narrative(idx, terms, claim)
        if nid is None:
            nid = self._nearest(idx, terms, claim)
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
        similarity = self._similarity(idx, terms, n)
        if n.representative and n.rep_terms is None:
            n.rep_terms = Counter(content_tokens(n.representative.get("text") or ""))
        current = self._similarity(idx, n.rep_terms, n) if n.representative else -1.0  # against today's centroid
        if similarity > current:
            n.representative = {"post_id": post.id, "text": post.text[:1000], "similarity": round(similarity, 4)}
            n.rep_terms = terms
        else:
            n.representative["similarity"] = round(current, 4)
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
            idx.index_claims(n)
            idx.gained.append((nid, c.matched_claim_id))
        if len(shingles(post.text)):
            idx.lsh.insert(post.id, m, check_duplication=False)
        idx.post_meta[post.id] = (nid, group)
        links = sorted({canonical_link(u) for u in post.links})
        row = {"narrative_id": nid, "post_id": post.id, "campaign": campaign, "created_at": ts(post.created_at),
               "platform": post.platform, "author": post.author, "sentiment": c.sentiment, "hoax": bool(c.hoax),
               "claim_id": c.matched_claim_id, "claim_url": c.matched_claim_url,
               "engagement": post.engagement.total, "url": post.url, "title": post.title, "text": post.text,
               "dup_group": group, "minhash": encode_minhash(m.hashvalues.astype(np.uint64).tobytes())}
        return Assignment(post, campaign, nid, group, True, links), row, links, n

    def _merge_on_claims(self, idx: _CampaignIndex, campaign: str, rows: list[dict], out: list[Assignment],
                         touched: list[Narrative]) -> tuple[list[dict], list[tuple[Narrative, str]]]:
        """Narratives that hold one claim since this batch are merged (see the module's docstring). Edits `rows`,
        `out` and `touched` in place; returns the committed posts that move and the absorbed narratives with their
        survivor. Reads the ledger only when there is something to merge."""
        moved: dict[str, dict] = {}
        absorbed: list[tuple[Narrative, str]] = []
        for nid, claim in idx.gained:
            holders = idx.claim_narratives(claim)
            if nid not in {n.id for n in holders} or len(holders) < 2 or any(n.name or n.split_from for n in holders):
                continue
            if not moved and not absorbed:
                self.ledger.make_searchable()  # every committed post of the campaign readable (ES refresh)
            survivor = max(holders, key=lambda n: (n.size, -(n.first_seen.timestamp() if n.first_seen else 0), n.id))
            gone = [n for n in holders if n.id != survivor.id]
            ids = {n.id for n in gone}
            for p in moved.values():  # moved earlier in this batch into a narrative absorbed now
                if p["narrative_id"] in ids:
                    p["narrative_id"] = survivor.id
            for n in gone:
                for p in self.ledger.narrative_posts(n.id):
                    moved.setdefault(p["post_id"], p | {"narrative_id": survivor.id})
            for r in rows:
                if r["narrative_id"] in ids:
                    r["narrative_id"] = survivor.id
            for a in out:
                if a.narrative_id in ids:
                    a.narrative_id = survivor.id
            for row in [*moved.values(), *rows]:
                if row["narrative_id"] == survivor.id and row["post_id"] in idx.post_meta:
                    idx.post_meta[row["post_id"]] = (survivor.id, idx.post_meta[row["post_id"]][1])
            batch = {r["post_id"] for r in rows}
            kept = [p for p in self.ledger.narrative_posts(survivor.id) if p["post_id"] not in batch]
            merged = merged_ids(survivor.merged, [(n.id, n.merged) for n in gone])
            n = Narrative.from_posts(survivor.id, campaign, kept + [p for p in moved.values()
                                                                    if p["narrative_id"] == survivor.id]
                                     + [r for r in rows if r["narrative_id"] == survivor.id], None, merged)
            idx.narratives[survivor.id] = n
            idx.index_terms(n, n.centroid)
            idx.index_claims(n)
            for g in gone:
                idx.narratives.pop(g.id, None)
                absorbed.append((g, survivor.id))
            touched[:] = [n if t.id == survivor.id else t for t in touched if t.id not in ids]
            if all(t.id != survivor.id for t in touched):
                touched.append(n)
            log.info("narratives of %s: %s merged into %s (both hold claim %s)", campaign, sorted(ids), survivor.id,
                     claim)
        return list(moved.values()), absorbed

    @staticmethod
    def _class_weight(idx: _CampaignIndex):
        return class_weight(idx.class_tf, len(idx.narratives))

    def _vector(self, idx: _CampaignIndex, terms: Counter):
        """A post's TF-IDF vector, its norm and the campaign's idf."""
        idf = self._idf(idx)
        vec = {t: (1 + math.log(c)) * idf(t) for t, c in terms.items()}
        return vec, math.sqrt(sum(v * v for v in vec.values())), idf

    @staticmethod
    def _cosine(vec: dict, norm: float, n: Narrative, idf) -> float:
        cen = n.centroid
        dot = sum(w * (1 + math.log(cen[t])) * idf(t) for t, w in vec.items() if cen.get(t))
        if dot <= 0 or not norm:
            return 0.0
        if n.norm is None:
            n.norm = math.sqrt(sum(((1 + math.log(c)) * idf(t)) ** 2 for t, c in cen.items()))
        return dot / (norm * n.norm)

    def _similarity(self, idx: _CampaignIndex, terms: Counter, n: Narrative) -> float:
        """Cosine of a post's TF-IDF vector and a narrative's centroid."""
        vec, norm, idf = self._vector(idx, terms)
        return self._cosine(vec, norm, n, idf)

    def _claim_narrative(self, idx: _CampaignIndex, terms: Counter, claim: str) -> str | None:
        """The narrative of the post's debunked claim, whatever the wording: the one closest to the post when an
        analyst split the claim's posts into several."""
        holders = idx.claim_narratives(claim)
        if len(holders) <= 1:
            return holders[0].id if holders else None
        vec, norm, idf = self._vector(idx, terms)
        return max(holders, key=lambda n: (self._cosine(vec, norm, n, idf), n.size)).id

    def _nearest(self, idx: _CampaignIndex, terms: Counter, claim: str | None = None) -> str | None:
        """The most similar narrative above `similarity`; a post matching a debunked claim skips narratives that
        hold other claims only (another hoax, however many words they share)."""
        if not terms or not idx.narratives:
            return None
        vec, norm, idf = self._vector(idx, terms)
        best, best_sim = None, 0.0
        top = sorted(vec, key=lambda t: -vec[t])[:8]
        for nid in set().union(*(idx.term_index.get(t, ()) for t in top)):
            n = idx.narratives.get(nid)
            if n is not None and claim and n.claims and claim not in n.claims:
                continue
            sim = self._cosine(vec, norm, n, idf) if n is not None else 0.0
            if sim > best_sim:
                best, best_sim = n.id, sim
        return best if best_sim >= self.similarity else None


def class_weight(class_tf: Counter, narratives: int):
    """c-TF-IDF's idf: log(1 + average words per narrative / the term's count over all narratives)."""
    average = sum(class_tf.values()) / max(narratives, 1)
    return lambda t: math.log(1 + average / max(class_tf.get(t, 0), 1))


def text_hash(text: str) -> str:
    return hashlib.sha1(normalised(text).encode()).hexdigest()[:16]
