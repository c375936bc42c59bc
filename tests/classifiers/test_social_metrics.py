"""Floors on social posts, across topics, at the shipped thresholds (issue 13), from `evaluate` with the shipped
artifacts. Measured values are in classifiers/models/MODEL_CARD.md; the floors sit a little under them. Targets the
issue sets and that are not met are asserted at what is reached, so a regression still fails."""
import pytest

from classifiers.training import evaluate


# measured (held-out social sets, shipped thresholds, calibrated claim scorer, style model vs raw-text ordinary
# posts): vaksin/covid 0.0% of 48, pemilu/pilpres 1.5% of 1,977, harga/bbm 3.2% of 155 (5 posts, 3 of them claim
# matches: above the 3% target, not met), other 0.8% of 13,810 (the withdrawn topic model flagged 28% of ordinary
# vaccine tweets; the style model trained against IDSA's lower-cased texts: 1.7% / 1.2% on pemilu / other)
FLAG_CEIL = {"vaksin/covid": 0.03, "pemilu/pilpres": 0.016, "harga/bbm": 0.033, "other": 0.01}
# claim recall@1 on the de-duplicated test half of TurnBackHoax 2025-26 at the shipped scorer threshold: RECALL1
# (target 80%: not met; 20.6% with the raw-similarity threshold it replaces); false matches on the held-out social
# sets (target <= 1%)
# measured: 56.9% of 448 (valid half: 61.8% of 440), false matches 0.24% of 15,990 (39 posts)
RECALL1_FLOOR, FALSE_MATCH_CEIL = 0.55, 0.01
CHAIN_FLOOR = 0.77  # 80.1% of the posted TurnBackHoax 2025-26 hoaxes flagged (claim match or style; in-sample for style)
# macro-F1 per social set, scored by a model that never trained on its domain (target 60: met by emotion-opinion
# and rizalespe only): the shipped model trains on reviews + IDSA + Indonglish (+ teacher-labelled posts), so those two
# are scored by the leave-one-domain-out models recorded at training time. Measured: IDSA 50.3, Indonglish 46.2,
# Pilpres 2019 47.0, rizalespe 78.3 (binary), emotion-opinion 61.0 (the review-only model of 2026.2: 47.7 / 46.1 /
# 43.7 / 74.6 / 54.6).
SOCIAL_F1_FLOOR = {"idsa": 0.49, "indonglish": 0.45, "pilpres2019": 0.46, "rizalespe": 0.77, "emotion_opinion": 0.60}
# the same model on the held-out test split of a social set it trained on: IDSA 60.6, Indonglish 66.4
IN_DOMAIN_F1_FLOOR = {"idsa": 0.59, "indonglish": 0.65}


@pytest.fixture(scope="module")
def rows(data_dir):
    return {(r["dataset"], r["split"]): r for r in evaluate(data_dir)}


@pytest.mark.parametrize("topic", ["vaksin/covid", "pemilu/pilpres", "harga/bbm", "other"])
def test_benign_posts_rarely_flagged_per_topic_slice(rows, topic):
    r = rows[f"hoax:benign {topic}", "held-out sets"]
    assert r["flagged"] <= FLAG_CEIL[topic], r


def test_claim_matching_recall_and_false_matches(rows):
    r1 = rows["claims:recall@1 tbh2025 test", "shipped threshold"]
    fm = rows["claims:false match", "held-out sets"]
    assert r1["n"] > 400 and r1["recall"] >= RECALL1_FLOOR, r1
    assert fm["flagged"] <= FALSE_MATCH_CEIL, fm


def test_chain_flags_posted_hoaxes(rows):
    assert rows["hoax:chain tbh2025 posts", "shipped threshold"]["recall"] >= CHAIN_FLOOR


@pytest.mark.parametrize("ds", ["idsa", "indonglish", "pilpres2019", "rizalespe", "emotion_opinion"])
def test_social_sentiment_is_reported_per_domain(rows, ds):
    """Across domains: the whole set, scored by a model that did not train on it."""
    (key,) = [k for k in rows if k[0] == f"social:{ds}" and "domain in training" not in k[1]]
    assert rows[key]["n"] > 1000 and rows[key]["macro_f1"] >= SOCIAL_F1_FLOOR[ds], rows[key]


@pytest.mark.parametrize("ds", sorted(IN_DOMAIN_F1_FLOOR))
def test_social_sets_in_training_are_also_scored_on_their_test_split(rows, ds):
    r = rows[f"social:{ds}", "test, domain in training"]
    assert r["n"] > 900 and r["macro_f1"] >= IN_DOMAIN_F1_FLOOR[ds], r


def test_style_threshold_meets_the_slice_rule_on_validation(rows):
    """The shipped style threshold is the one the recorded out-of-fold (validation) rows were scored at, and every
    training topic slice of >= SLICE_MIN_N ordinary posts is at <= 3% flagged there, with the recall reported."""
    from classifiers import DEFAULT_MODEL_DIR
    from classifiers.style import StyleModel
    from classifiers.training import SLICE_MIN_N, STYLE_MAX_FLAG

    th = StyleModel.load(DEFAULT_MODEL_DIR).threshold
    oof = [r for (name, split), r in rows.items() if name.startswith("hoax-style:") and "(recorded)" in split]
    slices = [r for r in oof if r["dataset"].startswith("hoax-style:benign ")]
    assert slices and all(r["threshold"] == th for r in oof), (th, oof)
    assert all(r["flagged"] <= STYLE_MAX_FLAG for r in slices if r["n"] >= SLICE_MIN_N), slices
    assert rows["hoax-style:tbh2025", "groupkfold5 (recorded)"]["recall"] >= 0.30


def test_style_threshold_is_exact():
    """Just above the (k+1)-th highest ordinary score of the strictest slice, k = floor(3% of its size)."""
    import numpy as np

    from classifiers.training import choose_style_threshold

    p = np.concatenate([np.linspace(0.0, 0.9, 96), [0.961, 0.97, 0.98, 0.99], np.linspace(0.0, 0.5, 50)])
    sl = np.array(["harga/bbm"] * 100 + ["other"] * 50)
    th = choose_style_threshold(p, sl)
    assert th == np.nextafter(0.961, 1.0) and (p[sl == "harga/bbm"] >= th).sum() == 3


def test_evaluate_reports_language_id_per_social_set(rows):
    """`narrawatch evaluate` prints the share detected as Indonesian per ordinary set; on the Indonesian posts of
    each Indonesian set it is >= 99% (issue 13). Indonglish is code-mixed and only reported."""
    for ds in ("idsa", "pilpres2019", "rizalespe", "emotion_opinion", "emot", "chromebook_ig"):
        scope = "Indonesian posts" if ds == "chromebook_ig" else "all posts"
        r = rows[f"language:{ds} detected id", scope]
        assert r["n"] > 500 and r["recall"] >= 0.99, r
    assert rows["language:chromebook_ig detected id", "all posts"]["n"] == 618
