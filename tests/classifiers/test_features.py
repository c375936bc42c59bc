"""The fast inference path (shared TermSpace, FastLinearHead, batch language detection) must reproduce the
scikit-learn pipelines and the per-text detector it replaces."""
import numpy as np

from classifiers import DEFAULT_MODEL_DIR
from classifiers.features import TermSpace, blocks_from_vectorizers, char_wb_ngrams
from classifiers.linear import LinearTextModel
from classifiers.normalise import mark_negation, normalise_many

TEXTS = ["Makanannya tidak enak, pelayanan lambat banget :(", "bagus sekali! recommended 👍",
         "Gak tau yg mana, biasa aja", "Ketua KPU dipanggil DPR soal pemilu 2024", "", "a", "kata-kata anak2 bagussss",
         "tidak tidak bukan jangan", "harga rp 10.000,00 naik 2-0 (kemarin) https://t.co/x @user #JanganPercayaHoax"]


def test_char_wb_ngrams_match_sklearn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    an = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for w in ["a", "ab", "abc", "makanannya", "x-y"]:
        assert char_wb_ngrams(w, 2, 5) == an(w)


def test_fast_head_equals_pipeline():
    norms = normalise_many(TEXTS)
    space = TermSpace()
    for name in ("sentiment_id", "sentiment_en"):
        m = LinearTextModel.load(DEFAULT_MODEL_DIR, name)
        head = m.fast_head(space)
        feats = space.featurise(norms)
        want = m.clf.decision_function(m.features.transform([mark_negation(t) for t in norms]))
        got = head.decision(feats)
        assert np.allclose(got.reshape(want.shape), want, atol=1e-5), name


def test_blocks_equal_vectorizers_without_negation():
    m = LinearTextModel.load(DEFAULT_MODEL_DIR, "sentiment_id")
    space = TermSpace()
    blocks = blocks_from_vectorizers(space, m.features.transformer_list)
    norms = normalise_many(TEXTS)
    feats = space.featurise(norms)
    for b, (_, v) in zip(blocks, m.features.transformer_list):
        assert abs(b.transform(feats, negation=False) - v.transform(norms)).max() < 1e-6


def test_batch_language_detection_equals_single():
    from classifiers.language import detect_language, detect_languages

    texts = TEXTS + ["The service was terrible and the staff were rude", "HELLO WORLD THIS IS LOUD", "a\nb c", "  ",
                     "BERITA HOAX!!! Jangan percaya", "VAKSIN ITU halal kata MUI", "ÉTÉ ÉTÉ", "ABCDEf", "AbC"]
    assert detect_languages(texts) == [detect_language(t) for t in texts]
