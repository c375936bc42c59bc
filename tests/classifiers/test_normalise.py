from classifiers.normalise import mark_negation, normalise, normalise_many, pre_clean, slang_table


def test_slang_and_abbreviations():
    assert normalise("gak tau yg mana") == "tidak tahu yang mana"
    assert normalise("udh bgt dgn org itu") == "sudah banget dengan orang itu"


def test_url_mention_hashtag():
    out = normalise("Cek @kominfo_ri di https://t.co/abc #JanganPercayaHoax")
    assert "usertoken" in out and "urltoken" in out
    assert "jangan percaya hoax" in out
    assert "http" not in out and "@" not in out and "#" not in out


def test_reduplication_and_elongation():
    assert normalise("kata-kata anak2 bagussss") == "kata anak baguss"


def test_clitic_rejoined_like_raw_text():
    assert normalise("makanan nya enak") == normalise("makanannya enak") == "makanannya enak"


def test_emoticons():
    assert "emopos" in normalise("mantap :)") and "emoneg" in normalise("kecewa 😡")


def test_negation_marking():
    assert mark_negation("makanannya tidak enak , tempatnya bersih") == \
        "makanannya tidak enak , tempatnya bersih neg_enak"


def test_batch_equals_single_and_english_tokeniser():
    texts = ["Gak nyangka yg begini", "I don't like it"]
    assert normalise_many(texts, ["id", "en"]) == [normalise(texts[0], "id"), normalise(texts[1], "en")]
    assert normalise("I don't like it", "en").split()[:3] == ["i", "do", "n't"]


def test_table_has_licence_and_entries():
    t = slang_table()
    assert len(t) > 300 and t["yg"] == "yang" and t["gak"] == "tidak"
    assert pre_clean("ABC") == "abc"
