"""Sentiment-lexicon features: 16 dense columns of AFINN valences found in a normalised, negation-marked text.

Why: TF-IDF weights only know the words seen in ~15k labelled rows; a lexicon carries a prior for words the
training data never saw, which is what moves macro-F1 on out-of-domain text (SmSA test, tweets). Chosen on the valid
splits (MODEL_CARD.md). ``neg_<w>`` tokens (``normalise.mark_negation``) count with the opposite valence.

Two implementations with identical output (tests/classifiers/test_lexicon.py):
- ``LexiconFeatures``: a scikit-learn transformer over the prepared strings, used in training and in the reference
  Pipeline;
- ``LexiconBlock``: the fast path, computing the same columns from a ``TermSpace``'s word ids with numpy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .features import IdTable

RESOURCES = Path(__file__).with_name("resources")
VALENCES = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)
FEATURE_NAMES = ["log_pos_sum", "log_neg_sum", "pos_rate", "neg_rate", "net", "no_hit"] + \
                [f"n[{v:+d}]" for v in VALENCES]
N_FEATURES = len(FEATURE_NAMES)
NEG_PREFIX = "neg_"


def load_lexicon(lang: str) -> dict[str, int]:
    """``resources/afinn_<lang>.tsv`` (word TAB valence, ``#`` comments) as a dict; {} when the file is absent."""
    path = RESOURCES / f"afinn_{lang}.tsv"
    if not path.is_file():
        return {}
    out: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, value = line.split("\t")
            out[word] = int(value)
    return out


def _bucket(values: np.ndarray) -> np.ndarray:
    """Column offset of each valence within the ``n[v]`` block (-5..-1 -> 0..4, 1..5 -> 5..9)."""
    return np.where(values < 0, values + 5, values + 4)


def _columns(rows: np.ndarray, values: np.ndarray, ntok: np.ndarray) -> np.ndarray:
    """The 16 columns from (row, valence) hits and each row's token count."""
    n = len(ntok)
    pos, neg = values > 0, values < 0
    pos_s = np.bincount(rows[pos], weights=values[pos], minlength=n)
    neg_s = np.bincount(rows[neg], weights=-values[neg], minlength=n)
    npos = np.bincount(rows[pos], minlength=n)
    nneg = np.bincount(rows[neg], minlength=n)
    root = np.sqrt(np.maximum(ntok, 1))
    buckets = np.bincount(rows * 10 + _bucket(values), minlength=n * 10).reshape(n, 10)
    out = np.empty((n, N_FEATURES), dtype=np.float64)
    out[:, 0] = np.log1p(pos_s)
    out[:, 1] = np.log1p(neg_s)
    out[:, 2] = npos / root
    out[:, 3] = nneg / root
    out[:, 4] = np.tanh((pos_s - neg_s) / 4)
    out[:, 5] = (npos + nneg) == 0
    out[:, 6:] = np.log1p(buckets)
    return out


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Lexicon columns of prepared (normalised + ``mark_negation``) strings. Stateless: ``fit`` learns nothing."""

    def __init__(self, entries: dict[str, int] | None = None):
        self.entries = entries

    def fit(self, X, y=None):
        return self

    def transform(self, X) -> sp.csr_matrix:
        lex = self.entries or {}
        rows, values, ntok = [], [], np.zeros(len(X), dtype=np.int64)
        for i, text in enumerate(X):
            toks = text.split()
            ntok[i] = len(toks)
            for t in toks:
                v = -lex.get(t[len(NEG_PREFIX):], 0) if t.startswith(NEG_PREFIX) else lex.get(t, 0)
                if v:
                    rows.append(i)
                    values.append(v)
        cols = _columns(np.asarray(rows, dtype=np.int64), np.asarray(values, dtype=np.int64), ntok)
        return sp.csr_matrix(cols.astype(np.float32))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array(FEATURE_NAMES, dtype=object)


class LexiconBlock:
    """``LexiconFeatures`` through a shared ``TermSpace``: lexicon words (and their ``neg_`` forms) are registered
    as word unigrams, so the ids ``TermSpace.featurise`` already collects carry the valences."""

    n_features = N_FEATURES

    def __init__(self, space, entries: dict[str, int]):
        self.space = space
        words = list(entries)
        vals = np.array([entries[w] for w in words], dtype=np.int64)
        gids = space.register("word", words + [NEG_PREFIX + w for w in words], (1, 1))
        self._valence = IdTable(space, gids, np.concatenate([vals, -vals]), 0)  # shared id -> valence, 0: none

    def transform(self, feats, negation: bool = True) -> sp.csr_matrix:
        rows, gids = feats.ids(negation)
        values = self._valence.get()[gids]
        hit = values != 0
        return sp.csr_matrix(_columns(rows[hit], values[hit], feats.token_counts(negation)))
