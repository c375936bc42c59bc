"""Train and evaluate the shipped models from shared/data.

    python -m classifiers.training train    [--data ../shared/data] [--out classifiers/models]
    python -m classifiers.training evaluate [--data ../shared/data] [--models classifiers/models]

Sentiment (id): word 1-2-gram + char_wb 2-5-gram TF-IDF over normalised, negation-marked text, plus 16 columns from
the Indonesian AFINN lexicon (classifiers/lexicon.py: a prior for words the labelled rows never show); a class-balanced
LogisticRegression and a class-balanced LinearSVC, soft-voted in logit space and folded into one linear head;
then per-class prior offsets (neutral, positive vs negative) chosen on the 3-class valid splits by macro-F1
and a temperature fitted on all valid splits. IndoLEM rows (binary tweets: no neutral class) get sample weight 0.5
so they inform positive-vs-negative without pushing neutral text to negative (valid-split selection, see
MODEL_CARD.md). Trained on SmSA-train + NusaX-ind-train + IndoLEM-train + the IDSA and Indonglish train splits
(social tweets) with every row that loosely matches (punctuation/case-insensitive) ANY evaluated row removed, so one
shipped model serves every evaluation; test splits are further de-duplicated against the training rows.
Sentiment (en): the same recipe on NusaX-eng train. Hoax: a style model over topic-free cue columns
(classifiers/style.py; TurnBackHoax posts vs ordinary posts, GroupKFold by topic, threshold <= 3% flagged per topic
slice) and the seed database of debunked claims (classifiers/claim_seed.py: calibrated scorer, <= 1% false
matches). ``--only sentiment|hoax`` retrains one part. ``evaluate`` adds the social / topic-slice / claim rows (classifiers/evaluation.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from .data import Split, dedup_against, find_data_dir, hoax_tweets, loose_key, sentiment_split
from .distil import POOL_SET, POOL_WEIGHT, Embeddings, pool_texts, teacher_split
from .lexicon import LexiconFeatures, load_lexicon
from .linear import LinearTextModel, from_parts
from .normalise import mark_negation, normalise_many

# 2026.3: sentiment trains on IDSA + Indonglish and teacher-labelled posts too; 2026.2: lexicon columns, spaCy
# tokenisation (+ style model, seed claims); 2025.1: first
MODEL_VERSION = "2026.3"
DEFAULT_MODEL_DIR = Path(__file__).with_name("models")
ID_TRAIN_SETS = ("smsa", "nusax_ind", "indolem")
SVM_SCALE = 3.0  # LinearSVC margins are ~3x smaller than LR logits; scaled before averaging
# IndoLEM is binary: full weight pulls neutral-looking text towards negative. Chosen on the valid splits among
# {1.0, 0.5, 0.25, 0 (not used)}: 0.5 kept IndoLEM valid at 82-83 while raising SmSA valid (MODEL_CARD.md).
SAMPLE_WEIGHT = {"indolem": 0.5, POOL_SET: POOL_WEIGHT}
BIAS_GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)
BIAS_SETS = ("smsa", "nusax_ind", "idsa", "indonglish")  # the 3-class valid splits that choose the class offsets
LEXICON_LANGS = ("id",)  # models that read the AFINN lexicon columns (classifiers/lexicon.py)
# Social sets that join the Indonesian sentiment training; `evaluate` scores each of them across domains by the
# leave-one-domain-out model recorded at training time, and in domain on its test split. Chosen on the valid splits
# (MODEL_CARD.md): the sets no model trains on gained 2.7-7.6 macro-F1 and IDSA across domains lost 4.1, which the
# teacher-labelled posts (distil.py) more than won back.
SENTIMENT_SOCIAL_SETS: tuple[str, ...] = ("idsa", "indonglish")


def prep(texts: list[str], lang: str = "id") -> list[str]:
    return [mark_negation(t) for t in normalise_many(list(texts), [lang] * len(texts))]


def _vectorizers(word_max: int, char_max: int, lang: str) -> list[tuple[str, object]]:
    parts: list[tuple[str, object]] = [
        ("w", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=word_max,
                              token_pattern=r"\S+", lowercase=False, dtype=np.float32)),
        ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                              max_features=char_max, lowercase=False, dtype=np.float32)),
    ]
    if lang in LEXICON_LANGS:
        parts.append(("lex", LexiconFeatures(load_lexicon(lang))))
    return parts


def _fit_temperature(logits: np.ndarray, y_idx: np.ndarray) -> float:
    def nll(t: float) -> float:
        return -log_softmax(logits / t, axis=1)[np.arange(len(y_idx)), y_idx].mean()
    return float(minimize_scalar(nll, bounds=(0.05, 20), method="bounded").x)


def expected_calibration_error(probs: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE of the top-class probability: bin-size-weighted |accuracy - mean confidence| over equal-width bins."""
    conf = probs.max(axis=1)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            err += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(err)


def _macro(y_true, y_pred) -> tuple[float, float]:
    return float(f1_score(y_true, y_pred, average="macro")), float(accuracy_score(y_true, y_pred))


# ---------------------------------------------------------------------------------------------------------------
# sentiment
def _banned_keys(data_dir: Path) -> set[str]:
    """Loose keys of every evaluated row: the review/tweet test splits, the social test splits, and every row of the
    evaluation-only social sets. No training row may share one."""
    from .data import SOCIAL_SETS, SOCIAL_TRAIN_SETS, social_split

    keys: set[str] = set()
    for ds in ("smsa", "nusax_ind", "indolem"):
        keys |= {loose_key(t) for t in sentiment_split(data_dir, ds, "test").texts}
    for ds in SOCIAL_SETS:
        keys |= {loose_key(t) for t in social_split(data_dir, ds, "test" if ds in SOCIAL_TRAIN_SETS else "all").texts}
    return keys


def sentiment_training_sets(data_dir: Path, leave_out: str | None = None) -> dict[str, list[Split]]:
    """Training splits per model, with every row overlapping any evaluated row removed (loose match). The
    Indonesian model trains on reviews (SmSA, NusaX-ind), IndoLEM tweets and the licence-allowed social sets
    (IDSA, Indonglish); ``leave_out`` drops one social set entirely (leave-one-domain-out evaluation)."""
    from .data import social_split

    test_keys = _banned_keys(data_dir)
    en_test = {loose_key(t) for t in sentiment_split(data_dir, "nusax_eng", "test").texts}
    social = [dedup_against(social_split(data_dir, ds, "train"), test_keys) for ds in SENTIMENT_SOCIAL_SETS
              if ds != leave_out]
    return {
        "id": [dedup_against(sentiment_split(data_dir, ds, "train"), test_keys) for ds in ID_TRAIN_SETS] + social,
        "en": [dedup_against(sentiment_split(data_dir, "nusax_eng", "train"), en_test)],
    }


def sentiment_id_rows(data_dir: Path, leave_out: str | None = None, log=print) -> list[Split]:
    """The Indonesian model's training rows: the labelled splits plus the teacher-labelled pool (classifiers/distil.py),
    whose teacher trains on those same labelled splits (so a left-out set stays out of both)."""
    labelled = sentiment_training_sets(data_dir, leave_out)["id"]
    pool = pool_texts(data_dir, _banned_keys(data_dir))
    return labelled + [teacher_split(labelled, pool, Embeddings(), log)]


def sentiment_valid_sets(data_dir: Path, leave_out: str | None = None) -> list[Split]:
    from .data import social_split

    return [sentiment_split(data_dir, ds, "valid") for ds in ID_TRAIN_SETS] + \
        [social_split(data_dir, ds, "valid") for ds in SENTIMENT_SOCIAL_SETS if ds != leave_out]


def score_sentiment(probs: np.ndarray, classes: list[str], labels: list[str]) -> tuple[float, float]:
    """Macro-F1 and accuracy; binary sets (no neutral label) compare positive vs negative only."""
    if "neutral" not in set(labels):
        ci = [classes.index("negative"), classes.index("positive")]
        pred = np.array(["negative", "positive"])[probs[:, ci].argmax(1)]
    else:
        pred = np.array(classes)[probs.argmax(1)]
    return _macro(labels, pred)


def sentiment_lodo(data_dir: Path, log=print) -> list[dict]:
    """Leave-one-domain-out: each licence-allowed social set is scored, whole, by a model trained (same recipe)
    without it. The evaluation-only social sets never train anything, so ``evaluate`` scores them live."""
    from .data import social_split

    rows = []
    for ds in SENTIMENT_SOCIAL_SETS:
        model, _ = _train_sentiment(sentiment_id_rows(data_dir, ds, log), sentiment_valid_sets(data_dir, leave_out=ds),
                                    "id", 150_000, 200_000, log, tune_bias=True)
        s = social_split(data_dir, ds, "all")
        f1, acc = score_sentiment(model.predict_proba(prep(s.texts)), list(model.classes), s.labels)
        rows.append({"dataset": f"social:{ds}", "split": "leave-one-domain-out", "n": len(s), "macro_f1": f1,
                     "accuracy": acc})
        log(f"  LODO {ds}: macro-F1 {f1:.3f}")
    return rows


def _choose_bias(classes: list[str], logits: dict[str, np.ndarray], labels: dict[str, list[str]]) -> np.ndarray:
    """Per-class additive offsets (negative fixed at 0) maximising mean macro-F1 over the given valid splits."""
    ni, pi = classes.index("neutral"), classes.index("positive")
    best, best_b = -1.0, np.zeros(len(classes))
    for bn in BIAS_GRID:
        for bp in BIAS_GRID:
            b = np.zeros(len(classes))
            b[ni], b[pi] = bn, bp
            score = np.mean([f1_score(labels[ds], np.array(classes)[(z + b).argmax(1)], average="macro")
                             for ds, z in logits.items()])
            if score > best + 1e-12 or (abs(score - best) <= 1e-12 and np.abs(b).sum() < np.abs(best_b).sum()):
                best, best_b = score, b
    return best_b


def _train_sentiment(train: list[Split], valid: list[Split], lang: str, word_max: int, char_max: int,
                     log, tune_bias: bool = False) -> tuple[LinearTextModel, dict]:
    texts = prep([t for s in train for t in s.texts], lang)
    y = np.array([l for s in train for l in s.labels])
    sw = np.array([SAMPLE_WEIGHT.get(s.dataset, 1.0) for s in train for _ in s.texts])
    parts = _vectorizers(word_max, char_max, lang)
    feats = FeatureUnion(parts)
    X = feats.fit_transform(texts)
    log(f"  [{lang}] {X.shape[0]} rows x {X.shape[1]} features")
    lr = LogisticRegression(C=10, max_iter=3000, class_weight="balanced").fit(X, y, sample_weight=sw)
    svm = LinearSVC(C=0.5, class_weight="balanced", random_state=0).fit(X, y, sample_weight=sw)
    assert list(lr.classes_) == list(svm.classes_)
    coef = 0.5 * (lr.coef_ + SVM_SCALE * svm.coef_)
    intercept = 0.5 * (lr.intercept_ + SVM_SCALE * svm.intercept_)
    classes = list(lr.classes_)
    bias = np.zeros(len(classes))
    if tune_bias:  # class offsets chosen on the 3-class valid splits (never on test)
        vz = {s.dataset: np.asarray(feats.transform(prep(s.texts, lang)) @ coef.T + intercept)
              for s in valid if s.dataset in BIAS_SETS}
        bias = _choose_bias(classes, vz, {s.dataset: s.labels for s in valid if s.dataset in BIAS_SETS})
        log(f"  [{lang}] class offsets {dict(zip(classes, bias.round(2).tolist()))}")
    intercept = intercept + bias
    # calibration: one temperature fitted by NLL on the valid splits (never on test)
    vt = prep([t for s in valid for t in s.texts], lang)
    vy = [l for s in valid for l in s.labels]
    z = feats.transform(vt) @ coef.T + intercept
    temp = _fit_temperature(np.asarray(z), np.array([classes.index(l) for l in vy]))
    log(f"  [{lang}] temperature {temp:.3f} fitted on {len(vt)} valid rows")
    meta = {"lang": lang, "temperature": temp, "train_rows": int(X.shape[0]), "n_features": int(X.shape[1]),
            "train_sets": {s.dataset: len(s) for s in train},
            "sample_weight": {s.dataset: SAMPLE_WEIGHT.get(s.dataset, 1.0) for s in train},
            "class_offsets": dict(zip(classes, bias.round(4).tolist()))}
    return from_parts(parts, classes, coef / temp, intercept / temp, meta), meta


# ---------------------------------------------------------------------------------------------------------------
# hoax: style model (topic-free cues) and the seed database of debunked claims
STYLE_MAX_FLAG = 0.03  # the target: at most 3% of ordinary posts flagged in every topic slice
SLICE_MIN_N = 30  # slices smaller than this are reported but do not set the threshold (one post = 3%+)


# Ordinary posts as written (case kept): IDSA's texts are lower-cased by its publisher, so as style negatives they
# taught that any capital letter is a hoax cue (all-caps coefficient 2.1, ordinary all-caps posts at p = 1.0).
# Validation (out-of-fold, grouped): with IDSA out and IndoLEM's raw tweets/reviews in, every topic slice stays
# <= 3% flagged at a recall of 32.1% / 20.3% (TurnBackHoax 2025-26 / 2024) against 28.6% / 19.7% for the
# old frame at its own <= 3% threshold (MODEL_CARD.md).
STYLE_BENIGN_SETS = ("indonglish",)
STYLE_BENIGN_REVIEWS = ("indolem",)  # train + valid splits (raw tweets and hotel reviews, CC BY-SA)


def style_frame(data_dir: Path):
    """Hoax posts as circulated (TurnBackHoax narasi / claim texts, grouped by fact-check category) against
    ordinary posts as written on the same and other topics: Indonglish, IndoLEM (train + valid) and the IDNHoax
    tweets labelled valid (vaccine, politics; grouped by claim keyword). IDNHoax "hoax" tweets are left out of the
    positives: their labels are per topic, and plain news tweets carry them."""
    import pandas as pd

    from .data import benign_posts, factcheck_posts

    pos = factcheck_posts(data_dir)[["text", "group", "source"]].assign(y=1)
    ben = benign_posts(data_dir)
    ben = ben[ben.source.isin(STYLE_BENIGN_SETS)]
    tw = hoax_tweets(data_dir)
    il = pd.DataFrame({"text": [t for ds in STYLE_BENIGN_REVIEWS for sp in ("train", "valid")
                                for t in sentiment_split(data_dir, ds, sp).texts]})
    neg = pd.concat([ben.assign(group="benign:" + ben.source)[["text", "group", "source"]],
                     il.assign(group="benign:indolem", source="indolem"),
                     tw[tw.y == 0].assign(source="idn_hoax_tweets:valid")[["text", "group", "source"]]]).assign(y=0)
    return pd.concat([pos, neg], ignore_index=True)


def _style_fit(X: np.ndarray, y: np.ndarray):
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-6
    clf = LogisticRegression(C=0.5, class_weight="balanced", max_iter=2000).fit((X - mean) / scale, y)
    return clf, mean, scale


def choose_style_threshold(p: np.ndarray, slices: np.ndarray) -> float:
    """Smallest threshold at which every topic slice (n >= SLICE_MIN_N) of ordinary posts has <= 3% flagged: just
    above the (k+1)-th highest score of each slice, k = floor(3% of its size) (exact, not a grid step)."""
    th = 0.5
    for s in set(slices):
        q = np.sort(p[slices == s])[::-1]
        k = int(np.floor(STYLE_MAX_FLAG * len(q) + 1e-9))
        if len(q) >= SLICE_MIN_N and k < len(q):
            th = max(th, float(np.nextafter(q[k], np.inf)))
    return th


def train_style(data_dir: Path, out_dir: Path, log=print):
    """GroupKFold (by fact-check category / claim keyword / source set) out-of-fold scores choose the threshold and
    give the honest recall; then one model on everything is shipped."""
    from .data import topic_slice
    from .style import StyleModel, style_features

    df = style_frame(data_dir)
    X, y, groups = style_features(df.text.tolist()), df.y.to_numpy(), df.group.to_numpy()
    oof = np.zeros(len(df))
    for tr, te in GroupKFold(n_splits=5).split(X, y, groups):
        clf, mean, scale = _style_fit(X[tr], y[tr])
        oof[te] = clf.predict_proba((X[te] - mean) / scale)[:, 1]
    slices = df.text.map(topic_slice).to_numpy()
    neg = y == 0
    th = choose_style_threshold(oof[neg], slices[neg])
    rows = []
    for src in ("tbh2025", "tbh2024"):
        m = (df.source == src).to_numpy()
        both = m | neg
        rows.append({"dataset": f"hoax-style:{src}", "split": "groupkfold5", "n": int(m.sum()),
                     "recall": float((oof[m] >= th).mean()), "roc_auc": float(roc_auc_score(y[both], oof[both])),
                     "threshold": th})
    for s in sorted(set(slices[neg])):
        m = neg & (slices == s)
        rows.append({"dataset": f"hoax-style:benign {s}", "split": "groupkfold5", "n": int(m.sum()),
                     "flagged": float((oof[m] >= th).mean()), "threshold": th})
    clf, mean, scale = _style_fit(X, y)
    meta = {"version": MODEL_VERSION, "train_rows": int(len(df)), "positives": int(y.sum()),
            "groups": int(len(set(groups))), "threshold_rule": f"<= {STYLE_MAX_FLAG:.0%} flagged per topic slice "
            f"(n >= {SLICE_MIN_N}), out-of-fold", "sources": sorted(set(df.source))}
    model = StyleModel(clf.coef_[0], clf.intercept_[0], mean, scale, th, meta)
    model.save(out_dir)
    log(f"  style model: threshold {th}, OOF recall {rows[0]['recall']:.3f} (tbh2025)")
    return model, rows


# ---------------------------------------------------------------------------------------------------------------
PARTS = ("sentiment", "hoax")


def train(data_dir: Path, out_dir: Path, log=print, parts: tuple[str, ...] = PARTS) -> dict:
    """Train the models of ``parts`` from ``data_dir``, write artifacts + MODEL_CARD.md into ``out_dir``, return
    the manifest. A part not retrained keeps its artifacts, manifest entries and recorded rows."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    old_path = out_dir / "manifest.json"
    old = json.loads(old_path.read_text(encoding="utf-8")) if old_path.is_file() else {"models": {}, "metrics": []}
    models, recorded = dict(old["models"]), []
    if "sentiment" in parts:
        sets = sentiment_training_sets(data_dir)
        id_valid = sentiment_valid_sets(data_dir)
        sent_id, models["sentiment_id"] = _train_sentiment(sentiment_id_rows(data_dir, log=log), id_valid, "id",
                                                           150_000, 200_000, log, tune_bias=True)
        sent_en, models["sentiment_en"] = _train_sentiment(sets["en"], [sentiment_split(data_dir, "nusax_eng",
                                                                                        "valid")], "en",
                                                           20_000, 40_000, log)
        sent_id.meta["version"] = sent_en.meta["version"] = MODEL_VERSION
        sent_id.save(out_dir, "sentiment_id")
        sent_en.save(out_dir, "sentiment_en")
        log(f"  sentiment done in {time.time() - t0:.0f}s")
        recorded += sentiment_lodo(data_dir, log)
    else:
        recorded += [r for r in old["metrics"] if r["dataset"].startswith("social:") and "domain-out" in r["split"]]
    if "hoax" in parts:
        from .claim_seed import build_claim_seed

        style, style_rows = train_style(data_dir, out_dir, log)
        models["style_hoax"], models["claims_seed"] = style.meta, build_claim_seed(data_dir, out_dir, log)
        models.pop("hoax_id", None)
        recorded += style_rows
        log(f"  hoax style + claims done in {time.time() - t0:.0f}s")
    else:
        recorded += [r for r in old["metrics"] if r["dataset"].startswith("hoax-style:")]
    rows = evaluate(data_dir, out_dir, include_recorded=False) + recorded
    manifest = {"version": MODEL_VERSION, "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "models": models, "metrics": rows}
    old_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    write_model_card(out_dir, {**manifest, "metrics": evaluate(data_dir, out_dir)})  # + the live social rows
    return manifest


def evaluate(data_dir: Path, model_dir: Path | None = None, write_card: bool = False,
             include_recorded: bool = True) -> list[dict]:
    """Score the shipped sentiment artifacts on every valid/test split (tests de-duplicated against training).

    The hoax model's GroupKFold rows need retraining per fold, so they are taken from the manifest written at
    training time (``split`` ends in ``(recorded)``) when ``include_recorded``.
    """
    from .sentiment import SentimentModel

    data_dir = Path(data_dir)
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    sm = SentimentModel.load(model_dir)
    sets = sentiment_training_sets(data_dir)
    train_keys = {lang: {loose_key(t) for s in splits for t in s.texts} for lang, splits in sets.items()}
    rows = []
    for ds in ("smsa", "nusax_ind", "indolem", "nusax_eng"):
        lang = "en" if ds == "nusax_eng" else "id"
        for split in ("valid", "test"):
            raw = sentiment_split(data_dir, ds, split)
            s = dedup_against(raw, train_keys[lang]) if split == "test" else raw
            probs = sm.predict_proba(s.texts, lang)
            classes = sm.classes(lang)
            if ds == "indolem":  # binary set: compare positive vs negative only
                ci = [classes.index("negative"), classes.index("positive")]
                pred = np.array(["negative", "positive"])[probs[:, ci].argmax(1)]
            else:
                pred = np.array(classes)[probs.argmax(1)]
            f1, acc = _macro(s.labels, pred)
            row = {"dataset": ds, "split": split, "n": len(s), "n_raw": len(raw), "macro_f1": f1, "accuracy": acc}
            if ds != "indolem":  # calibration of the 3-class probabilities (IndoLEM has no neutral label)
                row["ece"] = expected_calibration_error(probs, pred == np.asarray(s.labels))
            rows.append(row)
    if include_recorded:  # social sets, topic slices and claim matching (needs the manifest's recorded rows)
        from .evaluation import social_rows

        rows += social_rows(data_dir, model_dir)
    return rows


def write_model_card(out_dir: Path, manifest: dict) -> None:
    from .evaluation import target_lines

    rows = manifest["metrics"]
    table = "\n".join("| " + " | ".join(_cells(r)) + " |" for r in rows)
    sizes = "\n".join(f"- `{p.name}`: {p.stat().st_size / 1e6:.2f} MB" for p in sorted(out_dir.glob("*.np*")))
    card = (Path(__file__).with_name("resources") / "MODEL_CARD.template.md").read_text(encoding="utf-8")
    card = card.replace("{{VERSION}}", manifest["version"]).replace("{{DATE}}", manifest["trained_at"])
    card = card.replace("{{TABLE}}", table).replace("{{SIZES}}", sizes)
    card = card.replace("{{TARGETS}}", "\n".join(target_lines(rows)))
    card = card.replace("{{TRAIN}}", json.dumps(manifest["models"], indent=1, ensure_ascii=False))
    (out_dir / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def _cells(r: dict) -> list[str]:
    """dataset, split, n, then macro-F1 / accuracy / ROC-AUC / recall in %, ECE, flagged % ('' where not measured)."""
    pct = [f"{r[k] * 100:.1f}" if k in r else "-" for k in ("macro_f1", "accuracy", "roc_auc", "recall")]
    return [r["dataset"].replace(" ", "_"), r["split"].replace(" ", "_"), str(r["n"]), *pct,
            f"{r['ece']:.3f}" if "ece" in r else "-", f"{r['flagged'] * 100:.1f}" if "flagged" in r else "-"]


def _print_table(rows: list[dict]) -> None:
    widths = (32, 34, 6, 9, 9, 8, 7, 6, 8)
    heads = ("dataset", "split", "n", "macro_f1", "accuracy", "roc_auc", "recall", "ece", "flagged%")
    for cells in [heads, *(_cells(r) for r in rows)]:
        print(" ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m classifiers.training")
    ap.add_argument("command", choices=["train", "evaluate"])
    ap.add_argument("--data", type=Path, default=None, help="shared/data dir (default: NW_DATA_ROOT or walk up)")
    ap.add_argument("--out", "--models", dest="models", type=Path, default=DEFAULT_MODEL_DIR)
    ap.add_argument("--only", choices=PARTS, default=None, help="retrain one part, keep the other's artifacts")
    a = ap.parse_args(argv)
    data = a.data or find_data_dir()
    if data is None or not Path(data).is_dir():
        print("data dir not found: pass --data or set NW_DATA_ROOT", file=sys.stderr)
        return 2
    if a.command == "train":
        train(data, a.models, log=lambda m: print(m, file=sys.stderr), parts=(a.only,) if a.only else PARTS)
        rows = evaluate(data, a.models)
    else:
        rows = evaluate(data, a.models)
    from .evaluation import target_lines

    _print_table(rows)
    print()
    print("\n".join(target_lines(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
