import json
import pickle
import time
from pathlib import Path

import numpy as np
import pytest

from classifiers import DEFAULT_MODEL_DIR, load_default
from classifiers.linear import ArtifactError, LinearTextModel


def test_artifacts_small_versioned_and_carded():
    files = list(DEFAULT_MODEL_DIR.iterdir())
    assert sum(f.stat().st_size for f in files) < 20e6
    names = {f.name for f in files}
    for n in ("sentiment_id", "sentiment_en"):
        assert f"{n}.npz" in names and f"{n}.json" in names
    assert {"style_hoax.json", "claims_seed.json.gz"} <= names
    assert not any(f.suffix in {".pkl", ".pickle", ".joblib"} for f in files)
    card = (DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text()
    assert "CC BY-SA 4.0" in card and "macro-F1" in card
    assert json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())["version"]


def test_npz_has_no_object_arrays():
    for f in DEFAULT_MODEL_DIR.glob("*.npz"):
        with np.load(f, allow_pickle=False) as z:
            for k in z.files:
                assert z[k].dtype != object


def test_load_without_pickle(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)
    m = LinearTextModel.load(DEFAULT_MODEL_DIR, "sentiment_id")
    p = m.predict_proba(["makanannya enak sekali", "pelayanan buruk dan lambat"])
    assert np.allclose(p.sum(1), 1)
    assert list(np.array(m.classes)[p.argmax(1)]) == ["positive", "negative"]


@pytest.mark.parametrize("second", ["char_wb", "lexicon"])
def test_save_load_round_trip(tmp_path: Path, second: str):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from classifiers.lexicon import LexiconFeatures

    texts = ["bagus sekali", "jelek sekali", "biasa saja", "sangat bagus", "sangat jelek", "ya biasa"] * 3
    y = ["pos", "neg", "neu"] * 6
    part = (("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))) if second == "char_wb" else
            ("lex", LexiconFeatures({"bagus": 3, "jelek": -3})))  # the lexicon travels inside the artifact
    pipe = Pipeline([("features", FeatureUnion([("w", TfidfVectorizer()), part])),
                     ("clf", LogisticRegression())]).fit(texts, y)
    LinearTextModel(pipe).save(tmp_path, "m")
    back = LinearTextModel.load(tmp_path, "m")
    assert np.allclose(back.predict_proba(texts), pipe.predict_proba(texts), atol=1e-5)


def test_missing_artifacts_raise_clearly(tmp_path: Path):
    with pytest.raises(ArtifactError, match="not found"):
        load_default(tmp_path)
    with pytest.raises(ArtifactError, match="does not exist"):
        load_default(tmp_path / "nope")


def test_load_default_is_fast():
    t = time.perf_counter()
    load_default()
    assert time.perf_counter() - t < 2.5  # measured ~1.1 s; margin for a loaded CI box
