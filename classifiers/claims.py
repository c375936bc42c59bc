"""Claim matching: compare posts with known debunked claims (fact-checker items fed by the collectors).

Two signals:
- near-duplicates: MinHash LSH (datasketch) over word 3-shingles of the normalised text; the score is the
  estimated Jaccard similarity (method ``minhash``);
- paraphrases: cosine similarity of word 1-2-gram + char_wb 3-5-gram TF-IDF vectors fitted on the claim texts
  (method ``tfidf``).
A claim's score is the larger of the two. The TF-IDF space is rebuilt lazily after ``add``.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .normalise import normalise, normalise_many

NUM_PERM = 64
LSH_THRESHOLD = 0.5
DEFAULT_THRESHOLD = 0.45
_WORD = re.compile(r"\w+")
# claim prefixes fact-checkers put before the claim itself; stripped so they do not dominate similarity
_LABEL_PREFIX = re.compile(r"^\s*\[?\s*(hoaks|hoax|salah|disinformasi|misinformasi|cek fakta|keliru|fitnah)\s*\]?\s*[:\-–]?\s*",
                           re.I)
_PERMS = MinHash(num_perm=NUM_PERM, seed=7)  # permutations generated once, shared by every MinHash


@dataclass(frozen=True)
class Claim:
    claim_id: str
    text: str
    url: str | None = None
    verdict: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class ClaimMatch:
    claim_id: str
    url: str | None
    title: str | None
    score: float
    method: str
    verdict: str | None = None


def _shingles(norm: str, k: int = 3) -> list[bytes]:
    words = _WORD.findall(norm)
    if len(words) < k:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i:i + k]).encode() for i in range(len(words) - k + 1)]


def _crc(b: bytes) -> int:
    return zlib.crc32(b)


def _minhash(norm: str) -> MinHash | None:
    sh = _shingles(norm)
    if not sh:
        return None
    # hash with crc32 (fast, deterministic) and apply the shared permutations in one vectorised step
    m = MinHash(num_perm=NUM_PERM, seed=7, hashfunc=_crc, permutations=_PERMS.permutations,
                scheme=_PERMS.scheme)
    m.update_batch(sh)
    return m


class ClaimIndex:
    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}
        self._norm: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self._mh: dict[str, MinHash] = {}
        self._dirty = True
        self._ids: list[str] = []
        self._vecs: tuple[TfidfVectorizer, TfidfVectorizer] | None = None
        self._matrix = None

    def __len__(self) -> int:
        return len(self.claims)

    @classmethod
    def from_claims(cls, items: Iterable[dict]) -> "ClaimIndex":
        """Build from dicts with keys id, text, url, verdict, title (url/verdict/title optional)."""
        idx = cls()
        for it in items:
            idx.add(str(it["id"]), it.get("text") or it.get("title") or "", it.get("url"), it.get("verdict"),
                    it.get("title"))
        return idx

    def add(self, claim_id: str, text: str, url: str | None = None, verdict: str | None = None,
            title: str | None = None) -> None:
        text = _LABEL_PREFIX.sub("", text or title or "").strip()
        head = _LABEL_PREFIX.sub("", title or "").strip()
        body = f"{head}. {text}" if head and head.lower() not in text.lower() else text
        if not body:
            return
        if claim_id in self._mh:
            self._lsh.remove(claim_id)
            del self._mh[claim_id]
        self.claims[claim_id] = Claim(claim_id, text, url, verdict, title)
        self._norm.pop(claim_id, None)
        self._pending[claim_id] = body
        self._dirty = True

    def _rebuild(self) -> None:
        # normalisation is deferred to the first match so that building an index at start-up stays cheap
        if self._pending:
            ids = list(self._pending)
            for cid, norm in zip(ids, normalise_many([self._pending[c] for c in ids])):
                if not norm:
                    self.claims.pop(cid, None)
                    continue
                self._norm[cid] = norm
                mh = _minhash(norm)
                if mh is not None:
                    self._lsh.insert(cid, mh)
                    self._mh[cid] = mh
            self._pending = {}
        self._ids = list(self._norm)
        self._dirty = False
        if not self._ids:
            return
        docs = [self._norm[i] for i in self._ids]
        wv = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\w+", lowercase=False)
        cv = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=False)
        self._matrix = self._stack(wv.fit_transform(docs), cv.fit_transform(docs))
        self._vecs = (wv, cv)
        self._dirty = False

    @staticmethod
    def _stack(a, b):
        return normalize(hstack([a, b]).tocsr())

    def match_many(self, texts: list[str], threshold: float = DEFAULT_THRESHOLD, top_k: int = 3,
                   normalised: list[str] | None = None) -> list[list[ClaimMatch]]:
        if self._dirty:
            self._rebuild()
        if not self._ids:
            return [[] for _ in texts]
        norms = normalised if normalised is not None else [normalise(_LABEL_PREFIX.sub("", t)) for t in texts]
        wv, cv = self._vecs
        sims = (self._stack(wv.transform(norms), cv.transform(norms)) @ self._matrix.T).toarray()
        out: list[list[ClaimMatch]] = []
        for i, norm in enumerate(norms):
            scores: dict[str, tuple[float, str]] = {}
            mh = _minhash(norm)
            if mh is not None:
                for cid in self._lsh.query(mh):
                    scores[cid] = (float(mh.jaccard(self._mh[cid])), "minhash")
            row = sims[i]
            for j in np.flatnonzero(row >= threshold):
                cid = self._ids[j]
                prev, how = scores.get(cid, (0.0, ""))
                if row[j] > prev:  # a near-duplicate keeps the larger of its Jaccard and cosine scores
                    scores[cid] = (float(row[j]), "minhash+tfidf" if how else "tfidf")
            hits = sorted(((s, m, cid) for cid, (s, m) in scores.items() if s >= threshold), reverse=True)[:top_k]
            out.append([ClaimMatch(cid, self.claims[cid].url, self.claims[cid].title, round(min(1.0, s), 4), m,
                                   self.claims[cid].verdict) for s, m, cid in hits])
        return out

    def match(self, text: str, threshold: float = DEFAULT_THRESHOLD, top_k: int = 3) -> list[ClaimMatch]:
        """Claims similar to ``text`` with score >= threshold, best first."""
        return self.match_many([text], threshold, top_k)[0]
