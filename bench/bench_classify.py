"""Throughput of the full classify step (language, normalise, sentiment, hoax style + claims against the shipped seed database, entities) in posts/second,
and its ratio against a bare word TF-IDF + LogisticRegression predict on the same texts in the same run.

    .venv/bin/python bench/bench_classify.py [--n 4000] [--batch 500] [--repeat 3]

Both timings are repeated ``--repeat`` times, interleaved (full, bare, full, bare...) on fresh Post objects, and
the median of each is reported, so a burst of load from other jobs on the box hits both sides alike.

Two reference lines bound what the ratio can reach with these components: the language identifier alone (fastText
lid.176, as the issue suggests) and the Indonesian sentiment model alone as a plain scikit-learn Pipeline (word + char
TF-IDF + lexicon, what the macro-F1 target needs), each against the same bare predict.

Texts: IndoLEM tweets + SmSA test + NusaX-eng test from shared/data when found (NW_DATA_ROOT or walking up),
else synthetic Indonesian posts.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import classifiers  # noqa: E402
from bench import system  # noqa: E402
from classifiers.data import find_data_dir, sentiment_split  # noqa: E402
from core.domain import Post  # noqa: E402


def load_texts(n: int) -> tuple[list[str], str]:
    d = find_data_dir()
    if d is not None:
        texts = []
        for ds, sp in (("indolem", "train"), ("smsa", "test"), ("nusax_eng", "test"), ("indolem", "test")):
            texts += sentiment_split(d, ds, sp).texts
        random.Random(0).shuffle(texts)
        return (texts * (n // len(texts) + 1))[:n], f"shared/data ({d})"
    words = "pemerintah vaksin presiden harga naik warga jakarta kpu pemilu hoaks bagus jelek tidak yang banget".split()
    rng = random.Random(0)
    return [" ".join(rng.choice(words) for _ in range(rng.randint(8, 40))) for _ in range(n)], "synthetic"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    texts, origin = load_texts(a.n)
    # the claim index as shipped: the seed database of debunked claims that `narrawatch init` loads
    from classifiers.claims import load_seed

    claims = load_seed()["claims"]

    t0 = time.perf_counter()
    chain = classifiers.load_default(claims=claims)
    load_s = time.perf_counter() - t0
    now = datetime.now(timezone.utc)

    def posts() -> list[Post]:
        return [Post(source="bench", native_id=str(i), text=t, created_at=now) for i, t in enumerate(texts)]

    warm = posts()[:50]
    t1 = time.perf_counter()
    chain.classify(warm)  # first call builds the claim index
    first_s = time.perf_counter() - t1

    # baseline: bare word TF-IDF + LR, fitted on the same texts (pseudo labels), timed on predict only
    y = np.arange(len(texts)) % 3
    base = TfidfVectorizer().fit(texts)
    lr = LogisticRegression(max_iter=200).fit(base.transform(texts), y)

    # wall time, and this process's CPU time (posts per CPU-second: what other jobs on a shared box slow down least)
    full_runs, base_runs, full_cpu, base_cpu = [], [], [], []
    for _ in range(a.repeat):
        ps = posts()
        t2, c2 = time.perf_counter(), time.process_time()
        for i in range(0, len(ps), a.batch):
            chain.classify(ps[i:i + a.batch])
        full_runs.append(time.perf_counter() - t2)
        full_cpu.append(time.process_time() - c2)
        t3, c3 = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), a.batch):
            lr.predict(base.transform(texts[i:i + a.batch]))
        base_runs.append(time.perf_counter() - t3)
        base_cpu.append(time.process_time() - c3)
    full_s, base_s = float(np.median(full_runs)), float(np.median(base_runs))
    full_cpu_rate, base_cpu_rate = len(texts) / float(np.median(full_cpu)), len(texts) / float(np.median(base_cpu))

    # reference: single components, each timed like the bare predict (median of --repeat)
    from classifiers.language import detect_languages
    from classifiers.linear import LinearTextModel
    from classifiers.training import prep

    sent = LinearTextModel.load(classifiers.DEFAULT_MODEL_DIR, "sentiment_id")
    prepped = prep(texts)

    def timed(fn) -> float:
        runs = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            for i in range(0, len(texts), a.batch):
                fn(i)
            runs.append(time.perf_counter() - t)
        return float(np.median(runs))

    lid_s = timed(lambda i: detect_languages(texts[i:i + a.batch]))
    sk_s = timed(lambda i: sent.predict_proba(prepped[i:i + a.batch]))

    # per-step breakdown on one more pass, batch by batch as the chain runs (a step-by-step pass over all batches
    # would re-analyse each batch for the claim matcher: the normaliser caches only the batch in hand)
    steps: dict[str, float] = {}
    ps = posts()
    for i in range(0, len(ps), a.batch):
        batch = ps[i:i + a.batch]
        for step in chain.steps:
            t = time.perf_counter()
            batch = step.classify(batch)
            steps[type(step).__name__] = steps.get(type(step).__name__, 0.0) + time.perf_counter() - t

    full_rate, base_rate = len(texts) / full_s, len(texts) / base_s
    print(f"texts: {len(texts)} from {origin}; batch {a.batch}; claims in index: {len(claims)}")
    print(f"load_default: {load_s:.2f} s; first classify (50 posts, builds the claim index): {first_s:.2f} s")
    print(f"repeats: {a.repeat} (median); full runs (s): {', '.join(f'{x:.3f}' for x in full_runs)}; "
          f"bare runs (s): {', '.join(f'{x:.3f}' for x in base_runs)}")
    print(f"full classify:              {full_rate:10.0f} posts/s/core (one process)")
    print(f"bare word TF-IDF+LR predict:{base_rate:10.0f} posts/s")
    print(f"ratio full/bare:            {full_rate / base_rate * 100:9.1f} %")
    print(f"CPU time: full {full_cpu_rate:.0f} posts/s/core, bare {base_cpu_rate:.0f} posts/s/core, ratio "
          f"{full_cpu_rate / base_cpu_rate * 100:.1f} %")
    print("per step (s): " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
    refs = {}
    for label, secs in (("language id alone (fastText lid.176)", lid_s),
                        ("sentiment_id alone, scikit-learn Pipeline", sk_s)):
        rate = refs[label] = len(texts) / secs
        print(f"reference: {label}: {rate:10.0f} posts/s = {rate / base_rate * 100:.1f} % of bare")
    system.write_result("classify", {
        "texts": len(texts), "origin": origin, "batch": a.batch, "repeat": a.repeat, "full_posts_s": full_rate,
        "bare_posts_s": base_rate, "ratio": full_rate / base_rate, "full_runs_s": full_runs, "bare_runs_s": base_runs,
        "full_cpu_posts_s": full_cpu_rate, "bare_cpu_posts_s": base_cpu_rate, "cpu_ratio": full_cpu_rate / base_cpu_rate,
        "full_cpu_runs_s": full_cpu, "bare_cpu_runs_s": base_cpu,
        "step_seconds": steps, "references_posts_s": refs, "load_s": load_s, "first_batch_s": first_s})


if __name__ == "__main__":
    main()
