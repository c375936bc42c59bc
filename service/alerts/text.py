"""Tokenising shared by the Python matcher and the narrative detectors.

It mirrors Elasticsearch's `standard` analyzer (Unicode word boundaries, lowercase, no stemming, no stopwords),
which is the analyzer the percolator index uses, so the Python matcher and the percolator agree.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
_URL = re.compile(r"https?://\S+")

# Short Indonesian + English function-word list for trending/labels (not used by rule matching).
STOPWORDS = frozenset("""
yang dan di ke dari ini itu dengan untuk pada adalah akan atau juga tidak sudah ada dalam oleh karena bisa saja
kita kami mereka dia ia saya anda kamu telah lebih masih jadi agar seperti tersebut para hanya bahwa namun lagi
sebagai tapi tetapi baru harus dapat nya pun mau belum sangat banyak semua satu dua tak tdk yg dgn utk gak nggak
kalau kalo jika maka lalu setelah sebelum hingga sampai antara secara tentang bagi hal hari ini kini
the a an and or of to in on for is are was were be been it this that with as at by from not no but if so we you
they he she i rt amp http https www com co id
""".split())


def tokens(text: str | None) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text or "")]


def content_tokens(text: str | None) -> list[str]:
    """Tokens for statistics: URLs removed, stopwords, digits and 1-2 letter tokens dropped."""
    return [t for t in tokens(_URL.sub(" ", text or "")) if len(t) > 2 and t not in STOPWORDS and not t.isdigit()]


def normalised(text: str | None) -> str:
    """Text with URLs, mentions, case and punctuation removed: identical after this = copy-paste."""
    text = _URL.sub(" ", text or "")
    text = re.sub(r"@\w+", " ", text)
    return " ".join(tokens(text))


def contains_phrase(haystack: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    if n == 0:
        return False
    if n == 1:
        return phrase[0] in haystack
    first = phrase[0]
    return any(haystack[i:i + n] == phrase for i, t in enumerate(haystack) if t == first)
