"""Hoax-style cues: how a post is written and pushed, never what it is about.

The old hoax model read word n-grams and learned topics ("vaksin" was the top reason for 95% of its flags on
ordinary vaccine tweets). This model reads only topic-free cues a PR officer can check by eye: calls to spread
("sebarkan", "viralkan"), urgency ("sebelum dihapus", "segera"), secrecy and authority claims ("media tidak
memberitakan", "info dari orang dalam"), chain-message forms (forwarded headers, many lines), shouting (all-caps
words, "!!"), alarm emoji, scam offers ("klik link", "hadiah", "hubungi WA"). A logistic regression over these cue
columns is trained in classifiers/training.py (hoax posts as circulated vs ordinary posts on the same topics) and
shipped as ``style_hoax.json``: coefficients, feature means/scales and the threshold; no pickle.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

# each cue: (name shown to the analyst, regex over the lower-cased raw text)
_CUES: list[tuple[str, str]] = [
    ("call to spread", r"\b(sebar(?:kan|luaskan)|viral(?:kan)|bagikan|share(?:kan)?|teruskan|forward(?:kan)?|"
                       r"kirim(?:kan)? ke (?:semua|grup|keluarga|teman)|broadcast|jangan berhenti di (?:kamu|anda))\b"),
    ("before it is deleted", r"(sebelum (?:di ?hapus|di ?take ?down|dihilangkan|diblokir)|keburu dihapus)"),
    ("urgency", r"\b(segera|darurat|buruan|secepatnya|mendesak|penting!|info a1|breaking news|waspada|awas|"
                r"hati[- ]hati|siaga)\b"),
    ("secrecy / suppressed news", r"(tidak (?:di)?beritakan|media (?:bungkam|diam|tidak)|tak diberitakan|"
                                  r"dirahasiakan|ditutup[- ]tutupi|disembunyikan|rahasia|terbongkar|dibongkar|"
                                  r"terungkap|bocoran|orang dalam)"),
    ("hearsay source", r"(info dari|dari grup sebelah|copas|copy ?paste|katanya|kabarnya|beredar kabar|"
                       r"dapat (?:kiriman|info)|pesan berantai|forwarded)"),
    ("truth insistence", r"(bukan hoax|bukan hoaks|ini nyata|ini fakta|fakta mengejutkan|terbukti|sudah terbukti|"
                         r"100 ?%|dijamin|pasti benar|ini real|real ya)"),
    ("viral / shocking", r"\b(viral|heboh|geger|gempar|menggemparkan|mengejutkan|merinding|ngeri|mengerikan|"
                         r"astaghfirullah|innalillahi)\b"),
    ("prize / scam offer", r"(klik (?:link|tautan|tombol)|link (?:di|pendaftaran)|daftar sekarang|hadiah|undian|"
                           r"gratis|tanpa biaya|cashback|saldo|transfer|hubungi (?:wa|whatsapp|admin|nomor)|"
                           r"wa\.me|bit\.ly|chat admin|isi (?:data|formulir))"),
    ("job / aid bait", r"(lowongan|rekrutmen|recruitment|dibutuhkan karyawan|pendaftaran (?:dibuka|bantuan)|"
                       r"bantuan (?:sosial|langsung|tunai|dana)|pencairan|bansos|subsidi (?:rp|sebesar))"),
    ("conspiracy framing", r"(konspirasi|agenda (?:global|tersembunyi)|elit global|antek|dalang|skenario besar|"
                           r"settingan|rekayasa)"),
]
_CUE_RES = [(n, re.compile(p)) for n, p in _CUES]  # searched in the lower-cased text: 3x faster than re.I


def literal_factors(pattern: str) -> frozenset[str] | None:
    """Strings of which every match of ``pattern`` contains one (None: no such set found), read off the parsed
    regex: a literal run, a group's, an alternation's union, a repeat's (at least once) item. ``str in`` is far
    cheaper than a regex search, and most posts contain none of the cues' literals."""
    from re import _constants as c, _parser as parser

    try:
        tree = parser.parse(pattern)
    except re.error:
        return None
    if tree.state.flags & re.IGNORECASE:
        return None

    def seq(items) -> frozenset[str] | None:
        best, run = None, []
        for op, av in [*items, (None, None)]:
            if op is c.LITERAL:
                run.append(chr(av))
                continue
            found = [frozenset(["".join(run)])] if run else []
            run = []
            if op is c.SUBPATTERN:
                found.append(seq(av[-1]))
            elif op is c.BRANCH:
                alts = [seq(a) for a in av[1]]
                found.append(frozenset().union(*alts) if all(alts) else None)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                found.append(seq(av[2]))
            # anything else (anchors, classes, lookarounds, optional items) has no literal of its own
            for f in found:  # any item's set will do: keep the one with the longest shortest string
                if f and (best is None or min(map(len, f)) > min(map(len, best))):
                    best = f
        return best

    return seq(tree)


def _minimal(strings: set[str]) -> list[str]:
    """The strings that contain none of the others (a text containing a longer one contains the shorter)."""
    return sorted(s for s in strings if not any(o != s and o in s for o in strings))


# per cue, its regex and the literals one of which each of its matches contains (None: search always); _ANY_LITERAL:
# all of them, so a post without any skips the ten searches
_CUE_CHECKS = [(rx, None if f is None else _minimal(f)) for (_, p), (_, rx) in
               zip(_CUES, _CUE_RES) for f in [literal_factors(p)]]
_ANY_LITERAL = None if any(f is None for _, f in _CUE_CHECKS) else _minimal(set().union(*(f for _, f in _CUE_CHECKS)))
_UPPER_WORD = re.compile(r"(?<![A-Za-z])[A-Z]{3,}(?![A-Za-z])")  # the _WORD matches that are all capitals
_SHOUT = re.compile(r"[!?]{2,}")
_ALARM_EMOJI = re.compile("[\U0001F6A8\u26A0\u203C\u2757\u2755\U0001F534\U0001F4E2\U0001F4E3\u2622\u2620]")
_WORD = re.compile(r"[A-Za-z]{3,}")
_URL = re.compile(r"https?://|www\.", re.I)

FEATURES = [n for n, _ in _CUES] + ["all-caps words", "shouting punctuation (!!)", "alarm emoji",
                                     "many lines (chain message)", "link"]


def style_features(texts: list[str]) -> np.ndarray:
    """(n, len(FEATURES)) float32: cue presence (0/1), share of all-caps words, log counts of "!!" / alarm emoji /
    line breaks, link presence. Length itself is left out: hoax archives hold long Facebook posts and the benign
    sets short tweets, so length would learn the source, not the style."""
    rows = []
    none = [0.0] * len(_CUES)
    for raw in texts:
        t = str(raw or "")
        low = t.lower()
        if _ANY_LITERAL is None or any(f in low for f in _ANY_LITERAL):
            row = [1.0 if (fs is None or any(f in low for f in fs)) and rx.search(low) else 0.0
                   for rx, fs in _CUE_CHECKS]
        else:
            row = none[:]
        # the guards below are necessary conditions of each regex (capitals; two ! or ? in a row; non-ASCII;
        # "://" or "www."), checked with str methods first; the all-caps share is 0.0 without all-caps words
        n_upper = len(_UPPER_WORD.findall(t)) if low != t else 0
        n_words = len(_WORD.findall(t)) if n_upper else 0
        shout = len(_SHOUT.findall(t)) if "!!" in t or "??" in t or "!?" in t or "?!" in t else 0
        row += [n_upper / n_words if n_words >= 3 else 0.0, math.log1p(shout),
                math.log1p(len(_ALARM_EMOJI.findall(t)) if not t.isascii() else 0),
                math.log1p(max(0, t.count("\n") - 2)), 1.0 if ("://" in t or "www." in low) and _URL.search(t) else 0.0]
        rows.append(row)
    return np.array(rows, dtype=np.float32).reshape(len(texts), len(FEATURES))


class StyleModel:
    """Logistic regression over ``style_features``; ``threshold`` is the shipped operating point (chosen at
    training time so that at most 3% of ordinary posts are flagged in every topic slice)."""

    NAME = "style_hoax.json"

    def __init__(self, coef: np.ndarray, intercept: float, mean: np.ndarray, scale: np.ndarray, threshold: float,
                 meta: dict | None = None):
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.threshold = float(threshold)
        self.meta = meta or {}

    def proba(self, texts: list[str], features: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """p(hoax style) per text, and the per-feature contributions (n, k) to the logit (``features``: the texts'
        ``style_features`` if already computed)."""
        X = ((style_features(texts) if features is None else features) - self.mean) / self.scale
        contrib = X * self.coef
        z = contrib.sum(axis=1) + self.intercept
        return 1.0 / (1.0 + np.exp(-z)), contrib

    # the per-workspace adaptation's view (classifiers/adapt.py): the binary LR as the two-class softmax head
    # [0, w] over the standardised cue columns, so p("hoax") is exactly ``proba``
    ADAPT_CLASSES = ["not_hoax", "hoax"]

    def adapt_head(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        return (np.vstack([np.zeros_like(self.coef), self.coef]), np.array([0.0, self.intercept]),
                list(self.ADAPT_CLASSES))

    def adapt_matrix(self, texts: list[str]):
        import scipy.sparse as sp

        return sp.csr_matrix((style_features(texts) - self.mean) / self.scale)

    def explain(self, text_features: np.ndarray, contrib: np.ndarray, n: int = 3) -> list[list[str]]:
        """Per post (rows of ``style_features`` and ``proba``'s contributions): the names of the cues present in it
        that raised its score most, at most ``n``."""
        order = np.argsort(-contrib, axis=1, kind="stable")[:, :n]
        return [[FEATURES[j] for j in row if c[j] > 0 and f[j] > 0] for row, c, f in zip(order, contrib, text_features)]

    def save(self, out_dir: Path) -> Path:
        path = Path(out_dir) / self.NAME
        path.write_text(json.dumps({"features": FEATURES, "coef": self.coef.round(6).tolist(),
                                    "intercept": round(self.intercept, 6), "mean": self.mean.round(6).tolist(),
                                    "scale": self.scale.round(6).tolist(), "threshold": self.threshold,
                                    "meta": self.meta}, indent=1, ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, model_dir: Path) -> "StyleModel":
        from .linear import ArtifactError

        path = Path(model_dir) / cls.NAME
        if not path.is_file():
            raise ArtifactError(f"{path} missing; run `narrawatch train`")
        d = json.loads(path.read_text(encoding="utf-8"))
        if d["features"] != FEATURES:
            raise ArtifactError(f"{path} was trained on other style features; run `narrawatch train`")
        return cls(d["coef"], d["intercept"], d["mean"], d["scale"], d["threshold"], d.get("meta"))
