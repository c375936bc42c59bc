"""Keyword-rule matching throughput: the indexed matcher vs the naive reference, same rules, same posts, same run.

Posts are real texts (bench/corpus.py) with generated platform, campaign, language, sentiment and hoax flags.
Rules (default 1,000) are built from those texts the way a PR team writes them: 1-3 word phrases (content words,
as they appear in the posts; no one-word phrase among the 300 most frequent words), 1-4 `any` phrases, some `all`
and `none` phrases, some campaign / platform / language / sentiment / hoax filters. Both matchers are warmed, then
timed in interleaved repeats (indexed, reference, indexed, ...) so load from other processes on a shared machine
hits both alike; the per-repeat ratio is reported with the rates. Rates are per core: the matcher is
single-threaded, and both wall-clock and process CPU time are reported (CPU time is what one core spends,
whatever else the machine runs). Their outputs are compared.

    .venv/bin/python -m bench.bench_matcher [--rules 1000] [--posts 20000] [--reference-posts 1000] [--repeats 5]
                                            [--publish]   # also write bench/published/matcher.json (README figure)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
from collections import Counter
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import generate  # noqa: E402
from service.alerts.matcher import RuleMatcher  # noqa: E402
from service.alerts.rules import Rule, RuleQuery  # noqa: E402
from service.alerts.text import content_tokens  # noqa: E402
from core.domain import Classification, Post  # noqa: E402
from bench.reference_matcher import ReferenceMatcher  # noqa: E402

CAMPAIGNS = ["asean", "g20", "pemilu", "vaksin", "bbm"]
PLATFORMS = ["telegram", "mastodon", "bluesky", "youtube", "rss", "twitter"]


def make_posts(n: int, seed: int = 1) -> list[Post]:
    rng = random.Random(seed)
    posts = list(generate(n, seed=seed))
    for p in posts:
        p.lang = rng.choice(["id", "id", "id", "en"])
        hoax = rng.random() < 0.1
        p.classification = Classification(sentiment=rng.choice(["positive", "neutral", "negative"]), hoax=hoax,
                                          hoax_score=0.9 if hoax else 0.1)
        if rng.random() < 0.2:
            p.title = " ".join(p.text.split()[:8])
    return posts


def make_rules(n: int, posts: list[Post], seed: int = 7) -> list[Rule]:
    rng = random.Random(seed)
    windows = [content_tokens(p.text) for p in rng.sample(posts, min(len(posts), 5000))]
    windows = [w for w in windows if w]
    # a one-word rule on one of the most frequent words ("makanan", "bagus") is not a monitoring rule
    common = {w for w, _ in Counter(w for ws in windows for w in set(ws)).most_common(300)}

    def phrase() -> str:
        while True:
            words = rng.choice(windows)
            k = min(len(words), rng.choice([1, 1, 2, 2, 2, 3]))
            i = rng.randrange(len(words) - k + 1)
            if k > 1 or words[i] not in common:
                return " ".join(words[i:i + k])

    rules = []
    for i in range(n):
        q = RuleQuery(any=[phrase() for _ in range(rng.randint(1, 4))],
                      all=[phrase()] if rng.random() < 0.25 else [],
                      none=[phrase()] if rng.random() < 0.25 else [],
                      platforms=rng.sample(PLATFORMS, 2) if rng.random() < 0.2 else [],
                      langs=["id"] if rng.random() < 0.1 else [],
                      sentiment="negative" if rng.random() < 0.1 else None,
                      hoax=True if rng.random() < 0.05 else None)
        rules.append(Rule(id=f"r{i:04d}", name=f"rule {i}", query=q,
                          campaign=rng.choice(CAMPAIGNS) if rng.random() < 0.3 else None))
    return rules


def timed(matcher, posts: list[Post], batch: int = 500) -> tuple[float, float, int]:
    hits = 0
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(posts), batch):
        hits += sum(len(m) for m in matcher.match(posts[i:i + batch]))
    return time.perf_counter() - w0, time.process_time() - c0, hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--posts", type=int, default=20000)
    ap.add_argument("--reference-posts", type=int, default=1000, help="the naive reference is timed on a prefix")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--publish", action="store_true", help="also write bench/published/matcher.json")
    args = ap.parse_args()

    posts = make_posts(args.posts)
    rules = make_rules(args.rules, posts)
    t0 = time.perf_counter()
    indexed = RuleMatcher(rules)
    build_ms = (time.perf_counter() - t0) * 1000
    reference = ReferenceMatcher(rules)
    sub = posts[:args.reference_posts]

    same = indexed.match(sub) == reference.match(sub)  # also the warm-up of both
    assert same, "indexed matcher and reference disagree"
    timed(indexed, posts[:2000])

    load_before = os.getloadavg()[0]
    runs = []
    for _ in range(args.repeats):
        iw, ic, ihits = timed(indexed, posts)
        rw, rc, _ = timed(reference, sub)
        runs.append({"indexed_wall_pps": len(posts) / iw, "indexed_cpu_pps": len(posts) / ic,
                     "reference_wall_pps": len(sub) / rw, "reference_cpu_pps": len(sub) / rc,
                     "ratio_wall": (len(posts) / iw) / (len(sub) / rw),
                     "ratio_cpu": (len(posts) / ic) / (len(sub) / rc),
                     "indexed_matches": ihits})

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    result = {
        "what": "keyword-rule matching, posts/s on one core (single-threaded), indexed matcher vs naive reference",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(), "load_avg_1min_before_after": [load_before, os.getloadavg()[0]]},
        "rules": len(rules), "posts": len(posts), "reference_posts": len(sub), "repeats": args.repeats,
        "automaton_build_ms": round(build_ms, 1),
        "match_rate": round(runs[0]["indexed_matches"] / len(posts), 3),
        "outputs_equal": same,
        "median": {k: round(med(k), 1 if k.startswith("ratio") else 0) for k in runs[0] if k != "indexed_matches"},
        "runs": [{k: round(v, 2) for k, v in r.items()} for r in runs],
    }
    print(json.dumps(result["median"], indent=2))
    print(f"{len(rules)} rules, {result['match_rate']} matches/post, automaton built in {build_ms:.0f} ms; "
          f"indexed {med('indexed_cpu_pps'):,.0f} posts/s/core (CPU time), {med('indexed_wall_pps'):,.0f} wall; "
          f"reference {med('reference_cpu_pps'):,.0f}; ratio {med('ratio_cpu'):.1f}x")
    out = Path(__file__).parent / "results" / "matcher.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    if args.publish:
        pub = Path(__file__).parent / "published" / "matcher.json"
        pub.parent.mkdir(exist_ok=True)
        pub.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
