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

from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import scipy.sparse as sp

from .normalise import NEGATORS, negation_extra

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




class _TokenIds(dict):
    """Token -> row of the token table; an unseen token gets the next row (``new`` lists the tokens in row order)."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []

    def __missing__(self, tok: str) -> int:
        i = self[tok] = len(self.tokens)
        self.tokens.append(tok)
        return i


class _PairIds(dict):
    """(first token row, second token row) key -> word-bigram id (-1: not a term), filled on first sight."""

    def __init__(self, tokens: list[str], word: dict[str, int]) -> None:
        super().__init__()
        self.tokens, self.word = tokens, word

    def __missing__(self, key: int) -> int:
        a, b = divmod(key, _PAIR_KEY)
        g = self[key] = self.word.get(self.tokens[a] + " " + self.tokens[b], -1)
        return g


_PAIR_KEY = 1 << 31  # > _TOKEN_CACHE_MAX: (a, b) -> a * _PAIR_KEY + b is unique


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each (start, length): a gather index over a CSR-like array."""
    ends = np.cumsum(lens)
    return np.arange(ends[-1] if len(ends) else 0, dtype=np.int64) + np.repeat(starts - (ends - lens), lens)


class TermSpace:
    """Union vocabulary (word n-grams and char_wb n-grams, separate namespaces) with one integer id per term.

    ``featurise`` keeps a token table (per distinct token: its unigram id, its char_wb n-gram ids, whether it is a
    negator) and a bigram table, valid for one ``version`` of the space: a batch costs one dict lookup per token and
    per adjacent pair, the rest is numpy gathers."""

    def __init__(self) -> None:
        self.word: dict[str, int] = {}
        self.char: dict[str, int] = {}
        self.n = 0
        self.char_range: tuple[int, int] | None = None
        self.word_bigrams = False
        self.version = 0
        self._table_version = -1

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
        elif ngram_range[1] >= 2:
            self.word_bigrams = True
        if grew:
            self.version += 1
        return ids

    def _char_ids(self, tok: str) -> list[int]:
        if self.char_range is None:
            return []
        get = self.char.get
        return [g for g in map(get, char_wb_ngrams(tok, *self.char_range)) if g is not None]

    def _tables(self) -> None:
        """(Re)start the token tables when the space changed since they were filled, or they grew too large."""
        if self._table_version != self.version or len(self._tok.tokens) >= _TOKEN_CACHE_MAX:
            self._tok = _TokenIds()
            self._pairs = _PairIds(self._tok.tokens, self.word)
            self._tok_uni = np.zeros(0, dtype=np.int64)  # unigram id, -1: not a term
            self._tok_ptr = np.zeros(1, dtype=np.int64)  # char ids of token t: _tok_chars[ptr[t]:ptr[t + 1]]
            self._tok_chars = np.zeros(0, dtype=np.int64)
            self._tok_neg = np.zeros(0, dtype=bool)
            self._neg_cache: dict[str, list[int]] = {}
            self._table_version = self.version

    def _grow_tables(self, start: int) -> None:
        """Fill the table rows of the tokens seen for the first time (rows ``start``...)."""
        new = self._tok.tokens[start:]
        if not new:
            return
        wget = self.word.get
        chars = [self._char_ids(t) for t in new]
        self._tok_uni = np.concatenate([self._tok_uni, np.fromiter((wget(t, -1) for t in new), np.int64, len(new))])
        self._tok_ptr = np.concatenate([self._tok_ptr, self._tok_ptr[-1] + np.cumsum([len(c) for c in chars])])
        self._tok_chars = np.concatenate([self._tok_chars, np.fromiter(
            (g for c in chars for g in c), np.int64, int(self._tok_ptr[-1] - self._tok_ptr[start]))])
        self._tok_neg = np.concatenate([self._tok_neg, np.fromiter((t in NEGATORS for t in new), bool, len(new))])

    def featurise(self, norm_texts: list[str], negation: bool = True) -> "DocFeatures":
        """Analyse each normalised text once; ``negation`` adds the ids of the ``mark_negation`` tokens.

        Per text, ``base`` holds its word unigram ids, then its bigram ids, then its tokens' char_wb n-gram ids
        (each in token order); ``neg`` the same for its negation tokens."""
        self._tables()
        n = len(norm_texts)
        splits = [t.split() for t in norm_texts]
        ntok = np.fromiter(map(len, splits), np.int64, n)
        start = len(self._tok.tokens)
        tids = np.fromiter(map(self._tok.__getitem__, chain.from_iterable(splits)), np.int64, int(ntok.sum()))
        self._grow_tables(start)
        tok_rows = np.repeat(np.arange(n, dtype=np.int64), ntok)
        rows, ids = [], []
        uni = self._tok_uni[tids]
        keep = uni >= 0
        rows.append(tok_rows[keep])
        ids.append(uni[keep])
        if self.word_bigrams and len(tids) > 1:
            pos = np.flatnonzero(tok_rows[1:] == tok_rows[:-1])  # a token followed by one of the same text
            pairs = np.fromiter(map(self._pairs.__getitem__, (tids[pos] * _PAIR_KEY + tids[pos + 1]).tolist()),
                                np.int64, len(pos))
            keep = pairs >= 0
            rows.append(tok_rows[pos[keep]])
            ids.append(pairs[keep])
        if self.char_range is not None:
            lens = np.diff(self._tok_ptr)[tids]
            rows.append(np.repeat(tok_rows, lens))
            ids.append(self._tok_chars[_ranges(self._tok_ptr[tids], lens)])
        rows_all = np.concatenate(rows)
        order = np.argsort(rows_all, kind="stable")  # grouped by text; within a text unigrams, bigrams, chars
        base = np.concatenate(ids)[order]
        base_ptr = np.concatenate([[0], np.cumsum(np.bincount(rows_all, minlength=n))]).astype(np.int64)
        neg = neg_ptr = nneg = None
        if negation:
            neg_l: list[int] = []
            nneg_l = np.zeros(n, dtype=np.int64)
            neg_len = np.zeros(n, dtype=np.int64)
            has = np.bincount(tok_rows[self._tok_neg[tids]], minlength=n)  # only texts with a negator get any
            for i in np.flatnonzero(has).tolist():
                before = len(neg_l)
                nneg_l[i] = self._negation_ids(splits[i], neg_l)
                neg_len[i] = len(neg_l) - before
            neg = np.asarray(neg_l, dtype=np.int64)
            neg_ptr = np.concatenate([[0], np.cumsum(neg_len)]).astype(np.int64)
            nneg = nneg_l
        return DocFeatures(self, self.version, n, base, base_ptr, neg, neg_ptr, ntok, nneg)

    def _negation_ids(self, toks: list[str], out: list[int]) -> int:
        """Append the ids of ``negation_extra(toks)`` (unigrams, bigrams continuing the text, char n-grams) to
        ``out``; return the number of negation tokens."""
        extra = negation_extra(toks)
        if not extra:
            return 0
        wget = self.word.get
        out.extend([g for g in map(wget, extra) if g is not None])
        if self.word_bigrams:
            seq = toks[-1:] + extra
            out.extend([g for g in map(wget, [a + " " + b for a, b in zip(seq, seq[1:])]) if g is not None])
        if self.char_range is not None:
            cache = self._neg_cache
            for t in extra:
                ids = cache.get(t)
                if ids is None:
                    ids = cache[t] = self._char_ids(t)
                out.extend(ids)
        return len(extra)


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

    _counts: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def subset(self, idx: list[int]) -> "DocFeatures":
        idx = np.asarray(idx, dtype=np.int64)

        def take(arr, ptr):
            lens = np.diff(ptr)[idx]
            return arr[_ranges(ptr[idx], lens)], np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
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

    def counts(self, negation: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, shared id, occurrences) of each distinct term of each document, sorted by (row, id): computed once
        per batch and shared by every block (a block maps ids to its columns one-to-one, so no duplicates remain)."""
        hit = self._counts.get(negation)
        if hit is None:
            rows, gids = self.ids(negation)
            keys, occ = np.unique(rows * max(1, self.space.n) + gids, return_counts=True)
            hit = self._counts[negation] = (*np.divmod(keys, max(1, self.space.n)), occ.astype(np.float64))
        return hit


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
        rows, gids, occ = feats.counts(negation)
        cols = self._map()[gids]
        keep = cols >= 0
        rows, cols, vals = rows[keep], cols[keep], occ[keep]  # fancy indexing copies: occ stays intact
        # rows are sorted, so (vals, cols, indptr) is the CSR matrix; column order within a row is irrelevant for
        # the dot products and norms below
        if self.sublinear:
            np.log(vals, out=vals)
            vals += 1.0
        if self.idf is not None:
            vals *= self.idf[cols]
        per_row = np.bincount(rows, minlength=feats.n_docs)
        if self.norm == "l2" and len(vals):
            norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=feats.n_docs))
            norms[norms == 0] = 1.0
            vals /= norms[rows]
        indptr = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int64)
        return sp.csr_matrix((vals, cols, indptr), shape=(feats.n_docs, self.n_features))


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
