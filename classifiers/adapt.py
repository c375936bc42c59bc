"""Per-workspace adaptation of the sentiment head, and of the hoax-style head, from analyst corrections.

What is learnt: a new linear head over the SAME features as the shipped sentiment model (its TF-IDF + lexicon
columns), fitted as a multinomial logistic regression on the workspace's corrected posts with an L2 pull towards the
shipped head's weights: ``sum_i CE(x_i, y_i) + lam/2 * ||W - W_base||^2``. The base training data enters through the
base weights (the penalty is the Gaussian prior centred on the base solution), so adaptation needs neither the
training corpora at the deployment nor a 15k-row refit; only the columns that occur in corrected posts can move.
``lam`` is chosen by k-fold cross-validation inside the training corrections (never on the held-out ones).

Artifacts (no pickle): ``<root>/<workspace>/<version>/sentiment_<lang>.npz`` (moved columns, their weight deltas,
the intercept) + ``adapt.json`` (classes, base fingerprint, scores); ``<root>/<workspace>/current`` names the active
version and ``history.json`` the versions activated before it, so ``rollback`` moves the pointer back. A head whose
base fingerprint no longer matches the loaded base model (the base was retrained) is ignored, with a warning.

The only contact with the classifier internals is ``base_head`` / ``matrix`` / ``features`` below (the shipped
``SentimentModel``'s per-language ``FastLinearHead``: ``coef``, ``intercept``, ``matrices(feats)``); re-point those
if the artifact format changes. The hoax-style model (classifiers/style.py) takes the same path through its
``adapt_head`` / ``adapt_matrix``: its binary logistic regression is the two-class softmax head [0, w] over the
standardised cue columns, one head for every language (``lang`` "all"), labels "not_hoax" / "hoax"; its versions
live under ``<root>/<workspace>/hoax/`` (``HeadRegistry(root, kind="hoax")``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.metrics import f1_score

log = logging.getLogger(__name__)

LAMBDAS = (0.03, 0.1, 0.3, 1.0)  # prior strengths tried by the inner cross-validation
HELDOUT_PCT = 20
MIN_TRAIN_PER_LANG = 20
_VERSION_RE = re.compile(r"^v\d{4,}$")


# -- the narrow interface to the shipped sentiment model ---------------------------------------------------------

def load_base(model_dir: Path | None = None):
    from . import DEFAULT_MODEL_DIR
    from .sentiment import SentimentModel

    return SentimentModel.load(Path(model_dir) if model_dir else DEFAULT_MODEL_DIR)


def base_head(model, lang: str | None):
    """(coef (k, d), intercept (k,), classes) of the shipped head for ``lang``."""
    if hasattr(model, "adapt_head"):  # the hoax-style model: one head for all languages
        return model.adapt_head()
    lang = "en" if lang == "en" else "id"
    head = model.heads[lang]
    return head.coef, head.intercept, list(model.classes(lang))


def features(model, texts: list[str], langs: list[str | None]):
    """Normalise (the chain's normaliser) and analyse texts once in the model's term space."""
    if hasattr(model, "adapt_matrix"):  # the hoax-style model reads raw text (case, punctuation, emoji)
        return model.adapt_matrix(list(texts))
    from .normalise import normalise_many

    return model.space.featurise(normalise_many(list(texts), list(langs)))


def matrix(model, feats, lang: str | None) -> sp.csr_matrix:
    """The base head's input columns for these documents (what the head multiplies by ``coef``)."""
    if hasattr(model, "adapt_matrix"):
        return feats
    head = model.heads["en" if lang == "en" else "id"]
    return sp.hstack(head.matrices(feats), format="csr")


def fingerprint(coef: np.ndarray, intercept: np.ndarray) -> str:
    h = hashlib.sha256(np.ascontiguousarray(coef, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(intercept, dtype=np.float64).tobytes())
    return h.hexdigest()[:20]


# -- fitting -----------------------------------------------------------------------------------------------------

@dataclass
class HeadDelta:
    """An adapted head stored as the base head plus a change on a few columns."""
    lang: str
    classes: list[str]
    cols: np.ndarray          # (m,) column indices that moved
    delta: np.ndarray         # (k, m) weight change on those columns
    intercept: np.ndarray     # (k,) new intercept
    base: str                 # fingerprint of the base head it applies to

    def decision(self, X: sp.csr_matrix, coef: np.ndarray) -> np.ndarray:
        z = X @ coef.T + self.intercept
        if len(self.cols):
            z += X[:, self.cols] @ self.delta.T
        return z


def fit_head(X: sp.csr_matrix, y: np.ndarray, coef: np.ndarray, intercept: np.ndarray, lam: float,
             weight: np.ndarray | None = None, maxiter: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prior-regularised multinomial LR, optimised only on the columns present in X (the rest keep the base
    weights: their gradient is the prior's alone). Returns (cols, delta, intercept)."""
    X = sp.csr_matrix(X)
    cols = np.unique(X.indices)
    Xa = X[:, cols].tocsr()
    k, m = coef.shape[0], len(cols)
    W0 = coef[:, cols]
    Y = np.eye(k)[y]
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)

    def objective(theta: np.ndarray):
        D = theta[:k * m].reshape(k, m)
        b = theta[k * m:]
        L = log_softmax(Xa @ (W0 + D).T + b, axis=1)
        G = (np.exp(L) - Y) * w[:, None]
        loss = -(w[:, None] * Y * L).sum() + 0.5 * lam * (D * D).sum()
        return loss, np.concatenate([((Xa.T @ G).T + lam * D).ravel(), G.sum(axis=0)])

    theta0 = np.concatenate([np.zeros(k * m), np.asarray(intercept, dtype=np.float64)])
    res = minimize(objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter})
    return cols, res.x[:k * m].reshape(k, m), res.x[k * m:]


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
    return float(f1_score(y_true, y_pred, labels=list(range(k)), average="macro", zero_division=0) * 100)


def choose_lambda(X: sp.csr_matrix, y: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                  grid: Iterable[float] | None = None, folds: int = 3, seed: int = 0) -> tuple[float, dict]:
    """The prior strength with the best mean macro-F1 over k folds of the TRAINING corrections."""
    grid = list(LAMBDAS if grid is None else grid)
    if len(grid) == 1 or len(y) < 3 * folds:
        return grid[-1] if len(y) < 3 * folds else grid[0], {}
    fold = np.random.default_rng(seed).permutation(len(y)) % folds
    k = coef.shape[0]
    scores = {}
    for lam in grid:
        f = []
        for i in range(folds):
            tr, te = fold != i, fold == i
            cols, delta, b = fit_head(X[tr], y[tr], coef, intercept, lam)
            pred = HeadDelta("", [], cols, delta, b, "").decision(X[te], coef).argmax(axis=1)
            f.append(macro_f1(y[te], pred, k))
        scores[lam] = float(np.mean(f))
    best = max(grid, key=lambda g: (scores[g], g))  # ties: the stronger prior (closer to the base)
    return best, scores


def heldout(post_id: str, pct: int = HELDOUT_PCT) -> bool:
    """Stable split by post id: a post is always on the same side, so no head ever trained on a held-out post."""
    return int(hashlib.sha1(post_id.encode()).hexdigest()[:8], 16) % 100 < pct


# -- versions on disk --------------------------------------------------------------------------------------------

def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class HeadRegistry:
    """Per-workspace versions under ``root`` with a ``current`` pointer; loads are cached until the pointer moves
    (so a running API/worker picks up `narrawatch adapt` or a rollback on its next batch)."""

    def __init__(self, root: Path | str, kind: str = "sentiment"):
        self.root = Path(root)
        self.kind = kind  # "sentiment": <root>/<workspace>/; any other head: <root>/<workspace>/<kind>/
        self._cache: dict[str, tuple[tuple, dict[str, HeadDelta]]] = {}

    def _dir(self, workspace: str) -> Path:
        if not re.match(r"^[a-z0-9][a-z0-9_-]{0,62}$", workspace or ""):
            raise ValueError(f"bad workspace {workspace!r}")
        return self.root / workspace if self.kind == "sentiment" else self.root / workspace / self.kind

    def versions(self, workspace: str) -> list[str]:
        d = self._dir(workspace)
        return sorted(p.name for p in d.iterdir() if p.is_dir() and _VERSION_RE.match(p.name)) if d.is_dir() else []

    def current(self, workspace: str) -> str | None:
        p = self._dir(workspace) / "current"
        v = p.read_text(encoding="utf-8").strip() if p.is_file() else ""
        return v or None

    def history(self, workspace: str) -> list[str]:
        p = self._dir(workspace) / "history.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else []

    def meta(self, workspace: str, version: str) -> dict:
        return json.loads((self._dir(workspace) / version / "adapt.json").read_text(encoding="utf-8"))

    def save(self, workspace: str, heads: dict[str, HeadDelta], meta: dict) -> str:
        d = self._dir(workspace)
        d.mkdir(parents=True, exist_ok=True)
        existing = self.versions(workspace)
        version = f"v{(int(existing[-1][1:]) + 1) if existing else 1:04d}"
        tmp = d / f".{version}.tmp"
        tmp.mkdir()
        for lang, h in heads.items():
            np.savez_compressed(tmp / f"{self.kind}_{lang}.npz", cols=h.cols.astype(np.int64),
                                delta=h.delta.astype(np.float32), intercept=h.intercept.astype(np.float64))
        doc = {**meta, "version": version, "workspace": workspace,
               "heads": {lang: {"classes": h.classes, "base": h.base, "moved_columns": int(len(h.cols))}
                         for lang, h in heads.items()}}
        (tmp / "adapt.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, d / version)
        return version

    def activate(self, workspace: str, version: str) -> None:
        d = self._dir(workspace)
        if version not in self.versions(workspace):
            raise ValueError(f"workspace {workspace!r} has no version {version!r}")
        prev = self.current(workspace)
        if prev == version:
            return
        if prev:
            _atomic_write(d / "history.json", json.dumps([*self.history(workspace), prev]))
        _atomic_write(d / "current", version + "\n")

    def rollback(self, workspace: str) -> str | None:
        """Point ``current`` back to the version active before it (None: back to the shipped model). Artifacts
        of the rolled-back version stay on disk."""
        d = self._dir(workspace)
        cur = self.current(workspace)
        if cur is None:
            raise ValueError(f"workspace {workspace!r} has no adapted head to roll back")
        hist = self.history(workspace)
        prev = hist.pop() if hist else None
        _atomic_write(d / "history.json", json.dumps(hist))
        _atomic_write(d / "current", (prev or "") + "\n")
        return prev

    def load(self, workspace: str, version: str | None = None) -> dict[str, HeadDelta]:
        """The heads of ``version`` (default: current) by language; {} when none."""
        try:
            d = self._dir(workspace)
        except ValueError:
            return {}
        pointer = d / "current"
        if version is None:
            try:
                key = (pointer.stat().st_mtime_ns, pointer.stat().st_size)
            except FileNotFoundError:
                return {}
            hit = self._cache.get(workspace)
            if hit and hit[0] == key:
                return hit[1]
            version = self.current(workspace)
            heads = self._read(d, version) if version else {}
            self._cache[workspace] = (key, heads)
            return heads
        return self._read(d, version)

    def _read(self, d: Path, version: str) -> dict[str, HeadDelta]:
        doc = json.loads((d / version / "adapt.json").read_text(encoding="utf-8"))
        heads = {}
        for lang, h in doc["heads"].items():
            with np.load(d / version / f"{self.kind}_{lang}.npz", allow_pickle=False) as a:
                heads[lang] = HeadDelta(lang, h["classes"], a["cols"], a["delta"].astype(np.float64),
                                        a["intercept"], h["base"])
        return heads


_FINGERPRINTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> {lang: fingerprint}


def base_fingerprint(model, lang: str) -> str:
    known = _FINGERPRINTS.setdefault(model, {})
    if lang not in known:
        known[lang] = fingerprint(*base_head(model, lang)[:2])
    return known[lang]


def usable(head: HeadDelta, model) -> bool:
    if head.base != base_fingerprint(model, head.lang) or head.classes != base_head(model, head.lang)[2]:
        log.warning("adapted %s head was fitted on another base model; ignored (run `narrawatch adapt` again)",
                    head.lang)
        return False
    return True


# -- one adaptation run ------------------------------------------------------------------------------------------

@dataclass
class Row:
    post_id: str
    text: str
    lang: str | None
    label: str


@dataclass
class AdaptReport:
    workspace: str
    n_train: int
    n_heldout: int
    before: float | None = None       # macro-F1 on held-out corrections of the head active before this run
    before_version: str | None = None
    base: float | None = None         # ... of the shipped model
    after: float | None = None        # ... of the new head
    version: str | None = None
    activated: bool = False
    lambdas: dict = field(default_factory=dict)
    reason: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _lang(lang: str | None, model=None) -> str:
    if model is not None and hasattr(model, "adapt_head"):
        return "all"
    return "en" if lang == "en" else "id"


def predict(model, heads: dict[str, HeadDelta], rows: list[Row]) -> np.ndarray:
    """Class indices (in the base model's class order) for rows, with ``heads`` where present."""
    out = np.zeros(len(rows), dtype=np.int64)
    for lang in {_lang(r.lang, model) for r in rows}:
        idx = [i for i, r in enumerate(rows) if _lang(r.lang, model) == lang]
        X = matrix(model, features(model, [rows[i].text for i in idx], [lang] * len(idx)), lang)
        coef, intercept, _ = base_head(model, lang)
        h = heads.get(lang)
        z = h.decision(X, coef) if h is not None else X @ coef.T + intercept
        out[idx] = z.argmax(axis=1)
    return out


def fit_heads(model, rows: list[Row], weight: float = 1.0, seed: int = 0,
              grid: Iterable[float] | None = None) -> tuple[dict[str, HeadDelta], dict]:
    heads, lambdas = {}, {}
    for lang in sorted({_lang(r.lang, model) for r in rows}):
        part = [r for r in rows if _lang(r.lang, model) == lang]
        if len(part) < MIN_TRAIN_PER_LANG:
            continue
        coef, intercept, classes = base_head(model, lang)
        X = matrix(model, features(model, [r.text for r in part], [lang] * len(part)), lang)
        y = np.array([classes.index(r.label) for r in part])
        lam, scores = choose_lambda(X, y, coef, intercept, grid, seed=seed)
        cols, delta, b = fit_head(X, y, coef, intercept, lam, np.full(len(y), weight))
        heads[lang] = HeadDelta(lang, classes, cols, delta, b, base_fingerprint(model, lang))
        lambdas[lang] = {"chosen": lam, "cv_macro_f1": scores}
    return heads, lambdas


def adapt(model, registry: HeadRegistry, workspace: str, rows: list[Row], min_corrections: int = 50,
          seed: int = 0, dedup: Callable[[str], str] | None = None) -> AdaptReport:
    """Split, fit, score before/after on the held-out corrections, save; activate only if not worse."""
    if dedup is None:
        from .data import loose_key as dedup
    train = [r for r in rows if not heldout(r.post_id)]
    seen = {dedup(r.text) for r in train}
    held = [r for r in rows if heldout(r.post_id) and dedup(r.text) not in seen]  # a repost is not held out
    rep = AdaptReport(workspace, len(train), len(held))
    if len(rows) < min_corrections:
        rep.reason = f"{len(rows)} corrections < --min-corrections {min_corrections}"
        return rep
    if not held or len(train) < MIN_TRAIN_PER_LANG:
        rep.reason = "too few corrections on one side of the held-out split"
        return rep
    classes = base_head(model, "id")[2]
    y_held = np.array([classes.index(r.label) for r in held])
    k = len(classes)
    rep.base = macro_f1(y_held, predict(model, {}, held), k)
    rep.before_version = registry.current(workspace)
    active = {lang: h for lang, h in registry.load(workspace).items() if usable(h, model)}
    rep.before = macro_f1(y_held, predict(model, active, held), k) if active else rep.base
    heads, rep.lambdas = fit_heads(model, train, seed=seed)
    if not heads:
        rep.reason = f"fewer than {MIN_TRAIN_PER_LANG} training corrections in every language"
        return rep
    rep.after = macro_f1(y_held, predict(model, heads, held), k)
    rep.activated = rep.after >= rep.before
    rep.reason = "not worse than the active head on held-out corrections" if rep.activated else \
        "worse than the active head on held-out corrections: saved, not activated"
    rep.version = registry.save(workspace, heads, {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "n_train": len(train),
        "n_heldout": len(held), "heldout_macro_f1": {"base": rep.base, "before": rep.before, "after": rep.after},
        "before_version": rep.before_version, "lambdas": rep.lambdas, "activated": rep.activated})
    if rep.activated:
        registry.activate(workspace, rep.version)
    return rep


# -- the chain step ----------------------------------------------------------------------------------------------

class WorkspaceSentiment:
    """Chain step after the shipped sentiment: posts of a workspace with an active adapted head get its label.
    ``workspace_of(post)`` names the post's one workspace (None when it has none or several: the shipped label
    stays, so one agency's tuning never decides what another agency sees)."""

    def __init__(self, model, registry: HeadRegistry, workspace_of: Callable, normaliser=None):
        from .normalise import Normaliser

        self.model = model
        self.registry = registry
        self.workspace_of = workspace_of
        self.normaliser = normaliser or Normaliser()

    def classify(self, posts: list) -> list:
        groups: dict[tuple[str, str], list[int]] = {}
        for i, p in enumerate(posts):
            ws = self.workspace_of(p)
            if ws is not None:
                groups.setdefault((ws, _lang(p.lang)), []).append(i)
        feats = None
        for (ws, lang), idx in groups.items():
            head = self.registry.load(ws).get(lang)
            if head is None or not usable(head, self.model):
                continue
            if feats is None:  # the same cached features the shipped sentiment step used
                feats = self.normaliser.features_many(posts, self.model.space)
            X = matrix(self.model, feats.subset(idx), lang)
            probs = softmax(head.decision(X, base_head(self.model, lang)[0]), axis=1)
            for i, row in zip(idx, probs):
                c = posts[i].classification
                j = int(row.argmax())
                c.sentiment, c.sentiment_score = head.classes[j], float(min(1.0, max(0.0, row[j])))
        return posts


def head_proba(model, head: HeadDelta, texts: list[str], lang: str | None = None) -> np.ndarray:
    """Class probabilities (base class order) of an adapted head on texts (the hoax step's per-workspace style)."""
    X = matrix(model, features(model, texts, [lang] * len(texts)), lang)
    return softmax(head.decision(X, base_head(model, lang)[0]), axis=1)
