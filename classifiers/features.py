"""Shared, fast TF-IDF featurisation for every linear model in the chain.

The chain's models (sentiment, hoax, claim TF-IDF) all read word 1-2-grams (``token_pattern=r"\\S+"``) and/or
``char_wb`` n-grams of the same normalised text. Instead of each scikit-learn ``TfidfVectorizer`` re-analysing every
text, a ``TermSpace`` holds one id per term over the union of the registered vocabularies, and ``featurise``
analyses each text once:

- word n-grams: one dict lookup per unigram/bigram;
- char_wb n-grams: a document's char_wb n-grams are the concatenation of its words' n-grams (scikit-learn pads each
  whitespace-separated word with spaces), so each distinct word's term ids are computed once and cached.

Each model block (``TfidfBlock``: one vectorizer's vocabulary + idf) maps the shared ids to its own columns and
applies sublinear tf, idf and l2 normalisation with vectorised numpy/scipy — the result equals the block's
``TfidfVectorizer.transform`` (checked in tests/classifiers/test_features.py).

Negation marks (``mark_negation``) are appended tokens; their n-grams are kept apart (``neg``) so the claim index can
read the plain text's features and the models the negation-marked ones from one pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .normalise import negation_extra

_TOKEN_CACHE_MAX = 300_000


def char_wb_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """scikit-learn's ``_char_wb_ngrams`` for one word (identical output, including the short-word rule)."""
    w = " " + word + " "
    w_len = len(w)
    out = []
    for n in range(min_n, max_n + 1):
        offset = 0
        out.append(w[offset:offset + n])
        while offset + n < w_len:
            offset += 1
            out.append(w[offset:offset + n])
        if offset == 0:
            break
    return out




class TermSpace:
    """Union vocabulary (word n-grams and char_wb n-grams, separate namespaces) with one integer id per term."""

    def __init__(self) -> None:
        self.word: dict[str, int] = {}
        self.char: dict[str, int] = {}
        self.n = 0
        self.char_range: tuple[int, int] | None = None
        self.word_bigrams = False
        self.version = 0
        self._tok: dict[str, list[int]] = {}

    def register(self, kind: str, terms: list[str], ngram_range: tuple[int, int]) -> np.ndarray:
        """Add ``terms``; return their shared ids (in the given order)."""
        d = self.char if kind == "char" else self.word
        ids = np.empty(len(terms), dtype=np.int64)
        grew = False
        for i, t in enumerate(terms):
            g = d.get(t)
            if g is None:
                g = d[t] = self.n
                self.n += 1
                grew = True
            ids[i] = g
        if kind == "char":
            lo, hi = ngram_range
            if self.char_range is not None:
                lo, hi = min(lo, self.char_range[0]), max(hi, self.char_range[1])
            if (lo, hi) != self.char_range:
                grew = True
            self.char_range = (lo, hi)
            if grew:
                self._tok = {}
        elif ngram_range[1] >= 2:
            self.word_bigrams = True
        if grew:
            self.version += 1
        return ids

    def _char_ids(self, tok: str) -> list[int]:
        ids = self._tok.get(tok)
        if ids is None:
            if len(self._tok) >= _TOKEN_CACHE_MAX:
                self._tok = {}
            get = self.char.get
            ids = [g for g in map(get, char_wb_ngrams(tok, *self.char_range)) if g is not None]
            self._tok[tok] = ids
        return ids

    def featurise(self, norm_texts: list[str], negation: bool = True) -> "DocFeatures":
        """Analyse each normalised text once; ``negation`` adds the ids of the ``mark_negation`` tokens."""
        wget = self.word.get
        tok_cache = self._tok
        use_char = self.char_range is not None
        bigrams = self.word_bigrams
        base_ptr = [0]
        neg_ptr = [0]
        ntok: list[int] = []  # tokens per text (and negation tokens), for length-normalised blocks
        nneg: list[int] = []
        base: list[int] = []
        neg: list[int] = []
        for text in norm_texts:
            toks = text.split()
            ntok.append(len(toks))
            # word unigrams + bigrams of the plain text
            base.extend([g for g in map(wget, toks) if g is not None])
            if bigrams and len(toks) > 1:
                base.extend([g for g in map(wget, [a + " " + b for a, b in zip(toks, toks[1:])]) if g is not None])
            if use_char:
                for t in toks:
                    ids = tok_cache.get(t)
                    base.extend(ids if ids is not None else self._char_ids(t))
                    tok_cache = self._tok
            base_ptr.append(len(base))
            if negation:
                extra = negation_extra(toks)
                nneg.append(len(extra))
                if extra:
                    neg.extend([g for g in map(wget, extra) if g is not None])
                    if bigrams:
                        seq = toks[-1:] + extra
                        neg.extend([g for g in map(wget, [a + " " + b for a, b in zip(seq, seq[1:])])
                                    if g is not None])
                    if use_char:
                        for t in extra:
                            neg.extend(self._char_ids(t))
                neg_ptr.append(len(neg))
        n = len(norm_texts)
        return DocFeatures(self, self.version, n, np.asarray(base, dtype=np.int64), np.asarray(base_ptr, np.int64),
                           np.asarray(neg, dtype=np.int64) if negation else None,
                           np.asarray(neg_ptr, np.int64) if negation else None,
                           np.asarray(ntok, np.int64), np.asarray(nneg, np.int64) if negation else None)


@dataclass
class DocFeatures:
    space: TermSpace
    version: int
    n_docs: int
    base: np.ndarray
    base_ptr: np.ndarray
    neg: np.ndarray | None
    neg_ptr: np.ndarray | None
    ntok: np.ndarray
    nneg: np.ndarray | None

    def subset(self, idx: list[int]) -> "DocFeatures":
        def take(arr, ptr):
            parts = [arr[ptr[i]:ptr[i + 1]] for i in idx]
            lens = [len(p) for p in parts]
            return (np.concatenate(parts) if parts else arr[:0]), np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        base, bptr = take(self.base, self.base_ptr)
        neg, nptr = take(self.neg, self.neg_ptr) if self.neg is not None else (None, None)
        return DocFeatures(self.space, self.version, len(idx), base, bptr, neg, nptr, self.ntok[idx],
                           None if self.nneg is None else self.nneg[idx])

    def token_counts(self, negation: bool) -> np.ndarray:
        """Tokens per document, counting the negation tokens when ``negation`` (as in the prepared string)."""
        return self.ntok + self.nneg if negation and self.nneg is not None else self.ntok

    def ids(self, negation: bool) -> tuple[np.ndarray, np.ndarray]:
        """(row, shared id) pairs of every term occurrence; with the negation tokens when ``negation``."""
        rows = np.repeat(np.arange(self.n_docs), np.diff(self.base_ptr))
        if not negation or self.neg is None or not len(self.neg):
            return rows, self.base
        nrows = np.repeat(np.arange(self.n_docs), np.diff(self.neg_ptr))
        return np.concatenate([rows, nrows]), np.concatenate([self.base, self.neg])


class IdTable:
    """A dense array mapping shared term ids to one block's values (``fill`` for ids the block does not know),
    rebuilt when the space has grown since (other models registered terms after this block)."""

    def __init__(self, space: TermSpace, gids: np.ndarray, values: np.ndarray, fill: int):
        self.space, self.gids, self.values, self.fill = space, gids, values, fill
        self._table = np.zeros(0, dtype=np.int64)

    def get(self) -> np.ndarray:
        if len(self._table) < self.space.n:
            self._table = np.full(self.space.n, self.fill, dtype=np.int64)
            self._table[self.gids] = self.values
        return self._table


class TfidfBlock:
    """One fitted TfidfVectorizer (word ``\\S+`` n-grams or char_wb), applied through a shared TermSpace."""

    def __init__(self, space: TermSpace, kind: str, terms: list[str], idf: np.ndarray | None, sublinear: bool,
                 ngram_range: tuple[int, int], norm: str | None = "l2"):
        self.space = space
        self.kind = kind
        self.n_features = len(terms)
        gids = space.register(kind, terms, tuple(ngram_range))
        self._cols = IdTable(space, gids, np.arange(len(terms)), -1)  # shared id -> column, -1: not a feature
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)
        self.sublinear = sublinear
        self.norm = norm

    def _map(self) -> np.ndarray:
        return self._cols.get()

    def transform(self, feats: DocFeatures, negation: bool = True) -> sp.csr_matrix:
        rows, gids = feats.ids(negation)
        cols = self._map()[gids]
        keep = cols >= 0
        rows, cols = rows[keep], cols[keep]
        X = sp.csr_matrix((np.ones(len(cols), dtype=np.float64), (rows, cols)),
                          shape=(feats.n_docs, self.n_features))
        # the COO -> CSR conversion already sums duplicate (row, col) entries; column order within a row is
        # irrelevant for the dot products and norms below
        if self.sublinear:
            np.log(X.data, out=X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm == "l2" and len(X.data):
            per_row = np.diff(X.indptr)
            sq = np.bincount(np.repeat(np.arange(feats.n_docs), per_row), weights=X.data * X.data,
                             minlength=feats.n_docs)
            norms = np.sqrt(sq)
            norms[norms == 0] = 1.0
            X.data /= np.repeat(norms, per_row)
        return X


def blocks_from_vectorizers(space: TermSpace, parts) -> list:
    """Fast blocks equal to fitted (word ``\\S+``-token or char_wb) TfidfVectorizers or ``LexiconFeatures``."""
    from .lexicon import LexiconBlock, LexiconFeatures
    from .linear import part_terms

    blocks = []
    for _, v in parts:
        if isinstance(v, LexiconFeatures):
            blocks.append(LexiconBlock(space, v.entries or {}))
            continue
        if v.analyzer == "char_wb":
            kind = "char"
        elif v.analyzer == "word" and v.token_pattern == r"\S+" and not v.lowercase:
            kind = "word"
        else:
            raise ValueError(f"no fast path for vectorizer analyzer={v.analyzer} token_pattern={v.token_pattern}")
        terms = part_terms(v)
        idf = v.idf_ if v.use_idf else None
        blocks.append(TfidfBlock(space, kind, terms, idf, v.sublinear_tf, v.ngram_range, v.norm))
    return blocks


@dataclass
class BlockEntries:
    """The non-zero TF-IDF entries of one block, as flat arrays sorted by (row, col)."""
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


def block_entries(block: TfidfBlock, feats: DocFeatures, negation: bool = True) -> BlockEntries:
    """Like ``block.transform`` but returns flat (row, col, value) arrays: cheaper when only dot products are needed."""
    rows, gids = feats.ids(negation)
    cols = block._map()[gids]
    keep = cols >= 0
    key = rows[keep] * block.n_features + cols[keep]
    key, counts = np.unique(key, return_counts=True)
    rows, cols = np.divmod(key, block.n_features)
    vals = counts.astype(np.float64)
    if block.sublinear:
        np.log(vals, out=vals)
        vals += 1.0
    if block.idf is not None:
        vals *= block.idf[cols]
    if block.norm == "l2" and len(vals):
        norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=feats.n_docs))
        norms[norms == 0] = 1.0
        vals /= norms[rows]
    return BlockEntries(rows, cols, vals)


class FastLinearHead:
    """Linear scores ``sum_b X_b @ coef_b.T + intercept`` over TfidfBlocks sharing one TermSpace."""

    def __init__(self, blocks: list[TfidfBlock], coef: np.ndarray, intercept: np.ndarray):
        self.blocks = blocks
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        offs = np.cumsum([0] + [b.n_features for b in blocks])
        if offs[-1] != self.coef.shape[1]:
            raise ValueError(f"coef has {self.coef.shape[1]} columns, blocks give {offs[-1]}")
        # per block, coefficients as (n_features, n_classes) contiguous rows for fast gathers
        self._coefT = [np.ascontiguousarray(self.coef[:, offs[i]:offs[i + 1]].T) for i in range(len(blocks))]
        self.offsets = offs

    def matrices(self, feats: DocFeatures, negation: bool = True) -> list[sp.csr_matrix]:
        return [b.transform(feats, negation) for b in self.blocks]

    def decision(self, feats: DocFeatures, negation: bool = True,
                 mats: list[sp.csr_matrix] | None = None) -> np.ndarray:
        mats = mats if mats is not None else self.matrices(feats, negation)
        z = np.tile(self.intercept, (feats.n_docs, 1))
        for X, cT in zip(mats, self._coefT):
            z += X @ cT
        return z
