"""Hoax suspicion is claim-first and not a topic detector (issue 13): the flag needs a debunk match or a strong
hoax-style score; ordinary posts about vaccines or elections are not flagged for their topic."""
from datetime import datetime

import pytest

from classifiers import DEFAULT_MODEL_DIR
from classifiers.claims import PAIR_FEATURES, ClaimIndex, load_seed, seed_scorer, seed_threshold
from classifiers.hoax import HOAX_THRESHOLD, HoaxClassifier
from core.domain import Post


def _posts(texts, lang="id"):
    return [Post(source="t", native_id=str(i), text=t, lang=lang, created_at=datetime(2026, 1, 1))
            for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def seeded():
    seed = load_seed()
    index = ClaimIndex.from_claims(seed["claims"], seed_scorer())
    return HoaxClassifier.load(DEFAULT_MODEL_DIR, index, claim_threshold=seed_threshold()), seed


def test_topic_words_alone_do_not_flag(seeded):
    hoax, _ = seeded
    posts = hoax.classify(_posts(["mau vaksin aku", "vaksin", "gimana caranya daftar vaksin booster di puskesmas?",
                                  "besok nyoblos capres di TPS dekat rumah", "isi bensin dulu sebelum berangkat kerja"]))
    for p in posts:
        assert not p.classification.hoax, (p.text, p.classification)
        assert p.classification.hoax_score < HOAX_THRESHOLD


def test_style_cues_flag_with_reasons_that_agree_with_the_score(seeded):
    hoax, _ = seeded
    post = hoax.classify(_posts(["SEBARKAN SEBELUM DIHAPUS!!! MEDIA TIDAK MEMBERITAKAN INI, VIRAL DI GRUP SEBELAH, "
                                 "TERBUKTI 100% NYATA 🚨🚨"]))[0]
    c = post.classification
    assert c.hoax and c.hoax_score >= HOAX_THRESHOLD
    assert any(r.startswith("hoax-style cues:") and "before it is deleted" in r for r in c.hoax_reasons), c.hoax_reasons
    assert not any("p(hoax)" in r for r in c.hoax_reasons)


def test_flag_equals_score_at_threshold(seeded):
    hoax, _ = seeded
    texts = ["biasa aja sih", "AWAS!!! hati-hati penipuan, klik link ini untuk hadiah", "Sebarkan ya guys",
             "Pemerintah resmi menaikkan harga pertalite menjadi Rp50 ribu per liter mulai besok"]
    for p in hoax.classify(_posts(texts)):
        c = p.classification
        assert type(c.hoax) is bool  # a numpy bool broke the alert engine's JSON (tests/service/test_config_rules.py)
        assert c.hoax == (c.hoax_score >= HOAX_THRESHOLD), (p.text, c)
        assert c.hoax == (c.matched_claim_id is not None or any(r.startswith("hoax-style cues") for r in
                                                                 c.hoax_reasons)), (p.text, c)


def test_seed_database_is_licence_checked_and_linkable(seeded):
    _, seed = seeded
    meta = seed["meta"]
    assert set(meta["sources"]) == {"turnbackhoax.id", "turnbackhoax.id (2024)", "komdigi.go.id"}
    assert all(v["licence"] for v in meta["sources"].values())
    recent = [c for c in seed["claims"] if c["source"] == "turnbackhoax.id"]
    assert len(recent) > 800 and all(c["url"].startswith("https://turnbackhoax.id/") and c["date"] for c in recent)
    assert meta["scorer"]["features"] == list(PAIR_FEATURES) and len(meta["scorer"]["coef"]) == len(PAIR_FEATURES)
    assert meta["duplicates_dropped"] > 0 and len({c["id"] for c in seed["claims"]}) == len(seed["claims"])


def test_posted_hoax_matches_its_debunk_with_a_readable_reason(seeded, data_dir):
    from classifiers.data import factcheck_posts

    hoax, _ = seeded
    fp = factcheck_posts(data_dir)
    row = fp[(fp.source == "tbh2025") & (fp.claim_id == "tbh-35287")].iloc[0]  # "PRESIDEN RESMI BUBARKAN BEA CUKAI"
    c = hoax.classify(_posts([row.text]))[0].classification
    assert c.matched_claim_id == "tbh-35287" and c.hoax
    assert c.hoax_reasons[0].startswith("matches debunk 'presiden resmi bubarkan bea cukai' (turnbackhoax.id, "
                                        "2026-06-19, similarity ")
    assert c.hoax_reasons[0].endswith("https://turnbackhoax.id/articles/35287-salah-presiden-resmi-bubarkan-bea-cukai")


@pytest.mark.parametrize("topic", ["vaksin/covid", "pemilu/pilpres"])
def test_replay_of_benign_on_topic_posts_is_not_flagged(seeded, data_dir, topic):
    """Real ordinary posts from the held-out social sets (never used to train or calibrate) about vaccines and
    elections, replayed through the shipped hoax step. The old topic model flagged 28% of vaccine tweets; flagging at
    style p >= 0.5 instead of the shipped threshold flags 14.6% / 25.5% of these two slices (mutation checked)."""
    from classifiers.data import SOCIAL_TRAIN_SETS, benign_posts, topic_slice

    hoax, _ = seeded
    ben = benign_posts(data_dir)
    ben = ben[~ben.source.isin(SOCIAL_TRAIN_SETS)]
    texts = [t for t in ben.text if topic_slice(t) == topic]
    assert len(texts) >= 40  # vaksin/covid: 48 posts, pemilu/pilpres: 1,977
    flagged = [p.text for p in hoax.classify(_posts(texts)) if p.classification.hoax]
    assert len(flagged) / len(texts) <= 0.03, (len(flagged), len(texts), flagged[:5])


def test_post_quoting_one_sentence_of_a_long_claim_matches_it(seeded):
    """A post repeating one clause of a long claim text covers little of the whole claim: the claim's segments (title,
    each sentence / ';'-clause) carry the match (demo/claims.json)."""
    _, seed = seeded
    index = ClaimIndex.from_claims(seed["claims"], seed_scorer())
    index.add("demo-claim-microchip", "Beredar narasi: vaksin booster itu ada microchip buat melacak kita, jangan mau "
              "disuntik; vaksin covid mengandung microchip 5G", url="https://example.org/cekfakta/vaksin-microchip",
              verdict="hoaks", title="[HOAKS] Vaksin mengandung microchip untuk melacak penduduk")
    for text in ("Hati-hati, vaksin covid mengandung microchip 5G, sudah banyak yang bilang",
                 "vaksin booster itu ada microchip buat melacak kita, jangan mau disuntik"):
        assert [m.claim_id for m in index.match(text)][:1] == ["demo-claim-microchip"], text
    assert index.match("mau vaksin booster dulu di puskesmas besok pagi") == []
