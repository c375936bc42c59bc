"""Language ID on the real splits: the dataset language is the label (Indonesian: SmSA, NusaX-ind, IndoLEM;
English: NusaX-eng, LIAR statements). The function-word vote for unsure predictions was chosen on the valid splits
(SURE 0.5 / 0.7 / 0.9: Indonesian 97.3 / 97.6 / 97.8%, English 99.86% each; without it 94.8%). Measured on the test
splits: Indonesian 92.4% -> 97.4%, English 99.94% before and after."""
import csv

import pytest

from classifiers.data import sentiment_split
from classifiers.language import detect_language, detect_languages


def test_unsure_indonesian_goes_to_indonesian():
    # lite model: it 0.19, la 0.10, ms 0.09, id 0.09 -> Indonesian function words decide
    assert detect_language("KTT ASEAN digelar di Labuan Bajo besok pagi") == "id"
    assert detect_languages(["AC nya panas, kamar kotor", "The summit was a great success for the region"]) == \
        ["id", "en"]


def test_confident_other_languages_are_kept():
    assert detect_language("Der Gipfel war ein großer Erfolg für die ganze Region und alle Teilnehmer") == "de"
    assert detect_language("This is not what the minister said about the new policy") == "en"


@pytest.fixture(scope="module")
def test_texts(data_dir):
    ind = [t for ds in ("smsa", "nusax_ind", "indolem") for t in sentiment_split(data_dir, ds, "test").texts]
    eng = list(sentiment_split(data_dir, "nusax_eng", "test").texts)
    with open(data_dir / "liar" / "test.tsv", encoding="utf-8") as f:
        eng += [r[2] for r in csv.reader(f, delimiter="\t") if len(r) > 2]
    return ind, eng


def test_accuracy_floors_on_test_splits(test_texts):
    ind, eng = test_texts
    got_id, got_en = detect_languages(ind), detect_languages(eng)
    assert sum(g == "id" for g in got_id) / len(ind) >= 0.98  # 98.7% since the fallback rules (was 97.4%)
    assert sum(g == "en" for g in got_en) / len(eng) >= 0.995


def test_unsure_other_language_falls_back_to_the_campaign_language():
    # lite fastText: "vaksin" -> fi and the headline -> pl at low scores (issue 13); both used to skip the models
    assert detect_languages(["vaksin", "Planet Nibiru Siap Menabrak Bumi", "Alhamdulilah"]) == ["id", "id", "id"]
    assert detect_languages(["vaksin"], fallbacks=["en"]) == ["en"]
    from datetime import datetime

    from classifiers.language import LanguageDetector
    from core.domain import Campaign, Post

    posts = [Post(source="t", native_id="1", text="vaksin", campaigns=["intl"], created_at=datetime(2026, 1, 1)),
             Post(source="t", native_id="2", text="vaksin", created_at=datetime(2026, 1, 1))]
    LanguageDetector([Campaign(id="intl", name="Intl", language="en")]).classify(posts)
    assert [p.lang for p in posts] == ["en", "id"]


# measured share detected as Indonesian (issue 13 asks >= 99%) with the vocabulary prior (VOCAB_MIN_WORDS/SHARE):
# IDSA 99.15, Pilpres 2019 100.0, rizalespe 99.18, emotion-opinion 99.38, EmoT 99.59; Chromebook Instagram comments
# 98.38% of all 618, of which 8 are English or Arabic (data.NOT_INDONESIAN), and 99.67% of its 610 Indonesian ones
# (misses: "Tom Lembong Part 2 👏 insya alloh segera bebas..", and "Keweden", a Javanese word);
# before the prior: 98.7 / 99.3 / 97.7 / 98.0 / 99.1 / 97.3. NusaX-eng test stays at 99.75% English, LIAR test 100%.
SOCIAL_ID_FLOORS = {"idsa": 0.99, "pilpres2019": 0.995, "rizalespe": 0.99, "emotion_opinion": 0.99, "emot": 0.99,
                    "chromebook_ig": 0.99}


def test_code_mixed_and_slang_indonesian_is_indonesian_and_english_stays_english():
    # fastText alone: all three "en" (IDSA / emotion-opinion rows); the Indonesian vocabulary outvotes it
    assert detect_languages(["kayak woojin kesringan barengih dasar anak kembar", "hah? kaya dendam bnaget sama ibu",
                             "baru bangun kena marah tiba tiba but we should keep kiyowo"]) == ["id"] * 3
    # English with Indonesian brand names keeps English (the prior needs more Indonesian than English words)
    assert detect_languages(["Available now, 5 brand new lunch boxes from Kotak Makan Yooyee, anti-leak lunch box",
                             "The minister visited Bandung and Bogor to open the new toll road"]) == ["en", "en"]


def test_hashtag_only_posts_take_the_campaign_language():
    assert detect_languages(["#ahy", "@baskaraedwin", "", "#negeridagelan"], fallbacks=["id", "id", "id", "en"]) == \
        ["id", "id", None, "en"]
    assert detect_language("#TolakJakartaBersyariah #AHY") == "id" and detect_language("  ") is None


def test_indonesian_social_sets_are_detected_as_indonesian(data_dir):
    from classifiers.data import benign_posts

    ben = benign_posts(data_dir)
    assert (~ben.indonesian).sum() == 8  # the English/Arabic Chromebook comments, and nothing else, are left out
    ben = ben[ben.indonesian]
    for src, floor in SOCIAL_ID_FLOORS.items():
        texts = ben[ben.source == src].text.tolist()
        got = detect_languages(texts)
        assert sum(g == "id" for g in got) / len(texts) >= floor, src
