"""``nlp.tokens`` / ``nlp.doc`` must be spaCy's blank() tokenisation exactly (the chunk cache is only a shortcut)."""
import pytest

from classifiers import nlp
from classifiers.data import sentiment_split
from classifiers.entities import EntityTagger
from classifiers.normalise import pre_clean


def spacy_tokens(text: str, lang: str) -> list[str]:
    return [t.text for t in nlp.get_nlp(lang).make_doc(text) if not t.is_space]


EDGE = ["kata-kata anak2 e-ktp 10.000,00 ma'ruf jokowi-pdip", "a\nb  c\t d", "  ", "", "(kemarin)... !!! :)",
        "https://t.co/x @user #JanganPercayaHoax", "enak.tapi mahal,sih", "don't it's they're U.S. 3.5", "😀😀 ok"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_edge_cases_equal_spacy(lang):
    for text in EDGE:
        assert nlp.tokens(text, lang) == spacy_tokens(text, lang), text
        assert [t.text for t in nlp.doc(nlp.chunks(text, lang), lang)] == spacy_tokens(text, lang), text


def test_every_labelled_text_equals_spacy(data_dir):
    for ds, lang in (("smsa", "id"), ("nusax_ind", "id"), ("indolem", "id"), ("nusax_eng", "en")):
        for split in ("train", "test"):
            for raw in sentiment_split(data_dir, ds, split).texts:
                for text in (raw, pre_clean(raw)):
                    assert nlp.tokens(text, lang) == spacy_tokens(text, lang), (ds, text)


def test_entity_ruler_token_patterns_hashtags_and_hyphens():
    tagger = EntityTagger(extra_patterns=[{"label": "PROGRAM", "pattern": [{"LOWER": "kartu"}, {"LOWER": "prakerja"}]},
                                          {"label": "CAMPAIGN", "pattern": "#MBGSehat"}])
    ents = tagger.entities(["Kartu Prakerja dibuka lagi #MBGSehat, warga Wamena-Papua antre"])[0]
    assert "PROGRAM:Kartu Prakerja" in ents and "CAMPAIGN:#MBGSehat" in ents and "LOC:Papua" in ents, ents


def test_first_token_shortcut_changes_no_result(data_dir):
    texts = [t for ds in ("smsa", "indolem") for t in sentiment_split(data_dir, ds, "test").texts]
    texts += ["Ketua KPU dan Bawaslu dipanggil DPR", "gubernur jawa barat di Bandung", "MA dan BI", "ma dan bi"]
    fast, slow = EntityTagger(), EntityTagger()
    slow._phrases = None  # what a token-dict pattern does: every post goes through the rulers
    got = fast.entities(texts)
    assert got == slow.entities(texts)
    assert sum(bool(e) for e in got) > 50  # the comparison covers many posts with entities


def test_terms_added_after_first_use_are_found():
    tagger = EntityTagger(gazetteer={"ORG": ["Bawaslu"]})
    assert tagger.entities(["rapat Bawaslu hari ini"]) == [["ORG:Bawaslu"]]
    tagger.add_terms("PROGRAM", ["Sekolah Rakyat"])  # the rulers exist now: the shortcut must learn "sekolah rakyat"
    assert tagger.entities(["sekolah rakyat dibuka"]) == [["PROGRAM:sekolah rakyat"]]
