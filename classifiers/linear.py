"""Pickle-free linear text models: TF-IDF FeatureUnion + linear head, stored as npz (arrays) + json (vocabulary,
parameters). Loading rebuilds real scikit-learn objects (TfidfVectorizer, LogisticRegression inside a Pipeline)
from plain arrays, so no code from the artifact is ever executed (``np.load(allow_pickle=False)``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from .lexicon import LexiconFeatures

FORMAT_VERSION = 1
_VEC_PARAMS = ("analyzer", "ngram_range", "min_df", "max_df", "sublinear_tf", "max_features", "token_pattern",
               "lowercase", "norm", "use_idf", "smooth_idf", "dtype")


class ArtifactError(RuntimeError):
    """Raised when model artifacts are missing, of an unknown version or inconsistent."""


def vec_params(v: TfidfVectorizer) -> dict:
    p = {k: getattr(v, k) for k in _VEC_PARAMS}
    p["ngram_range"] = list(p["ngram_range"])
    p["dtype"] = np.dtype(p["dtype"]).name
    return p


def rebuild_vectorizer(params: dict, terms: list[str], idf: np.ndarray) -> TfidfVectorizer:
    params = dict(params)
    params["ngram_range"] = tuple(params["ngram_range"])
    params["dtype"] = np.dtype(params["dtype"]).type
    params.pop("max_features", None)
    v = TfidfVectorizer(vocabulary={t: i for i, t in enumerate(terms)}, **params)
    v._validate_vocabulary()
    v.idf_ = idf.astype(np.float64)
    return v


def part_terms(v) -> list[str]:
    """Column names of one FeatureUnion part (a TfidfVectorizer's vocabulary, or the lexicon columns)."""
    if isinstance(v, LexiconFeatures):
        return list(v.get_feature_names_out())
    terms = [""] * len(v.vocabulary_)
    for t, i in v.vocabulary_.items():
        terms[i] = t
    return terms


@dataclass
class LinearTextModel:
    """``pipeline`` is a fitted Pipeline(features=FeatureUnion[TfidfVectorizer...], clf=LogisticRegression)."""
    pipeline: Pipeline
    meta: dict = field(default_factory=dict)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.named_steps["clf"].classes_]

    @property
    def features(self) -> FeatureUnion:
        return self.pipeline.named_steps["features"]

    @property
    def clf(self) -> LogisticRegression:
        return self.pipeline.named_steps["clf"]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.predict_proba(texts)

    def fast_head(self, space=None):
        """A ``FastLinearHead`` over a shared ``TermSpace`` computing the same scores as ``pipeline`` (see features)."""
        from .features import FastLinearHead, TermSpace, blocks_from_vectorizers

        space = space if space is not None else TermSpace()
        return FastLinearHead(blocks_from_vectorizers(space, self.features.transformer_list), self.clf.coef_,
                              self.clf.intercept_)

    def feature_names(self) -> np.ndarray:
        names: list[str] = []
        for name, v in self.features.transformer_list:
            names.extend(f"{name}:{t}" for t in part_terms(v))
        return np.array(names, dtype=object)

    # ---- persistence -------------------------------------------------------------------------------------
    def save(self, out_dir: Path, name: str) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        vecs = []
        for vname, v in self.features.transformer_list:
            if isinstance(v, LexiconFeatures):  # the lexicon travels with the weights it was trained with
                vecs.append({"name": vname, "kind": "lexicon", "entries": v.entries or {}})
                continue
            vecs.append({"name": vname, "params": vec_params(v), "terms": part_terms(v)})
            arrays[f"idf__{vname}"] = v.idf_.astype(np.float32)
        clf = self.clf
        arrays["coef"] = clf.coef_.astype(np.float32)
        arrays["intercept"] = clf.intercept_.astype(np.float32)
        doc = {"format_version": FORMAT_VERSION, "name": name, "classes": [str(c) for c in clf.classes_],
               "vectorizers": vecs, "meta": self.meta}
        npz, js = out_dir / f"{name}.npz", out_dir / f"{name}.json"
        np.savez_compressed(npz, **arrays)
        js.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        return [npz, js]

    @classmethod
    def load(cls, model_dir: Path, name: str) -> "LinearTextModel":
        npz, js = Path(model_dir) / f"{name}.npz", Path(model_dir) / f"{name}.json"
        if not npz.is_file() or not js.is_file():
            raise ArtifactError(
                f"model artifact '{name}' not found in {model_dir} (expected {npz.name} and {js.name}); "
                "run `python -m classifiers.training train` to build it")
        doc = json.loads(js.read_text(encoding="utf-8"))
        if doc.get("format_version") != FORMAT_VERSION:
            raise ArtifactError(f"{js}: format_version {doc.get('format_version')} != {FORMAT_VERSION}")
        with np.load(npz, allow_pickle=False) as arrays:
            parts = [(v["name"], LexiconFeatures({str(k): int(x) for k, x in v["entries"].items()})
                      if v.get("kind") == "lexicon" else
                      rebuild_vectorizer(v["params"], v["terms"], arrays[f"idf__{v['name']}"]))
                     for v in doc["vectorizers"]]
            coef = arrays["coef"].astype(np.float64)
            intercept = arrays["intercept"].astype(np.float64)
        n_feat = sum(len(part_terms(v)) for _, v in parts)
        if coef.shape[1] != n_feat:
            raise ArtifactError(f"{name}: coef has {coef.shape[1]} columns, vectorizers give {n_feat}")
        clf = LogisticRegression()
        clf.classes_ = np.array(doc["classes"])
        clf.coef_ = coef
        clf.intercept_ = intercept
        clf.n_features_in_ = n_feat
        pipe = Pipeline([("features", FeatureUnion(parts)), ("clf", clf)])
        return cls(pipe, doc.get("meta", {}))


def from_parts(parts: list[tuple[str, TfidfVectorizer]], classes, coef: np.ndarray, intercept: np.ndarray,
               meta: dict | None = None) -> LinearTextModel:
    clf = LogisticRegression()
    clf.classes_ = np.asarray(classes)
    clf.coef_ = np.asarray(coef, dtype=np.float64)
    clf.intercept_ = np.asarray(intercept, dtype=np.float64)
    clf.n_features_in_ = clf.coef_.shape[1]
    return LinearTextModel(Pipeline([("features", FeatureUnion(parts)), ("clf", clf)]), meta or {})
