"""Adaptation from analyst corrections (classifiers/adapt.py, `narrawatch adapt`).

- the gain: corrections on the political set (never in the shipped model's training) raise macro-F1 on the rest of it
  (a smaller run of bench/bench_adapt.py; needs shared/data, skipped without unless NW_REQUIRE_DATA=1);
- versions: save / activate / rollback move only the `current` pointer; a head fitted on another base is ignored;
- the chain step applies a workspace's head to that workspace's posts only;
- the command: corrections in corrections.db -> before/after on held-out corrections -> activated -> rollback.
"""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from classifiers import adapt
from core.domain import Post


@pytest.fixture(scope="module")
def model():
    return adapt.load_base()


@pytest.fixture(scope="module")
def pilpres(data_dir):
    from bench.bench_adapt import load_rows

    return load_rows(data_dir)


def test_corrections_on_an_unseen_domain_raise_macro_f1(model, pilpres):
    """200 corrections, one prior strength (the bench runs 300 with the inner CV): a clear gain on 500 others."""
    from bench.bench_adapt import run

    adapt_grid = adapt.LAMBDAS
    try:
        adapt.LAMBDAS = (0.1,)
        r = run(model, pilpres[:700], 200, seed=1)
    finally:
        adapt.LAMBDAS = adapt_grid
    assert r["heldout"] >= 450
    assert r["gain"] >= 5.0, r


def _head(model, lang: str, push: str) -> adapt.HeadDelta:
    """A head that shifts every post towards class ``push`` (intercept only)."""
    coef, intercept, classes = adapt.base_head(model, lang)
    b = np.array(intercept, dtype=np.float64)
    b[classes.index(push)] += 50.0
    return adapt.HeadDelta(lang, classes, np.zeros(0, np.int64), np.zeros((len(classes), 0)), b,
                           adapt.base_fingerprint(model, lang))


def test_versions_activate_and_rollback(tmp_path, model):
    reg = adapt.HeadRegistry(tmp_path)
    assert reg.load("kemkes") == {}
    v1 = reg.save("kemkes", {"id": _head(model, "id", "positive")}, {"n_train": 1})
    reg.activate("kemkes", v1)
    v2 = reg.save("kemkes", {"id": _head(model, "id", "negative")}, {"n_train": 2})
    reg.activate("kemkes", v2)
    assert (v1, v2) == ("v0001", "v0002") and reg.current("kemkes") == v2
    head = reg.load("kemkes")["id"]
    assert head.intercept.argmax() == head.classes.index("negative")
    assert reg.rollback("kemkes") == v1
    head = reg.load("kemkes")["id"]  # the cache follows the pointer
    assert head.intercept.argmax() == head.classes.index("positive")
    assert reg.rollback("kemkes") is None and reg.load("kemkes") == {}  # back to the shipped model
    assert reg.versions("kemkes") == [v1, v2]  # rolled-back artifacts are kept
    with pytest.raises(ValueError):
        reg.rollback("kemkes")
    with pytest.raises(ValueError):
        reg.save("../etc", {}, {})


def _post(n: int, text: str, campaigns: list[str]) -> Post:
    from datetime import datetime, timezone

    return Post(source="t", native_id=str(n), text=text, lang="id", campaigns=campaigns,
                created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_chain_step_applies_the_workspace_head_only_to_that_workspace(tmp_path, model):
    reg = adapt.HeadRegistry(tmp_path)
    reg.activate("kemkes", reg.save("kemkes", {"id": _head(model, "id", "positive")}, {}))
    ws = {"vaksin": "kemkes", "asean": "kemlu"}
    step = adapt.WorkspaceSentiment(model, reg, lambda p: ({ws[c] for c in p.campaigns} or {None}).pop()
                                    if len({ws[c] for c in p.campaigns}) <= 1 else None)
    bad = "pelayanan buruk sekali, saya kecewa dan marah"
    posts = [_post(1, bad, ["vaksin"]), _post(2, bad, ["asean"]), _post(3, bad, ["vaksin", "asean"])]
    for p in posts:
        p.classification.sentiment = "negative"
    step.classify(posts)
    assert [p.classification.sentiment for p in posts] == ["positive", "negative", "negative"]


def test_a_head_fitted_on_another_base_model_is_ignored(tmp_path, model):
    reg = adapt.HeadRegistry(tmp_path)
    stale = _head(model, "id", "positive")
    stale.base = "0" * 20
    reg.activate("kemkes", reg.save("kemkes", {"id": stale}, {}))
    step = adapt.WorkspaceSentiment(model, reg, lambda p: "kemkes")
    posts = [_post(1, "pelayanan buruk sekali, saya kecewa", ["vaksin"])]
    posts[0].classification.sentiment = "negative"
    assert step.classify(posts)[0].classification.sentiment == "negative"


def test_adapt_command_scores_held_out_corrections_activates_and_rolls_back(tmp_path, monkeypatch, pilpres):
    from service.classify import adapted_dir
    from service.cli import app
    from service.config import Settings
    from service.corrections import Correction, CorrectionStore

    monkeypatch.setenv("NW_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(adapt, "LAMBDAS", (0.1,))
    store = CorrectionStore.for_settings(Settings())
    for r in pilpres[:400]:
        store.add(Correction(post_id=r.post_id, workspace="tim-pemilu", text=r.text, lang="id", sentiment=r.label))
    store.add(Correction(post_id="other", workspace="kemkes", text="x", lang="id", sentiment="positive"))
    runner = CliRunner()
    res = runner.invoke(app, ["adapt", "--workspace", "tim-pemilu", "--min-corrections", "100"])
    assert res.exit_code == 0, res.output
    reg = adapt.HeadRegistry(adapted_dir(Settings()))
    meta = reg.meta("tim-pemilu", "v0001")
    assert meta["n_train"] + meta["n_heldout"] <= 400 and meta["n_heldout"] >= 30
    f1 = meta["heldout_macro_f1"]
    assert f1["after"] > f1["before"] == f1["base"], f1
    assert reg.current("tim-pemilu") == "v0001" and "activated" in res.output
    assert reg.current("kemkes") is None  # another workspace's corrections did not trigger or join anything
    res = runner.invoke(app, ["adapt", "--workspace", "tim-pemilu", "--rollback"])
    assert res.exit_code == 0 and reg.current("tim-pemilu") is None, res.output
    res = runner.invoke(app, ["adapt", "--workspace", "kemkes"])
    assert res.exit_code == 1 and "min-corrections" in res.output


def _style_rows():
    """A workspace whose ordinary posts are all-caps headlines (the shipped style model flags them at p = 1.0 for
    the capitals alone) beside real chain-message hoaxes: analysts mark the former not hoax, the latter hoax."""
    import random

    rng = random.Random(0)
    places = ["PUSKESMAS KECAMATAN", "DINAS KESEHATAN KOTA", "RSUD PROVINSI", "POSYANDU DESA", "KEMENKES"]
    events = ["BUKA LAYANAN IMUNISASI", "GELAR PEMERIKSAAN GRATIS", "TAMBAH JAM PELAYANAN", "RESMIKAN RUANG BARU",
              "UMUMKAN JADWAL SABTU"]
    days = ["SENIN", "SELASA", "RABU", "KAMIS", "JUMAT", "PEKAN DEPAN"]
    hoax = ["sebarkan sebelum dihapus, media tidak memberitakan ini", "viralkan! info dari grup sebelah, ini nyata",
            "bagikan ke semua keluarga, terbongkar rahasia yang ditutup-tutupi", "awas!! kabarnya dirahasiakan, share"]
    rows = []
    for i in range(120):
        if i % 3:
            text = f"{rng.choice(places)} {rng.choice(events)} HARI {rng.choice(days)} NOMOR {i}"
            rows.append(adapt.Row(f"caps-{i}", text, "id", "not_hoax"))
        else:
            rows.append(adapt.Row(f"hoax-{i}", f"{rng.choice(hoax)} tentang program {i}", "id", "hoax"))
    return rows


def test_hoax_style_head_adapts_per_workspace_and_rolls_back(tmp_path):
    """The hoax-style head learns a workspace's corrections the sentiment way (adapt.adapt, versions, rollback) and
    the hoax step uses it for that workspace's posts only (service.corrections.HoaxFeedback)."""
    from classifiers import DEFAULT_MODEL_DIR
    from classifiers.hoax import HoaxClassifier
    from classifiers.style import StyleModel
    from service.corrections import CorrectionStore, HoaxFeedback

    style = StyleModel.load(DEFAULT_MODEL_DIR)
    reg = adapt.HeadRegistry(tmp_path / "models", kind="hoax")
    rep = adapt.adapt(style, reg, "kemkes", _style_rows(), min_corrections=50)
    assert rep.activated and rep.after > rep.before == rep.base, rep
    assert (tmp_path / "models" / "kemkes" / "hoax" / rep.version / "hoax_all.npz").is_file()
    hoax = HoaxClassifier(style)
    ws = {"vaksin": "kemkes", "asean": "kemlu"}
    hoax.feedback = HoaxFeedback(CorrectionStore(tmp_path / "c.db"), lambda p: ws.get(p.campaigns[0]), reg)
    caps = "PUSKESMAS KELURAHAN BUKA LAYANAN IMUNISASI HARI MINGGU UNTUK WARGA"
    chain_msg = "sebarkan sebelum dihapus!! media tidak memberitakan, info dari grup sebelah"

    def flags():
        return [p.classification.hoax for p in hoax.classify(
            [_post(1, caps, ["vaksin"]), _post(2, caps, ["asean"]), _post(3, chain_msg, ["vaksin"])])]

    assert flags() == [False, True, True]  # kemkes' head; kemlu keeps the shipped style model
    assert reg.rollback("kemkes") is None
    assert flags() == [True, True, True]  # rolled back: the shipped model again, the artifacts kept
    assert reg.versions("kemkes") == [rep.version]
