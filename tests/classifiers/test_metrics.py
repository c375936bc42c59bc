"""Floors on the real test splits, using the shipped artifacts (no retraining). Measured at training time:
SmSA test 82.0, NusaX-ind test 87.8, IndoLEM test 82.6, NusaX-eng test 79.2 macro-F1 (see MODEL_CARD.md).
The issue's targets are SmSA >= 80 and NusaX-ind >= 82; the floors sit above them, a little under the measurements."""
import pytest

from classifiers.training import evaluate

FLOORS = {("smsa", "test"): 0.815, ("nusax_ind", "test"): 0.865, ("indolem", "test"): 0.81,
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


@pytest.mark.parametrize("ds", ["smsa", "nusax_ind", "nusax_eng"])
def test_probabilities_are_calibrated(rows, ds):
    # measured ECE on test: SmSA 0.044, NusaX-ind 0.049, NusaX-eng 0.043 (temperature fitted on valid)
    assert rows[ds, "test"]["ece"] <= 0.08, rows[ds, "test"]


def test_ece_definition():
    import numpy as np

    from classifiers.training import expected_calibration_error

    probs = np.array([[0.9, 0.1]] * 10)
    assert expected_calibration_error(probs, np.array([True] * 9 + [False])) == pytest.approx(0.0)
    assert expected_calibration_error(probs, np.array([True] * 5 + [False] * 5)) == pytest.approx(0.4)


