"""Tokenising shared by the rule matcher (rule phrases and posts alike) and the narrative detectors.

A token is a run of word characters, with inner apostrophes (`don't`); everything else separates tokens, so
`kompas.com` is `kompas` `com` and `#Vaksin` is `vaksin`. No stemming, no stopwords.
"""
from __future__ import annotations

import re
import unicodedata

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
    """Unicode compatibility forms (full-width letters, decomposed accents) and case are folded BEFORE splitting:
    folding can move word boundaries ("İ" becomes "i" + a combining dot), and this way tokens(" ".join(tokens(x)))
    == tokens(x), so a rule phrase stored in its normalised form reloads unchanged."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text or "").casefold()))


def content_tokens(text: str | None) -> list[str]:
    """Tokens for statistics: URLs removed, stopwords, digits and 1-2 letter tokens dropped."""
    return [t for t in tokens(_URL.sub(" ", text or "")) if len(t) > 2 and t not in STOPWORDS and not t.isdigit()]


def normalised(text: str | None) -> str:
    """Text with URLs, mentions, case and punctuation removed: identical after this = copy-paste."""
    text = _URL.sub(" ", text or "")
    text = re.sub(r"@\w+", " ", text)
    return " ".join(tokens(text))
