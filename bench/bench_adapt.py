"""Does adaptation from analyst corrections help on a domain the shipped model never saw?

    .venv/bin/python -m bench.bench_adapt [--corrections 300] [--seeds 0 1 2] [--out bench/published/adapt.json]

Scenario: a workspace monitors the 2019 presidential race. The shipped sentiment model was trained on reviews and
general tweets (SmSA, NusaX-ind, IndoLEM, IDSA, Indonglish); the political set ``pilpres2019_tweets_sentiment`` is
evaluation-only for the SHIPPED models (no licence stated, see its SOURCE.md). Analysts correct ``--corrections`` of
its tweets; ``classifiers.adapt.fit_heads`` (what `narrawatch adapt` runs) fits the workspace head; macro-F1 is
measured on every other tweet of the set (loosely de-duplicated against the corrections) before and after. The adapted
head is a per-workspace artifact under $NW_DATA_DIR, never shipped, which is the realistic use of analysts' labels on
this data.
Each seed draws a different sample of corrections; the mean gain is the published figure.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from classifiers.adapt import Row, base_head, fit_heads, load_base, macro_f1, predict  # noqa: E402
from classifiers.data import find_data_dir, loose_key  # noqa: E402

DATASET = "pilpres2019_tweets_sentiment"


def load_rows(data_dir: Path) -> list[Row]:
    df = pd.read_csv(data_dir / DATASET / "pilpres2019_sentiment.csv")
    df = df[df["dup_of"].isna()]
    rows, seen = [], set()
    for r in df.itertuples():
        key = loose_key(str(r.text))
        if key in seen:
            continue
        seen.add(key)
        rows.append(Row(post_id=f"pilpres-{r.id}", text=str(r.text), lang="id", label=str(r.label)))
    return rows


def run(model, rows: list[Row], n_corrections: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    train = [rows[i] for i in order[:n_corrections]]
    banned = {loose_key(r.text) for r in train}
    test = [rows[i] for i in order[n_corrections:] if loose_key(rows[i].text) not in banned]
    classes = base_head(model, "id")[2]
    y = np.array([classes.index(r.label) for r in test])
    t0 = time.perf_counter()
    heads, lambdas = fit_heads(model, train, seed=seed)
    fit_s = time.perf_counter() - t0
    before = macro_f1(y, predict(model, {}, test), len(classes))
    after = macro_f1(y, predict(model, heads, test), len(classes))
    return {"seed": seed, "corrections": len(train), "heldout": len(test), "before": round(before, 2),
            "after": round(after, 2), "gain": round(after - before, 2), "lambda": lambdas["id"]["chosen"],
            "fit_seconds": round(fit_s, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--corrections", type=int, default=300)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("published") / "adapt.json")
    a = ap.parse_args(argv)
    data = a.data or find_data_dir()
    if data is None:
        print("shared/data not found (set NW_DATA_ROOT)", file=sys.stderr)
        return 2
    model = load_base()
    rows = load_rows(data)
    runs = []
    for seed in a.seeds:
        r = run(model, rows, a.corrections, seed)
        runs.append(r)
        print(f"seed {seed}: {r['corrections']} corrections, {r['heldout']} held out: macro-F1 "
              f"{r['before']:.1f} -> {r['after']:.1f} ({r['gain']:+.1f}), lambda {r['lambda']}, {r['fit_seconds']} s")
    gains = [r["gain"] for r in runs]
    result = {"benchmark": "bench/bench_adapt.py", "dataset": DATASET, "rows_deduplicated": len(rows),
              "corrections": a.corrections, "metric": "macro-F1 (3-class) on the rest of the set, de-duplicated",
              "before_mean": round(float(np.mean([r["before"] for r in runs])), 2),
              "after_mean": round(float(np.mean([r["after"] for r in runs])), 2),
              "gain_mean": round(float(np.mean(gains)), 2), "gain_min": round(float(np.min(gains)), 2),
              "runs": runs, "target_gain": 5.0}
    print(f"mean: {result['before_mean']:.1f} -> {result['after_mean']:.1f} ({result['gain_mean']:+.1f}; "
          f"min {result['gain_min']:+.1f}) over {len(runs)} samples of {a.corrections} corrections")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
