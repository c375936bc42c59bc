"""`narrawatch evaluate` on social posts, across topics, at the operating point the product ships.

- sentiment macro-F1 per social set, each scored by a model that never trained on its domain: the licence-allowed
  training sets (IDSA, Indonglish) by leave-one-domain-out models (recorded at training time), the evaluation-only
  sets (Pilpres 2019, rizalespe, emotion-opinion mapped to 3 classes) live by the shipped model;
- hoax false-flag rate of the shipped HoaxClassifier (seed claim index + style model, shipped thresholds) on ordinary
  posts per topic slice (vaksin/covid, pemilu/pilpres, harga/bbm, asean/g20, other), for the held-out sets and
  for all;
- hoax recall of the chain on hoax posts as circulated (TurnBackHoax narasi; their own debunk is in the index) and
  the style model's out-of-fold recall / ROC-AUC with group splits (recorded);
- claim matching: recall@1 of each TurnBackHoax 2025-26 post (narasi with the checker's framing stripped) against
  its own claim among all seed claims (indexed by title + quoted claim, never by the narasi), at the shipped
  scorer threshold, on the de-duplicated test half (the valid half fitted the scorer; shown too, labelled), and the
  false-match rate (any match) on ordinary posts;
- language ID: the share of each ordinary social set detected as Indonesian (`recall`), on all its posts and, where
  some are not Indonesian (data.NOT_INDONESIAN), on its Indonesian posts.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.domain import Post

_CACHE: dict[tuple, list[dict]] = {}


def _posts(texts: list[str], lang: str = "id") -> list[Post]:
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    return [Post(source="eval", native_id=str(i), text=t, lang=lang, created_at=now) for i, t in enumerate(texts)]


def _hoax_chain(model_dir: Path):
    from .claims import ClaimIndex, load_seed, seed_scorer, seed_threshold
    from .hoax import HoaxClassifier
    from .normalise import Normaliser

    index = ClaimIndex.from_claims(load_seed(model_dir)["claims"], seed_scorer(model_dir))
    return HoaxClassifier.load(model_dir, index, Normaliser(), claim_threshold=seed_threshold(model_dir)), index


def social_rows(data_dir: Path, model_dir: Path) -> list[dict]:
    key = (str(data_dir), str(model_dir), *(p.stat().st_mtime for p in sorted(Path(model_dir).glob("*.*"))))
    if key not in _CACHE:
        _CACHE[key] = _social_rows(Path(data_dir), Path(model_dir))
    return _CACHE[key]


def _social_rows(data_dir: Path, model_dir: Path) -> list[dict]:
    from .claim_seed import tbh_posts
    from .data import (SOCIAL_SETS, SOCIAL_TRAIN_SETS, benign_posts, factcheck_posts, social_split, topic_slice)
    from .sentiment import SentimentModel
    from .training import score_sentiment

    rows: list[dict] = []
    manifest = model_dir / "manifest.json"
    man = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
    recorded = man.get("metrics", [])
    trained_on = set(man.get("models", {}).get("sentiment_id", {}).get("train_sets", {}))
    sm = SentimentModel.load(model_dir)
    for ds in SOCIAL_SETS:
        if ds in trained_on:  # across domains: the leave-one-domain-out model recorded at training time
            rows += [{**r, "split": r["split"] + " (recorded)"} for r in recorded if r["dataset"] == f"social:{ds}"]
        s = social_split(data_dir, ds, "test" if ds in trained_on else "all")  # in domain: its held-out test split
        f1, acc = score_sentiment(sm.predict_proba(s.texts, "id"), sm.classes("id"), s.labels)
        rows.append({"dataset": f"social:{ds}", "split": "test, domain in training" if ds in trained_on else
                     "domain not in training", "n": len(s), "macro_f1": f1, "accuracy": acc})

    hoax, index = _hoax_chain(model_dir)
    ben = benign_posts(data_dir)
    posts = hoax.classify(_posts(ben.text.tolist()))
    flagged = np.array([p.classification.hoax for p in posts])
    matched = np.array([p.classification.matched_claim_id is not None for p in posts])
    slices = ben.text.map(topic_slice).to_numpy()
    held = ~ben.source.isin(SOCIAL_TRAIN_SETS).to_numpy()
    for scope, mask in (("held-out sets", held), ("all sets", np.ones(len(ben), bool))):
        for s in ["vaksin/covid", "pemilu/pilpres", "harga/bbm", "asean/g20", "other"]:
            m = mask & (slices == s)
            if m.any():
                rows.append({"dataset": f"hoax:benign {s}", "split": scope, "n": int(m.sum()),
                             "flagged": float(flagged[m].mean())})
        rows.append({"dataset": "claims:false match", "split": scope, "n": int(mask.sum()),
                     "flagged": float(matched[mask].mean())})

    rows += language_rows(ben)

    for half in ("test", "valid"):  # the scorer was fitted and its threshold chosen on the valid half only
        tp = tbh_posts(data_dir, half)
        got = [p.classification.matched_claim_id for p in hoax.classify(_posts(tp.text.tolist()))]
        own = np.array([g == cid for g, cid in zip(got, tp.claim_id)])
        rows.append({"dataset": f"claims:recall@1 tbh2025 {half}", "split": "shipped threshold", "n": len(tp),
                     "recall": float(own.mean())})
    fp = factcheck_posts(data_dir)
    fp = fp[fp.source == "tbh2025"]
    posts = hoax.classify(_posts(fp.text.tolist()))
    rows.append({"dataset": "hoax:chain tbh2025 posts", "split": "shipped threshold", "n": len(fp),
                 "recall": float(np.mean([p.classification.hoax for p in posts]))})
    rows += [{**r, "split": r["split"] + " (recorded)"} for r in recorded if r["dataset"].startswith("hoax-style:")]
    return rows


def language_rows(ben) -> list[dict]:
    """Share detected as Indonesian per ordinary social set (unsure texts fall back to Indonesian, the campaign
    language of these sets, as in the pipeline)."""
    from .language import detect_languages

    is_id = np.array([lang == "id" for lang in detect_languages(ben.text.tolist())])
    rows = []
    for src in sorted(ben.source.unique()):
        m = (ben.source == src).to_numpy()
        scopes = [("all posts", m)]
        if not ben.indonesian[m].all():
            scopes.append(("Indonesian posts", m & ben.indonesian.to_numpy()))
        rows += [{"dataset": f"language:{src} detected id", "split": scope, "n": int(s.sum()),
                  "recall": float(is_id[s].mean())} for scope, s in scopes]
    return rows


# The targets (issue 13), read off the rows above: (what, row selector (row, all rows), metric, "min" or
# "max", goal). A target whose selector finds no row is reported as missing, never as met.
SOCIAL_ACROSS = ("leave-one-domain-out (recorded)", "domain not in training")
TARGETS = (
    ("sentiment across domains: {ds}",
     lambda r, _: r["dataset"].startswith("social:") and r["split"] in SOCIAL_ACROSS, "macro_f1", "min", 0.60),
    ("sentiment SmSA test, no worse than at filing", lambda r, _: r["dataset"] == "smsa" and r["split"] == "test",
     "macro_f1", "min", 0.820),
    ("sentiment NusaX-ind test, no worse than at filing",
     lambda r, _: r["dataset"] == "nusax_ind" and r["split"] == "test", "macro_f1", "min", 0.878),
    ("ordinary posts flagged as hoax: {ds}", lambda r, _: r["dataset"].startswith("hoax:benign ")
     and r["split"] == "held-out sets", "flagged", "max", 0.03),
    ("ordinary posts matching a debunk",
     lambda r, _: r["dataset"] == "claims:false match" and r["split"] == "held-out sets", "flagged", "max", 0.01),
    ("claim recall@1, TurnBackHoax 2025-26 test half", lambda r, _: r["dataset"] == "claims:recall@1 tbh2025 test",
     "recall", "min", 0.80),
    # the issue asks it of the Indonesian social sets: Indonglish is code-mixed ID-EN (most misses are English
    # tweets), so it is shown and not judged; a set with non-Indonesian posts is judged on its Indonesian ones
    ("Indonesian detected as Indonesian: {ds}", lambda r, rows: r["dataset"].startswith("language:")
     and "indonglish" not in r["dataset"] and r["split"] == _judged_language_scope(r["dataset"], rows),
     "recall", "min", 0.99),
)


def _judged_language_scope(dataset: str, rows: list[dict]) -> str:
    """A set's Indonesian posts where language_rows reports them apart (it has non-Indonesian posts), else all."""
    return "Indonesian posts" if any(o["dataset"] == dataset and o["split"] == "Indonesian posts" for o in rows) \
        else "all posts"


def target_rows(rows: list[dict]) -> list[dict]:
    """One line per target and per row it applies to: the figure, the goal, and met or the gap."""
    out = []
    for what, pick, metric, way, goal in TARGETS:
        hits = [r for r in rows if pick(r, rows) and metric in r]
        if not hits:
            out.append({"target": what.format(ds="?"), "goal": goal, "way": way, "value": None, "met": False})
        for r in hits:
            name = r["dataset"].split(":", 1)[-1].replace(" detected id", "").removeprefix("benign ")
            v = float(r[metric])
            met = v >= goal if way == "min" else v <= goal
            out.append({"target": what.format(ds=name), "goal": goal, "way": way, "value": v, "n": r["n"],
                        "met": met})
    return out


def target_lines(rows: list[dict]) -> list[str]:
    """The targets as `narrawatch evaluate` prints them (and the model card shows them)."""
    targets = target_rows(rows)
    lines = [f"{'target (issue 13)':52} {'n':>6} {'figure':>7} {'goal':>8}  status"]
    for t in targets:
        goal = f"{'>=' if t['way'] == 'min' else '<='} {t['goal'] * 100:.1f}"
        if t["value"] is None:
            lines.append(f"{t['target']:52} {'-':>6} {'-':>7} {goal:>8}  MISSING: not measured")
            continue
        gap = abs(t["value"] - t["goal"]) * 100
        lines.append(f"{t['target']:52} {t['n']:>6} {t['value'] * 100:>7.1f} {goal:>8}  "
                     + ("met" if t["met"] else f"NOT MET, gap {gap:.1f} points"))
    lines.append(f"{sum(t['met'] for t in targets)} of {len(targets)} met")
    return lines
