"""Claim matching: compare posts with known debunked claims (fact-checker items fed by the collectors).

Two signals:
- near-duplicates: MinHash (64 permutations, crc32 of word 3-shingles, computed for a whole batch in numpy) with
  LSH banding (14 bands x 4 rows, the bands datasketch picks for threshold 0.5) over the normalised text; the score
  is the estimated Jaccard similarity (method ``minhash``);
- paraphrases: cosine similarity of word 1-2-gram (whitespace tokens) + char_wb 3-5-gram TF-IDF vectors fitted on
  the claim texts (method ``tfidf``). Posts are vectorised through the chain's shared ``TermSpace`` when one is
  attached (``attach``), so a post's text is analysed once for every model.
A claim's score is the larger of the two. The TF-IDF space and LSH tables are rebuilt lazily after ``add``.
A match needs MIN_SHARED_WORDS shared content words, so a batch is scored only against the claims sharing that many
with one of its posts (a sparse word-incidence product): same matches, a third less time with the seed database.

With the seed database a calibrated ``MatchScorer`` decides instead of the raw similarity (issue 13): a logistic
regression over pair features (TF-IDF cosine, idf-weighted share of the claim's content words found in the post and
of the post's found in the claim, shared words, the cosine's gap to the post's best candidate, both lengths, and the
best cosine and idf-weighted coverage over the claim's segments: its title and each sentence or ';'-clause of its
text), fitted on the validation half of the TurnBackHoax 2025-26 posts against ordinary posts, with its threshold set so that at
most 1% of the ordinary calibration posts match anything (classifiers/claim_seed.py). A post is long and tells the
hoax in its own words; a claim is a short title: how much of the claim the post covers says more than the cosine.
A post quoting one sentence of a long claim covers little of the whole claim but all of that sentence: the segment
features raised validation recall@1 from 57.5% to 61.8% at the same 1% rule (MODEL_CARD.md).
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from sklearn.preprocessing import normalize
import scipy.sparse as sp

from .features import DocFeatures, TermSpace, TfidfBlock, char_wb_ngrams
from .normalise import normalise, normalise_many

NUM_PERM = 64
_COUNT_UNIT = float(1 << 20)  # see ClaimIndex._count_mass
LSH_BANDS, LSH_ROWS = 14, 4  # = datasketch MinHashLSH(threshold=0.5, num_perm=64) optimal (b, r)
DEFAULT_THRESHOLD = 0.45
# A match needs this many shared content words (3+ letters, not function words): a one- or two-word post such as
# "vaksin" shares characters with every vaccine debunk but asserts nothing.
MIN_SHARED_WORDS = 3
_FUNCTION_WORDS = frozenset("""yang dan di ke dari ini itu dengan untuk tidak ada akan sudah bisa juga karena tapi atau
lagi pada dalam oleh para telah jadi bukan saya kamu kita kami mereka dia nya the and for with this that are was
urltoken usertoken""".split())
_WORD = re.compile(r"\w+")
# claim prefixes fact-checkers put before the claim itself; stripped so they do not dominate similarity
_LABEL_PREFIX = re.compile(r"^\s*\[?\s*(hoaks|hoax|salah|disinformasi|misinformasi|cek fakta|keliru|fitnah)\s*\]?\s*[:\-–]?\s*",
                           re.I)
_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_rng = np.random.RandomState(7)
_PERM_A = _rng.randint(1, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_PERM_B = _rng.randint(0, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_BAND_MIX = _rng.randint(1, (1 << 63) - 1, size=LSH_ROWS, dtype=np.uint64) | np.uint64(1)


PAIR_FEATURES = ("cosine", "claim words covered (idf)", "post words covered (idf)", "shared words (max 6)/6",
                 "gap to best cosine", "log post words", "log claim words", "best segment cosine",
                 "best segment words covered (idf)")
# A claim's segments: its title and each sentence / ';'-clause of its text with at least SEGMENT_MIN_WORDS content
# words, split on the punctuation tokens the normalised index text keeps. A post quoting one sentence of a long claim
# covers little of the whole claim but all of that sentence.
SEGMENT_MIN_WORDS = 3
_SEGMENT_SPLIT = re.compile(r"\s[.;!?]\s")


@dataclass(frozen=True)
class MatchScorer:
    """Linear decision over PAIR_FEATURES; a pair matches at ``decision >= threshold`` (shipped in the seed meta)."""
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def decision(self, X: np.ndarray) -> np.ndarray:
        return X @ np.asarray(self.coef) + self.intercept

    def to_json(self) -> dict:
        return {"features": list(PAIR_FEATURES), "coef": [round(float(c), 6) for c in self.coef],
                "intercept": round(float(self.intercept), 6), "threshold": round(float(self.threshold), 6)}

    @classmethod
    def from_json(cls, d: dict) -> "MatchScorer":
        if list(d.get("features", [])) != list(PAIR_FEATURES):
            from .linear import ArtifactError
            raise ArtifactError("claim scorer features differ from this code's PAIR_FEATURES; rebuild the seed")
        return cls(tuple(float(c) for c in d["coef"]), float(d["intercept"]), float(d["threshold"]))


@dataclass(frozen=True)
class Claim:
    claim_id: str
    text: str
    url: str | None = None
    verdict: str | None = None
    title: str | None = None
    date: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ClaimMatch:
    claim_id: str
    url: str | None
    title: str | None
    score: float
    method: str
    verdict: str | None = None
    date: str | None = None
    source: str | None = None

    def reason(self) -> str:
        """What a PR officer reads: matches debunk 'X' (turnbackhoax.id, 2025-11-03, similarity 0.91)."""
        where = ", ".join(x for x in (self.source, self.date) if x)
        title = shown_title(self.title) or self.claim_id
        return (f"matches debunk '{title}' ({where + ', ' if where else ''}"
                f"similarity {self.score:.2f})" + (f" {self.url}" if self.url else ""))


def shown_title(title: str | None) -> str:
    """A debunk's title as a reader sees it: without the fact-checker's "[HOAKS]" label."""
    return _LABEL_PREFIX.sub("", title or "").strip()


def index_text(title: str, text: str) -> str:
    """What a claim is indexed by: its title, plus its text when the title does not already contain it."""
    return f"{title}. {text}" if title and title.lower() not in text.lower() else text


# The seed database of debunked claims shipped with the models (built by `narrawatch train` from the fact-check
# archives in shared/data, loaded into the claim store by `narrawatch init`): gzip'd JSON, no pickle.
SEED_NAME = "claims_seed.json.gz"


def load_seed(model_dir=None) -> dict:
    """{"meta": {...threshold, sources...}, "claims": [{id, title, text, url, verdict, date, source, norm}]}."""
    import gzip
    import json
    from pathlib import Path

    from .linear import ArtifactError

    path = Path(model_dir or Path(__file__).with_name("models")) / SEED_NAME
    if not path.is_file():
        raise ArtifactError(f"{path} missing; run `narrawatch train`")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def seed_threshold(model_dir=None) -> float:
    """The similarity threshold of an index without a scorer (a seed with a scorer keeps the documented default)."""
    from .linear import ArtifactError

    try:
        return float(load_seed(model_dir)["meta"].get("threshold", DEFAULT_THRESHOLD))
    except ArtifactError:  # no seed database shipped in this model dir: the documented default
        return DEFAULT_THRESHOLD


SCORER_NAME = "claims_scorer.json"  # the scorer alone (also in the seed's meta): start-up reads 1 KB, not the seed


def seed_scorer(model_dir=None) -> MatchScorer | None:
    """The calibrated match scorer shipped with the seed database (None: no scorer shipped in ``model_dir``)."""
    import json
    from pathlib import Path

    path = Path(model_dir or Path(__file__).with_name("models")) / SCORER_NAME
    if not path.is_file():
        return None
    return MatchScorer.from_json(json.loads(path.read_text(encoding="utf-8")))


def _content_words(norm: str) -> set[str]:
    return {w for w in _WORD.findall(norm) if len(w) >= 3 and w not in _FUNCTION_WORDS}


def _shingles(norm: str, k: int = 3) -> list[bytes]:
    words = _WORD.findall(norm)
    if len(words) < k:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i:i + k]).encode() for i in range(len(words) - k + 1)]


def minhash_many(norms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (n, NUM_PERM) uint64 of many texts at once, and a mask of texts that had shingles."""
    crc = zlib.crc32
    hv: list[int] = []
    starts: list[int] = []
    has = np.zeros(len(norms), dtype=bool)
    for i, norm in enumerate(norms):
        sh = _shingles(norm)
        if sh:
            has[i] = True
            starts.append(len(hv))
            hv.extend(map(crc, sh))
    sig = np.full((len(norms), NUM_PERM), _MAX_HASH, dtype=np.uint64)
    if hv:
        h = np.asarray(hv, dtype=np.uint64)[:, None]
        phv = ((h * _PERM_A + _PERM_B) % _MERSENNE) & _MAX_HASH
        sig[has] = np.minimum.reduceat(phv, np.asarray(starts), axis=0)
    return sig, has


def _band_keys(sig: np.ndarray) -> np.ndarray:
    """(n, LSH_BANDS) uint64 keys, one mixed hash per band of LSH_ROWS signature values."""
    bands = sig[:, :LSH_BANDS * LSH_ROWS].reshape(len(sig), LSH_BANDS, LSH_ROWS)
    return (bands * _BAND_MIX).sum(axis=2) + np.arange(LSH_BANDS, dtype=np.uint64)


class ClaimIndex:
    def __init__(self, scorer: MatchScorer | None = None) -> None:
        self.claims: dict[str, Claim] = {}
        self._norm: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self._sig: dict[str, np.ndarray] = {}
        self._buckets: dict[int, list[str]] = {}
        self._dirty = True
        self._ids: list[str] = []
        self._blocks = None
        self._matrix = None
        self._space: TermSpace | None = None
        self._words: dict[str, set[str]] = {}
        self.scorer = scorer

    @property
    def scorer(self) -> MatchScorer | None:
        """None: a match is a similarity >= the threshold (manual claims, no seed database)."""
        return self._scorer

    @scorer.setter
    def scorer(self, value: MatchScorer | None) -> None:
        self._scorer = value
        self._dirty = True  # the MinHash tables are built only for the unscored path

    def attach(self, space: TermSpace) -> "ClaimIndex":
        """Vectorise through a shared TermSpace (the chain's), so posts are analysed once for all models."""
        self._space = space
        self._dirty = True
        return self

    def __len__(self) -> int:
        return len(self.claims)

    @classmethod
    def from_claims(cls, items: Iterable[dict], scorer: MatchScorer | None = None) -> "ClaimIndex":
        """Build from dicts with keys id, text, url, verdict, title, date, source, norm (all but id optional;
        ``norm`` is the pre-normalised index text shipped with the seed database, so start-up skips normalising)."""
        idx = cls(scorer)
        for it in items:
            idx.add(str(it["id"]), it.get("text") or it.get("claim") or it.get("title") or "", it.get("url"),
                    it.get("verdict"), it.get("title"), date=it.get("date"), source=it.get("source"),
                    norm=it.get("norm"))
        return idx

    def add(self, claim_id: str, text: str, url: str | None = None, verdict: str | None = None,
            title: str | None = None, date: str | None = None, source: str | None = None,
            norm: str | None = None) -> None:
        text = _LABEL_PREFIX.sub("", text or title or "").strip()
        head = _LABEL_PREFIX.sub("", title or "").strip()
        body = index_text(head, text)
        if not body:
            return
        self._sig.pop(claim_id, None)
        self.claims[claim_id] = Claim(claim_id, text, url, verdict, title, date, source)
        self._norm.pop(claim_id, None)
        self._words.pop(claim_id, None)
        self._pending.pop(claim_id, None)
        if norm:
            self._norm[claim_id] = norm
        else:
            self._pending[claim_id] = body
        self._dirty = True

    def add_alias(self, alias_id: str, claim: Claim, text: str) -> None:
        """Index ``text`` (a post an analyst confirmed as ``claim``) under ``alias_id``; its matches report
        ``claim`` (id, title, URL), so a reworded repost of the post matches the claim."""
        self.add(alias_id, text)
        if alias_id in self.claims:
            self.claims[alias_id] = claim

    def remove(self, claim_id: str) -> None:
        for d in (self.claims, self._norm, self._pending, self._sig, self._words):
            d.pop(claim_id, None)
        self._dirty = True

    def prepare(self) -> None:
        """Build the TF-IDF space and LSH tables now if claims were added since the last build."""
        if self._dirty:
            self._rebuild()

    def _rebuild(self) -> None:
        # normalisation is deferred to the first match so that building an index at start-up stays cheap
        if self._pending:
            ids = list(self._pending)
            for cid, norm in zip(ids, normalise_many([self._pending[c] for c in ids])):
                if not norm:
                    self.claims.pop(cid, None)
                    continue
                self._norm[cid] = norm
            self._pending = {}
        self._ids = list(self._norm)
        self._dirty = False
        self._buckets = {}
        if not self._ids:
            return
        docs = [self._norm[i] for i in self._ids]
        if self._scorer is None:
            sig, has = minhash_many(docs)
            self._sig = {cid: sig[k] for k, cid in enumerate(self._ids) if has[k]}
            for k, cid in enumerate(self._ids):
                if has[k]:
                    for key in _band_keys(sig[k:k + 1])[0].tolist():
                        self._buckets.setdefault(key, []).append(cid)
        # with a large index, terms in more than 20% of claims ("hoaks", "video", "yang") carry no identity and
        # make the sparse similarity product dense; a handful of manual claims keeps every term
        max_df = 0.2 if len(docs) >= 50 else 1.0
        if self._space is None:
            self._space = TermSpace()
        # vocabulary + idf counted here, matrix through the shared space: what TfidfVectorizer(word \S+ 1-2-grams /
        # char_wb 3-5-grams, sublinear tf, max_df).fit_transform gives (tests/classifiers/test_claims_entities.py),
        # in a tenth of the time (char n-grams are computed once per distinct word, not per occurrence)
        self._blocks = [TfidfBlock(self._space, kind, terms, idf, True, ngrams)
                        for kind, ngrams, (terms, idf) in (("word", (1, 2), _fit_idf(docs, _word_terms, max_df)),
                                                            ("char", (3, 5), _fit_idf(docs, _char_terms, max_df)))]
        feats = self._space.featurise(docs, negation=False)
        self._matrix = self._stack([b.transform(feats, negation=False) for b in self._blocks])
        # claims x content words (binary): a match needs MIN_SHARED_WORDS of them, so only the claims sharing that
        # many with some post of a batch can match; the cosine is computed against those claims alone (exact)
        self._vocab = {}
        rows, cols = [], []
        for k, cid in enumerate(self._ids):
            for w in self._content(cid):
                rows.append(k)
                cols.append(self._vocab.setdefault(w, len(self._vocab)))
        self._incidence = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)),
                                        shape=(len(self._ids), max(1, len(self._vocab))))
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=self._incidence.shape[1])
        self._idf = np.log((1 + len(self._ids)) / (1 + df)) + 1.0
        idf_incidence = (self._incidence.multiply(self._idf[None, :])).tocsr()
        self._claim_mass = np.asarray(idf_incidence.sum(axis=1)).ravel()
        # one product gives both the shared-word count and its idf mass per (post, claim): each shared word adds
        # _COUNT_UNIT + its idf (the masses stay far below the unit), so count = value // unit, mass = the rest
        self._count_mass = sp.csr_matrix((_COUNT_UNIT + idf_incidence.data, idf_incidence.indices,
                                          idf_incidence.indptr), shape=idf_incidence.shape)
        self._claim_words = np.asarray(self._incidence.sum(axis=1)).ravel()
        self._build_segments()

    def _build_segments(self) -> None:
        """Rows of the claims' segments (a claim with one segment has none: its whole text is that segment)."""
        segs, seg_words, ptr = [], [], [0]
        for cid in self._ids:
            parts = [(p, ws) for p in _SEGMENT_SPLIT.split(self._norm[cid])
                     if len(ws := _content_words(p)) >= SEGMENT_MIN_WORDS]
            if len(parts) > 1:
                segs.extend(p for p, _ in parts)
                seg_words.extend(ws for _, ws in parts)
            ptr.append(len(segs))
        self._seg_ptr = np.asarray(ptr, dtype=np.int64)
        n = max(1, self._incidence.shape[1])
        if not segs:
            self._seg_matrix = self._seg_idf = sp.csr_matrix((0, n))
            self._seg_mass = np.zeros(0)
            return
        feats = self._space.featurise(segs, negation=False)
        self._seg_matrix = self._stack([b.transform(feats, negation=False) for b in self._blocks])
        rows, cols = self._word_cells(seg_words)
        self._seg_idf = sp.csr_matrix((self._idf[np.asarray(cols, dtype=np.int64)], (rows, cols)), shape=(len(segs), n))
        self._seg_mass = np.asarray(self._seg_idf.sum(axis=1)).ravel()

    @staticmethod
    def _stack(mats):
        return normalize(sp.hstack(mats).tocsr())

    def match_many(self, texts: list[str], threshold: float = DEFAULT_THRESHOLD, top_k: int = 3,
                   normalised: list[str] | None = None, features: DocFeatures | None = None) -> list[list[ClaimMatch]]:
        """``normalised``/``features``: the texts' normalised form / shared-space features, if already computed."""
        if self._dirty:
            self._rebuild()
        if not self._ids:
            return [[] for _ in texts]
        norms = normalised if normalised is not None else [normalise(_LABEL_PREFIX.sub("", t)) for t in texts]
        if features is None or features.space is not self._space or features.version != self._space.version:
            features = self._space.featurise(norms, negation=False)
        if self.scorer is not None:
            return self._scored(norms, features, top_k)
        # sparse (posts x claims) similarities: with thousands of seed claims a dense matrix would dominate the batch
        words = [_content_words(n) for n in norms]
        cand = self._candidates(words)
        if cand.size:
            posts_x = self._stack([b.transform(features, negation=False) for b in self._blocks])
            sub = (posts_x @ self._matrix[cand].T).tocsr()
            sims = sp.csr_matrix((sub.data, cand[sub.indices], sub.indptr), shape=(len(norms), len(self._ids)))
        else:
            sims = sp.csr_matrix((len(norms), len(self._ids)))
        sig, has = minhash_many(norms)
        keys = _band_keys(sig).tolist()
        buckets, sigs = self._buckets, self._sig
        sims.data[sims.data < threshold] = 0.0
        sims.eliminate_zeros()
        cand_rows = np.flatnonzero(np.diff(sims.indptr))
        out: list[list[ClaimMatch]] = [[] for _ in norms]
        todo = set(cand_rows.tolist())
        for i in range(len(norms)):
            if has[i] and any(k in buckets for k in keys[i]):
                todo.add(i)
        for i in sorted(todo):
            words_i = words[i]
            if len(words_i) < MIN_SHARED_WORDS:
                continue
            scores: dict[str, tuple[float, str]] = {}
            if has[i]:
                for k in keys[i]:
                    for cid in buckets.get(k, ()):
                        if cid not in scores:
                            scores[cid] = (float(np.count_nonzero(sig[i] == sigs[cid])) / NUM_PERM, "minhash")
            lo, hi = sims.indptr[i], sims.indptr[i + 1]
            for j, v in zip(sims.indices[lo:hi].tolist(), sims.data[lo:hi].tolist()):
                cid = self._ids[j]
                prev, how = scores.get(cid, (0.0, ""))
                if v > prev:  # a near-duplicate keeps the larger of its Jaccard and cosine scores
                    scores[cid] = (float(v), "minhash+tfidf" if how else "tfidf")
            hits = sorted(((s, m, cid) for cid, (s, m) in scores.items() if s >= threshold
                           and len(words_i & self._content(cid)) >= MIN_SHARED_WORDS), reverse=True)[:top_k]
            out[i] = [ClaimMatch(cid, self.claims[cid].url, self.claims[cid].title, round(min(1.0, s), 4), m,
                                 self.claims[cid].verdict, self.claims[cid].date, self.claims[cid].source)
                      for s, m, cid in hits]
        return out

    def pair_features(self, norms: list[str], features: DocFeatures | None = None, prune: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(post rows, claim rows, PAIR_FEATURES matrix) for every (post, claim) pair sharing MIN_SHARED_WORDS
        content words, computed for the whole batch with sparse products (no per-pair Python). ``prune``: the
        segment cosine only of the pairs the scorer could still match (the others keep the whole claim's cosine);
        the matches are those of the full features."""
        if self._dirty:
            self._rebuild()
        empty = np.zeros(0, dtype=np.int64)
        if not self._ids:
            return empty, empty, np.zeros((0, len(PAIR_FEATURES)))
        if features is None or features.space is not self._space or features.version != self._space.version:
            features = self._space.featurise(norms, negation=False)
        words = [_content_words(n) for n in norms]
        post_words = np.array([len(ws) for ws in words], dtype=np.float64)
        rows, cols = self._word_cells(words)
        if not rows:
            return empty, empty, np.zeros((0, len(PAIR_FEATURES)))
        posts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(norms), self._incidence.shape[1]))
        both = (posts @ self._count_mass.T).tocoo()
        counts = np.floor(both.data / _COUNT_UNIT)
        keep = counts >= MIN_SHARED_WORDS
        r, c = both.row[keep].astype(np.int64), both.col[keep].astype(np.int64)
        n_shared, shared_idf = counts[keep], both.data[keep] - _COUNT_UNIT * counts[keep]
        if not len(r):
            return empty, empty, np.zeros((0, len(PAIR_FEATURES)))
        order = np.lexsort((c, r))
        r, c, n_shared, shared_idf = r[order], c[order], n_shared[order], shared_idf[order]
        post_mass = np.asarray(posts.multiply(self._idf[None, :]).sum(axis=1)).ravel()
        posts_x = self._stack([b.transform(features, negation=False) for b in self._blocks])
        cos = _pair_dots(posts_x, self._matrix, r, c)
        best = np.zeros(len(norms))
        np.maximum.at(best, r, cos)
        cov = shared_idf / np.maximum(self._claim_mass[c], 1e-9)
        X = np.column_stack([cos, cov,
                             shared_idf / np.maximum(post_mass[r], 1e-9), np.minimum(n_shared, 6) / 6.0,
                             cos - best[r], np.log1p(post_words[r]), np.log1p(self._claim_words[c])])
        bound = None
        w = np.asarray(self.scorer.coef) if prune and self.scorer is not None else None
        if w is not None and w[7] >= 0:
            base = X @ w[:7] + self.scorer.intercept + w[7]

            def bound(best_cov):
                return base + w[8] * best_cov
        X = np.column_stack([X, *self._segment_features(posts.tocsr(), posts_x, r, c, cos, cov, bound)])
        return r, c, X

    def _segment_features(self, posts: sp.csr_matrix, posts_x: sp.csr_matrix, r: np.ndarray, c: np.ndarray,
                          cos0: np.ndarray, cov0: np.ndarray, bound=None) -> tuple[np.ndarray, np.ndarray]:
        """(best segment cosine, best segment idf coverage) of each (post, claim) pair, over the claim's segments
        and its whole text (``cos0``, ``cov0``). ``bound(best coverage)``: the largest decision each pair can reach
        (pruning for matching)."""
        ptr = self._seg_ptr
        n = ptr[c + 1] - ptr[c]
        if not n.sum():
            return cos0, cov0
        pair = np.repeat(np.arange(len(r)), n)
        seg = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(ptr[c], n)
        cov = _pair_dots(posts, self._seg_idf, r[pair], seg) / np.maximum(self._seg_mass[seg], 1e-9)
        best_cos, best_cov = cos0.copy(), cov0.copy()
        np.maximum.at(best_cov, pair, cov)
        if bound is not None:
            # the segment cosines (char n-gram rows: the costly part) only of the pairs that can reach the scorer's
            # threshold with a best segment cosine of 1; the others keep cos0 and stay under it (same matches)
            k = np.flatnonzero(bound(best_cov) >= self.scorer.threshold)
            sel = np.flatnonzero(np.isin(pair, k))
            pair, seg = pair[sel], seg[sel]
        np.maximum.at(best_cos, pair, _pair_dots(posts_x, self._seg_matrix, r[pair], seg))
        return best_cos, best_cov

    def _scored(self, norms: list[str], features: DocFeatures, top_k: int) -> list[list[ClaimMatch]]:
        r, c, X = self.pair_features(norms, features, prune=True)
        out: list[list[ClaimMatch]] = [[] for _ in norms]
        if not len(r):
            return out
        d = self.scorer.decision(X)
        hit = np.flatnonzero(d >= self.scorer.threshold)
        for k in hit[np.lexsort((-d[hit], r[hit]))]:
            i = int(r[k])
            if len(out[i]) < top_k:
                cl = self.claims[self._ids[int(c[k])]]
                # the shown similarity is the TF-IDF cosine; the calibrated decision chose the match
                out[i].append(ClaimMatch(cl.claim_id, cl.url, cl.title, round(float(min(1.0, X[k, 0])), 4),
                                         "scored", cl.verdict, cl.date, cl.source))
        return out

    def _content(self, cid: str) -> set[str]:
        if cid not in self._words:
            self._words[cid] = _content_words(self._norm[cid])
        return self._words[cid]

    def _word_cells(self, words: list[set[str]]) -> tuple[list[int], list[int]]:
        """(row, content-word column) of every word the claims know: the incidence matrix of these word sets (a
        batch's posts, or the claims' segments)."""
        vocab, rows, cols = self._vocab, [], []
        for i, ws in enumerate(words):
            for w in ws:
                j = vocab.get(w)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        return rows, cols

    def _candidates(self, words: list[set[str]]) -> np.ndarray:
        """Claim rows sharing at least MIN_SHARED_WORDS content words with some post of the batch (sorted)."""
        rows, cols = self._word_cells(words)
        if not rows:
            return np.zeros(0, dtype=np.int64)
        posts = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)),
                              shape=(len(words), self._incidence.shape[1]))
        shared = (posts @ self._incidence.T).tocsr()
        return np.unique(shared.indices[shared.data >= MIN_SHARED_WORDS]).astype(np.int64)

    def match(self, text: str, threshold: float = DEFAULT_THRESHOLD, top_k: int = 3) -> list[ClaimMatch]:
        """Claims similar to ``text`` with score >= threshold, best first."""
        return self.match_many([text], threshold, top_k)[0]


NEAR_DUPLICATE = 0.8  # word 3-shingle Jaccard of two normalised texts: a repost with a word or two changed


def near_duplicate(a_norm: str, b_norm: str, threshold: float = NEAR_DUPLICATE) -> bool:
    """Whether two normalised texts are the same post (identical, or reposted with small edits)."""
    if a_norm == b_norm:
        return True
    a, b = set(_shingles(a_norm)), set(_shingles(b_norm))
    return bool(a and b) and len(a & b) / len(a | b) >= threshold


def _pair_dots(a: sp.csr_matrix, b: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``a[rows[k]] . b[cols[k]]`` for each pair: only the (post, claim) pairs asked for, not the whole product of
    the batch with every candidate claim (a few pairs per post against hundreds of candidates)."""
    for m in (a, b):  # the element-wise product merges sorted rows; unsorted ones take a much slower path
        if not m.has_sorted_indices:
            m.sort_indices()
    return np.asarray(a[rows].multiply(b[cols]).sum(axis=1)).ravel()


def _word_terms(doc: str, cache: dict) -> set[str]:
    toks = doc.split()
    return set(toks) | {a + " " + b for a, b in zip(toks, toks[1:])}


def _char_terms(doc: str, cache: dict) -> set[str]:
    out: set[str] = set()
    for w in doc.split():
        grams = cache.get(w)
        if grams is None:
            grams = cache[w] = frozenset(char_wb_ngrams(w, 3, 5))
        out |= grams
    return out


def _fit_idf(docs: list[str], terms_of, max_df: float) -> tuple[list[str], np.ndarray]:
    """(sorted vocabulary, smooth idf) as TfidfVectorizer.fit computes them, max_df as a share of documents."""
    from collections import Counter

    df: Counter = Counter()
    cache: dict = {}
    for d in docs:
        df.update(terms_of(d, cache))
    limit = max_df * len(docs)
    vocab = sorted(t for t, n in df.items() if n <= limit)
    counts = np.fromiter((df[t] for t in vocab), dtype=np.float64, count=len(vocab))
    return vocab, np.log((1 + len(docs)) / (1 + counts)) + 1.0

