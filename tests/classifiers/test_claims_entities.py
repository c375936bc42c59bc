from datetime import datetime

from classifiers.claims import ClaimIndex
from classifiers.entities import EntityTagger
from core.domain import Campaign, Post

CLAIMS = [
    {"id": "c1", "title": "[HOAKS] Vaksin COVID-19 mengandung microchip",
     "text": "Vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga", "url": "u1", "verdict": "hoax"},
    {"id": "c2", "title": "[SALAH] Presiden naikkan gaji sendiri 10 kali lipat",
     "text": "Presiden menaikkan gajinya sendiri sepuluh kali lipat lewat Perpres baru", "url": "u2",
     "verdict": "false"},
]


def test_near_duplicate_matches_with_minhash():
    idx = ClaimIndex.from_claims(CLAIMS)
    m = idx.match("Vaksin COVID-19 mengandung microchip untuk melacak keberadaan warga!!! sebarkan", threshold=0.5)
    assert m and m[0].claim_id == "c1" and "minhash" in m[0].method and m[0].url == "u1"


def test_paraphrase_matches():
    idx = ClaimIndex.from_claims(CLAIMS)
    m = idx.match("katanya vaksin covid ada microchip buat lacak warga, hati2")
    assert m and m[0].claim_id == "c1" and m[0].score >= 0.45
    m = idx.match("presiden naikin gaji nya sendiri 10x lipat lewat perpres")
    assert m and m[0].claim_id == "c2"


def test_unrelated_text_does_not_match():
    idx = ClaimIndex.from_claims(CLAIMS)
    assert idx.match("Harga cabai di pasar induk naik menjelang lebaran") == []
    assert idx.match("Timnas menang 2-0 atas Vietnam tadi malam") == []
    assert ClaimIndex().match("apa saja") == []


def test_add_after_build():
    idx = ClaimIndex.from_claims(CLAIMS)
    idx.match("warm up")
    idx.add("c3", "Air garam bisa menggantikan listrik PLN di rumah", "u3", "hoax")
    assert idx.match("air garam bisa gantikan listrik pln")[0].claim_id == "c3"


def test_entities_gazetteer_and_campaign_patterns():
    camp = Campaign(id="mbg", name="MBG", keywords=["makan bergizi gratis"], hashtags=["MBGSehat"])
    tagger = EntityTagger(campaigns=[camp], extra_patterns=[{"label": "PROGRAM", "pattern": "Sekolah Rakyat"}])
    ents = tagger.entities(["Ketua KPU dan Bawaslu dipanggil DPR; Gubernur Jawa Barat bahas Makan Bergizi Gratis "
                            "dan sekolah rakyat di Bandung"])[0]
    for e in ("ROLE:Ketua KPU", "ORG:Bawaslu", "ORG:DPR", "ROLE:Gubernur", "LOC:Jawa Barat",
              "CAMPAIGN:Makan Bergizi Gratis", "PROGRAM:sekolah rakyat", "LOC:Bandung"):
        assert e in ents, (e, ents)
    # acronyms are case-sensitive: ordinary words do not become entities
    assert tagger.entities(["pan di dapur, ma dan bi pergi"])[0] == []


def test_chain_end_to_end(chain):
    posts = [Post(source="t", native_id=str(i), text=t, created_at=datetime(2024, 5, 1)) for i, t in enumerate([
        "Awas!! vaksin covid ada microchip buat lacak warga, jangan mau disuntik",
        "Pelayanan Kemenkes di Jakarta sangat bagus dan cepat, mantap",
        "The service was terrible and the staff were rude",
    ])]
    chain.classify(posts)
    a, b, c = (p.classification for p in posts)
    assert posts[0].lang == "id" and posts[2].lang == "en"
    assert a.hoax and a.matched_claim_id == "tbh-1" and a.matched_claim_url
    assert a.hoax_reasons[0].startswith("matches debunk 'Vaksin COVID-19 mengandung microchip'")
    assert "similarity" in a.hoax_reasons[0] and a.hoax_score >= 0.5
    assert a.matched_claim_title == "Vaksin COVID-19 mengandung microchip"  # what the post detail shows
    assert f"similarity {a.matched_claim_score:.2f})" in a.hoax_reasons[0]
    assert b.sentiment == "positive" and 0 <= b.sentiment_score <= 1 and not b.matched_claim_id
    assert "ORG:Kemenkes" in b.entities and "LOC:Jakarta" in b.entities
    assert c.sentiment == "negative"


def test_candidate_prefilter_is_exact_at_the_shared_word_floor():
    """Only claims sharing MIN_SHARED_WORDS content words with a post are scored: a post sharing exactly that many
    still matches, one sharing fewer never does, and a batch mixing both gives each post its own answer."""
    from classifiers.claims import MIN_SHARED_WORDS

    assert MIN_SHARED_WORDS == 3
    idx = ClaimIndex.from_claims(CLAIMS)
    three = "vaksin microchip melacak"  # exactly three content words of c1
    two = "vaksin microchip"
    got = idx.match_many([two, three, "Harga cabai naik", three], threshold=0.3)
    assert got[0] == [] and got[2] == []
    assert [m.claim_id for m in got[1]] == ["c1"] and got[3] == got[1]


def test_calibrated_scorer_decides_and_its_features_are_pinned():
    """With a MatchScorer the decision is the scorer's (here: claim coverage alone), not the raw similarity; a
    scorer built for other features is refused at load instead of silently mis-scoring."""
    import numpy as np
    import pytest

    from classifiers.claims import PAIR_FEATURES, MatchScorer
    from classifiers.linear import ArtifactError

    coverage_only = MatchScorer(tuple(1.0 if f.startswith("claim words covered") else 0.0 for f in PAIR_FEATURES),
                                0.0, 0.6)
    idx = ClaimIndex.from_claims(CLAIMS, coverage_only)
    long_post = ("katanya vaksin covid ada microchip buat melacak keberadaan warga, hati2 ya semua, jangan mau "
                 "disuntik sebelum baca ini sampai habis dan tanya ke dokter keluarga masing-masing dulu")
    (m,) = idx.match(long_post)
    assert m.claim_id == "c1" and m.method == "scored" and 0 < m.score < 1  # shown: the TF-IDF cosine
    assert idx.match("vaksin covid microchip katanya") == []  # 3 shared words, too little of the claim covered
    r, c, X = idx.pair_features(["vaksin covid mengandung microchip melacak keberadaan warga"])
    assert X.shape == (1, len(PAIR_FEATURES)) and np.isclose(X[0, 1], 1.0)  # every claim word covered
    with pytest.raises(ArtifactError):
        MatchScorer.from_json({**coverage_only.to_json(), "features": ["cosine"]})


def test_index_matrix_equals_scikit_learn_tfidf():
    """The index counts its vocabulary and idf itself (a tenth of the fit time at 8k claims): same matrix as
    TfidfVectorizer word 1-2-grams + char_wb 3-5-grams, sublinear tf, max_df 0.2 (large index) or 1.0."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    many = CLAIMS + [{"id": f"x{i}", "text": f"klaim nomor {i} tentang harga beras naik di pasar {i % 7} kota"}
                     for i in range(60)]
    for claims in (CLAIMS, many):
        idx = ClaimIndex.from_claims(claims)
        idx.prepare()
        docs = [idx._norm[i] for i in idx._ids]
        max_df = 0.2 if len(docs) >= 50 else 1.0
        ref = normalize(sp.hstack([
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+", lowercase=False,
                            max_df=max_df).fit_transform(docs),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=False,
                            max_df=max_df).fit_transform(docs)]).tocsr())
        assert ref.shape == idx._matrix.shape and np.abs((ref - idx._matrix).toarray()).max() < 1e-12
