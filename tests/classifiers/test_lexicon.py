"""Lexicon columns: exact values on hand-made strings, the fast path equal to the transformer, and the artifact
carrying its lexicon (save/load round trip: tests/classifiers/test_artifacts.py)."""
import numpy as np
import pytest

from classifiers import DEFAULT_MODEL_DIR
from classifiers.features import TermSpace
from classifiers.lexicon import FEATURE_NAMES, LexiconBlock, LexiconFeatures, load_lexicon
from classifiers.linear import LinearTextModel
from classifiers.normalise import mark_negation, normalise_many

LEX = {"bagus": 3, "jelek": -3, "kecewa": -2, "enak": 2}


def col(name: str) -> int:
    return FEATURE_NAMES.index(name)


def test_values_and_negation():
    X = LexiconFeatures(LEX).transform(["bagus bagus jelek", mark_negation("tidak enak sama sekali"), "", "meja"])
    X = X.toarray()
    assert X[0, col("log_pos_sum")] == pytest.approx(np.log1p(6))
    assert X[0, col("log_neg_sum")] == pytest.approx(np.log1p(3))
    assert X[0, col("pos_rate")] == pytest.approx(2 / np.sqrt(3))
    assert X[0, col("n[+3]")] == pytest.approx(np.log1p(2)) and X[0, col("n[-3]")] == pytest.approx(np.log1p(1))
    assert X[0, col("net")] == pytest.approx(np.tanh(3 / 4))
    # "tidak enak" -> "enak" (+2) and the appended "neg_enak" (-2)
    assert X[1, col("n[+2]")] == pytest.approx(np.log1p(1)) and X[1, col("n[-2]")] == pytest.approx(np.log1p(1))
    assert X[2, col("no_hit")] == 1 and X[3, col("no_hit")] == 1 and X[0, col("no_hit")] == 0


def test_fast_block_equals_transformer():
    texts = ["Makanannya tidak enak, pelayanan lambat banget :(", "bagus sekali! recommended", "gak bagus, jelek",
             "", "kecewa kecewa kecewa tidak jelek", "Ketua KPU dipanggil DPR soal pemilu 2024"]
    norms = normalise_many(texts)
    space = TermSpace()
    lex = load_lexicon("id")
    block = LexiconBlock(space, lex)
    space.register("word", ["bigram filler", "grows the space"], (1, 2))  # the block must follow a growing space
    feats = space.featurise(norms)
    want = LexiconFeatures(lex).transform([mark_negation(t) for t in norms]).toarray()
    assert np.allclose(block.transform(feats).toarray(), want, atol=1e-6)
    assert np.allclose(block.transform(feats.subset([4, 1])).toarray(), want[[4, 1]], atol=1e-6)
    want_plain = LexiconFeatures(lex).transform(norms).toarray()
    assert np.allclose(block.transform(feats, negation=False).toarray(), want_plain, atol=1e-6)


def test_shipped_lexicon_and_artifact():
    lex = load_lexicon("id")
    assert len(lex) > 1500 and lex["bagus"] > 0 and lex["kecewa"] < 0
    assert all(-5 <= v <= 5 and v != 0 for v in lex.values())
    m = LinearTextModel.load(DEFAULT_MODEL_DIR, "sentiment_id")
    parts = dict(m.features.transformer_list)
    assert parts["lex"].entries == lex  # the model carries the lexicon it was trained with
    assert sum(n.startswith("lex:") for n in m.feature_names()) == len(FEATURE_NAMES)

