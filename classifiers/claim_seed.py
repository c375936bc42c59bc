"""Build the seed database of debunked claims (``claims_seed.json.gz``) and calibrate its match scorer.

    python -m classifiers.claim_seed [--data ../shared/data] [--out classifiers/models]

Claims: TurnBackHoax 2025-26 (title + the claim quoted in the conclusion, URL, verdict, date), TurnBackHoax 2024 and
Komdigi clarifications (classifiers/data.factcheck_claims). A 2024 or Komdigi item whose title says the same as a
2025-26 title (word TF-IDF cosine >= DUP_TITLE_COSINE) is the same claim debunked twice: the 2025-26 record (URL,
date, verdict) is kept, the other dropped, so one claim is one record.

Scorer (classifiers/claims.MatchScorer): the TurnBackHoax 2025-26 posts (narasi with the checker's framing
stripped) are split by claim id into a validation half (fits the scorer and is the only half looked at while
choosing) and a test half (reported by ``narrawatch evaluate``, de-duplicated against the validation texts). The
logistic regression sees every (post, candidate claim) pair of the validation posts (the own claim is positive) and
the candidate pairs of ordinary posts (negative): IDSA and Indonglish (the licence-allowed social sets) and a sample
of unlabelled Pemilu-2024 tweets. The threshold is the smallest at which at most 1% of those ordinary posts match
anything. The held-out social sets are only scored by ``evaluate``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import zlib
from pathlib import Path

import numpy as np

CLAIM_MAX_FALSE_MATCH = 0.01  # at most 1% of ordinary posts may match any debunked claim
# A 2024 / Komdigi title this close to a 2025-26 title restates it ("presiden prabowo copot ahy dari jabatan menko
# ipk" / "prabowo bebastugaskan ahy dari jabatan menko ipk"). 0.9 kept most restatements, and a post then matched
# the older copy instead of its own claim (52 of the 79 wrong top matches of the validation half were Komdigi
# copies). Read on samples of the dropped pairs: 12 of 12 in [0.7, 0.8) are one claim, 3 of 12 in [0.6, 0.7) are two
# (another bank, another official), so 0.7: 373 dropped instead of 199, validation recall@1 53.4% -> 57.5% at the same
# false-match rate of the calibration posts.
DUP_TITLE_COSINE = 0.7
SEED_LICENCES = {
    "turnbackhoax.id": "TurnBackHoax (Mafindo) 2025-26 scrape, luthfillawliet23/turnbackhoax_scraper: no licence "
                       "file, 'academic research use'; only title, quoted claim, verdict, date and URL are kept",
    "turnbackhoax.id (2024)": "TurnBackHoax 2024, alharkan7/turnbackhoax-analysis: no licence stated; title and "
                              "claim text only",
    "komdigi.go.id": "Komdigi/Kominfo hoax clarifications, rendiekan/komdigihoaks: no licence stated; "
                     "cleaned title only",
}


def tbh_split(claim_id: str) -> str:
    """'valid' or 'test' for a TurnBackHoax 2025-26 claim id (a fixed hash: every post of a claim on one side)."""
    return "valid" if zlib.crc32(str(claim_id).encode()) % 2 == 0 else "test"


def tbh_posts(data_dir: Path, split: str):
    """The TurnBackHoax 2025-26 posts of one half; the test half without texts that repeat (loosely) each other or
    a validation text."""
    from .data import factcheck_posts, loose_key

    fp = factcheck_posts(data_dir)
    fp = fp[fp.source == "tbh2025"].assign(key=lambda d: d.text.map(loose_key))
    half = fp.claim_id.map(tbh_split)
    if split == "valid":
        return fp[half == "valid"].reset_index(drop=True)
    banned = set(fp[half == "valid"].key)
    test = fp[(half == "test") & ~fp.key.isin(banned)]
    return test.drop_duplicates("key").reset_index(drop=True)


def dedup_claims(claims: list[dict]) -> tuple[list[dict], int]:
    """Drop the 2024 / Komdigi items whose title repeats a 2025-26 title (the same claim, debunked twice)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    recent = [c for c in claims if c["source"] == "turnbackhoax.id"]
    older = [c for c in claims if c["source"] != "turnbackhoax.id"]
    vec = TfidfVectorizer(token_pattern=r"\w+").fit([c["title"].lower() for c in claims])
    sims = vec.transform([c["title"].lower() for c in older]) @ vec.transform([c["title"].lower() for c in recent]).T
    best = np.asarray(sims.max(axis=1).todense()).ravel() if sims.shape[1] else np.zeros(len(older))
    kept = [c for c, b in zip(older, best) if b < DUP_TITLE_COSINE]
    return recent + kept, len(older) - len(kept)


def fit_scorer(index, valid_posts, benign: dict[str, list[str]], log=print):
    """(MatchScorer, per-source matched share at its threshold, validation recall@1) from the validation posts and
    ordinary posts."""
    from sklearn.linear_model import LogisticRegression

    from .claims import MatchScorer
    from .normalise import normalise_many

    norms = normalise_many(valid_posts.text.tolist())
    r, c, X = index.pair_features(norms)
    own = np.array([index._ids.index(cid) if cid in index.claims else -1 for cid in valid_posts.claim_id])
    y = (c == own[r]).astype(int)
    neg = {name: index.pair_features(normalise_many(texts)) for name, texts in benign.items()}
    Xn = np.vstack([X] + [v[2] for v in neg.values()])
    yn = np.concatenate([y] + [np.zeros(len(v[2]), int) for v in neg.values()])
    clf = LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000).fit(Xn, yn)
    scorer = MatchScorer(tuple(clf.coef_[0]), float(clf.intercept_[0]), 0.0)
    bests = {}
    for name, (rb, _, Xb) in neg.items():
        bests[name] = np.full(len(benign[name]), -np.inf)
        np.maximum.at(bests[name], rb, scorer.decision(Xb))
    # <= 1% of all the calibration posts may match anything. Per source it would be set by the Pemilu-2024 pool
    # alone (candidate tweets share names and slogans with the 2024 election debunks, and some may be the hoaxes
    # themselves): that threshold halved the validation recall for 0.0% instead of 0.2% held-out false matches.
    th = float(np.ceil(np.quantile(np.concatenate(list(bests.values())), 1 - CLAIM_MAX_FALSE_MATCH) * 1000) / 1000)
    ths = {name: round(float((b >= th).mean()), 4) for name, b in bests.items()}
    scorer = MatchScorer(scorer.coef, scorer.intercept, th)
    d = scorer.decision(X)
    top = np.full(len(norms), -1)
    best = np.full(len(norms), -np.inf)
    for k in np.argsort(d):  # ascending: the last write per post is its best pair
        best[r[k]], top[r[k]] = d[k], c[k]
    recall = float(np.mean((top == own) & (best >= th)))
    log(f"  claim scorer: threshold {th:.3f}, validation recall@1 {recall:.3f} ({len(norms)} posts)")
    return scorer, ths, recall


def build_claim_seed(data_dir: Path, out_dir: Path, log=print) -> dict:
    """Write ``claims_seed.json.gz`` (gzip'd JSON, no pickle) with the pre-normalised index text and the scorer."""
    from .claims import SCORER_NAME, SEED_NAME, ClaimIndex, index_text
    from .data import SOCIAL_TRAIN_SETS, benign_posts, factcheck_claims, pemilu2024_pool
    from .normalise import normalise_many
    from .training import MODEL_VERSION

    claims, dropped = dedup_claims(factcheck_claims(data_dir))
    norms = normalise_many([index_text(c["title"], c["text"]) for c in claims])
    claims = [{**c, "norm": n} for c, n in zip(claims, norms) if n]
    idx = ClaimIndex.from_claims(claims)
    ben = benign_posts(data_dir)
    calib = {ds: ben[ben.source == ds].text.tolist() for ds in SOCIAL_TRAIN_SETS}
    calib["pemilu2024 pool"] = pemilu2024_pool(data_dir)
    scorer, ths, recall = fit_scorer(idx, tbh_posts(data_dir, "valid"), calib, log)
    meta = {"version": MODEL_VERSION, "n": len(claims), "scorer": scorer.to_json(),
            "duplicates_dropped": dropped, "valid_recall_at_1": round(recall, 4),
            "threshold_rule": f"<= {CLAIM_MAX_FALSE_MATCH:.0%} of the ordinary posts of "
                              f"{', '.join(f'{k} ({len(v)})' for k, v in calib.items())} match any claim",
            "matched_per_source": ths,
            "sources": {src: {"n": sum(c["source"] == src for c in claims), "licence": lic}
                        for src, lic in SEED_LICENCES.items()}}
    with gzip.open(Path(out_dir) / SEED_NAME, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump({"meta": meta, "claims": claims}, f, ensure_ascii=False, separators=(",", ":"))
    (Path(out_dir) / SCORER_NAME).write_text(json.dumps(meta["scorer"], indent=1) + "\n", encoding="utf-8")
    log(f"  claim seed: {len(claims)} claims ({dropped} cross-checker duplicates dropped)")
    return meta


def main(argv: list[str] | None = None) -> int:
    from .data import find_data_dir
    from .training import DEFAULT_MODEL_DIR

    ap = argparse.ArgumentParser(prog="python -m classifiers.claim_seed")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    a = ap.parse_args(argv)
    build_claim_seed(a.data or find_data_dir(), a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
