"""Floors on the real test splits, using the shipped artifacts (no retraining). Measured at training time:
SmSA test 84.1, NusaX-ind test 87.9, IndoLEM test 81.6, NusaX-eng test 79.2 macro-F1 (see MODEL_CARD.md).
The issue's targets are SmSA >= 80 and NusaX-ind >= 82; the floors sit above them, a little under the measurements."""
import pytest

from classifiers.training import evaluate

FLOORS = {("smsa", "test"): 0.83, ("nusax_ind", "test"): 0.87, ("indolem", "test"): 0.805,
          ("nusax_eng", "test"): 0.77}


@pytest.fixture(scope="module")
def rows(data_dir):
    return {(r["dataset"], r["split"]): r for r in evaluate(data_dir)}


@pytest.mark.parametrize("key", list(FLOORS))
def test_floor(rows, key):
    assert rows[key]["macro_f1"] >= FLOORS[key], rows[key]


def test_tests_are_deduplicated(rows):
    assert rows["nusax_ind", "test"]["n"] == 400  # overlapping SmSA rows were removed from training instead
    assert rows["indolem", "test"]["n"] < rows["indolem", "test"]["n_raw"]
    assert rows["smsa", "test"]["n"] == 500


def test_hoax_style_group_cv_recorded(rows):
    r = rows["hoax-style:tbh2025", "groupkfold5 (recorded)"]
    assert r["n"] > 800 and 0.0 < r["recall"] < 1.0 and r["roc_auc"] > 0.5


@pytest.fixture(scope="module")
def calibration(data_dir):
    """ECE on the test splits of the shipped sentiment models (temperature-scaled) and of the same models at T=1,
    i.e. uncalibrated (logits x T: the fitted temperature is folded into the shipped weights). One temperature per
    language, fitted on that language's pooled valid splits (id: reviews, IndoLEM and the IDSA / Indonglish tweets),
    so the comparison is on its pooled 3-class test splits; also the temperature that would best fit the shipped
    model's valid logits now (1 when calibrated)."""
    import numpy as np
    from scipy.special import log_softmax, softmax

    from classifiers import DEFAULT_MODEL_DIR
    from classifiers.data import dedup_against, loose_key, sentiment_split, social_split
    from classifiers.sentiment import SentimentModel
    from classifiers.training import (_fit_temperature, expected_calibration_error, sentiment_training_sets,
                                      sentiment_valid_sets)

    sm = SentimentModel.load(DEFAULT_MODEL_DIR)
    train_keys = {lang: {loose_key(t) for s in splits for t in s.texts}
                  for lang, splits in sentiment_training_sets(data_dir).items()}

    def test_split(ds, lang):
        if ds in ("idsa", "indonglish"):  # social sets in training: their own held-out test split
            return social_split(data_dir, ds, "test")
        return dedup_against(sentiment_split(data_dir, ds, "test"), train_keys[lang])

    out = {}
    for lang, valid, test_sets in (("id", sentiment_valid_sets(data_dir), ("smsa", "nusax_ind", "idsa", "indonglish")),
                                   ("en", [sentiment_split(data_dir, "nusax_eng", "valid")], ("nusax_eng",))):
        temp, classes = sm.models[lang].meta["temperature"], sm.classes(lang)
        logp = np.log(sm.predict_proba([t for s in valid for t in s.texts], lang))
        refit = _fit_temperature(logp, np.array([classes.index(label) for s in valid for label in s.labels]))
        pooled = {"cal": [], "t1": [], "correct": []}
        for ds in test_sets:
            s = test_split(ds, lang)
            probs = sm.predict_proba(s.texts, lang)
            correct = np.array(classes)[probs.argmax(1)] == np.asarray(s.labels)
            out[ds] = expected_calibration_error(probs, correct)
            pooled["cal"].append(probs)
            pooled["t1"].append(softmax(log_softmax(np.log(probs), axis=1) * temp, axis=1))  # same argmax
            pooled["correct"].append(correct)
        correct = np.concatenate(pooled["correct"])
        out[lang] = {"temperature": temp, "refit_temperature": refit,
                     "ece": expected_calibration_error(np.vstack(pooled["cal"]), correct),
                     "ece_t1": expected_calibration_error(np.vstack(pooled["t1"]), correct)}
    return out


@pytest.mark.parametrize("ds", ["smsa", "nusax_ind", "idsa", "indonglish", "nusax_eng"])
def test_probabilities_are_calibrated(calibration, ds):
    # measured ECE on test: SmSA 0.077, NusaX-ind 0.076, IDSA 0.061, Indonglish 0.053, NusaX-eng 0.043 (one
    # temperature per language fitted on valid; the reviews alone were at 0.044 / 0.049 with a review-only one, and
    # the tweets are at 0.161 / 0.143 uncalibrated: one temperature serves the posts the product reads)
    assert calibration[ds] <= 0.10, calibration[ds]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_calibration_beats_the_uncalibrated_model(calibration, lang):
    # measured on the pooled test splits: id (SmSA + NusaX-ind + IDSA + Indonglish) ECE 0.022 vs 0.108 at T=1; en
    # (NusaX-eng) 0.043 vs 0.045. With calibration removed from training (T=1) both sides are the same model and
    # this fails.
    r = calibration[lang]
    assert r["ece"] < r["ece_t1"], r


@pytest.mark.parametrize("lang", ["id", "en"])
def test_shipped_weights_carry_the_fitted_temperature(calibration, lang):
    # refitting on the valid splits finds nothing left to correct (T=1) only if the temperature recorded in the
    # artifact really is folded into its weights: catches weights saved without it
    assert calibration[lang]["refit_temperature"] == pytest.approx(1.0, abs=0.03), calibration[lang]


def test_ece_definition():
    import numpy as np

    from classifiers.training import expected_calibration_error

    probs = np.array([[0.9, 0.1]] * 10)
    assert expected_calibration_error(probs, np.array([True] * 9 + [False])) == pytest.approx(0.0)
    assert expected_calibration_error(probs, np.array([True] * 5 + [False] * 5)) == pytest.approx(0.4)


