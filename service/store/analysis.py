"""The one text analysis both stores index and query with, so a search finds the same posts on SQLite and
Elasticsearch: the words are computed here, in Python, and each backend only matches the tokens it is given
(SQLite FTS5 columns, Elasticsearch `whitespace`-analysed fields).

words: case-folded, accents removed (é → e), split on anything that is not a letter or digit ("kompas.com" →
kompas, com). stems: each word through Lucene's Indonesian stemmer (Tala's algorithm, as Elasticsearch's
`stemmer: indonesian` filter runs it), plus one rule Lucene lacks: the loan suffix -asi goes too, so "vaksinasi",
"vaksinnya" and "divaksin" all stem to "vaksin". Stop words are kept, so phrases match exactly what was written.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from ipaddress import ip_address
from urllib.parse import urlsplit

_WORD = re.compile(r"[^\W_]{1,255}")  # Elasticsearch's whitespace tokenizer cuts a token at 255 characters too
FIELD_GAP = "_"  # between title and text: a token no query can produce, so a phrase never spans the two

_VOWELS = frozenset("aeiou")
SEARCH_VERSION = 2  # bump when words(), stem() or link_domains() change: both stores re-analyse stored posts


def fold(text: str) -> str:
    """Case-folded, compatibility-normalised, without combining accents."""
    if text.isascii():  # most posts: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return decomposed if decomposed.isascii() else "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Lucene's IndonesianStemmer (stemDerivational=true) step by step, plus the -asi suffix."""
    s = _Stem(word)
    if s.syllables > 2:
        s.particle()
    if s.syllables > 2:
        s.possessive()
    before = s.word
    if s.syllables > 2:
        s.first_order_prefix()
    if s.word != before:  # a first-order prefix went: then a suffix, then (only if one went) a second-order prefix
        before = s.word
        if s.syllables > 2:
            s.suffix()
        if s.word != before and s.syllables > 2:
            s.second_order_prefix()
    else:
        if s.syllables > 2:
            s.second_order_prefix()
        if s.syllables > 2:
            s.suffix()
    return s.word


class _Stem:
    KE, PENG, DI, MENG, TER, BER, PE = 1, 2, 4, 8, 16, 32, 64

    def __init__(self, word: str):
        self.word, self.flags = word, 0
        self.syllables = sum(c in _VOWELS for c in word)

    def _cut_end(self, n: int, syllables: int = 1) -> None:
        self.word, self.syllables = self.word[:-n], self.syllables - syllables

    def _cut_start(self, n: int, flag: int = 0, replace: str = "") -> None:
        self.word = replace + self.word[n:]
        self.flags |= flag
        self.syllables -= 1

    def particle(self) -> None:
        if self.word.endswith(("kah", "lah", "pun")):
            self._cut_end(3)

    def possessive(self) -> None:
        if self.word.endswith(("ku", "mu")):
            self._cut_end(2)
        elif self.word.endswith("nya"):
            self._cut_end(3)

    def first_order_prefix(self) -> None:
        w = self.word
        vowel4 = len(w) > 4 and w[4] in _VOWELS
        if w.startswith("meng"):
            self._cut_start(4, self.MENG)
        elif w.startswith("meny") and vowel4:
            self._cut_start(4, self.MENG, "s")  # menyapu -> sapu
        elif w.startswith(("men", "mem")):
            self._cut_start(3, self.MENG)
        elif w.startswith("me"):
            self._cut_start(2, self.MENG)
        elif w.startswith("peng"):
            self._cut_start(4, self.PENG)
        elif w.startswith("peny") and vowel4:
            self._cut_start(4, self.PENG, "s")
        elif w.startswith("peny"):
            self._cut_start(4, self.PENG)
        elif w.startswith("pen") and len(w) > 3 and w[3] in _VOWELS:
            self._cut_start(3, self.PENG, "t")  # penari -> tari
        elif w.startswith(("pen", "pem")):
            self._cut_start(3, self.PENG)
        elif w.startswith("di"):
            self._cut_start(2, self.DI)
        elif w.startswith("ter"):
            self._cut_start(3, self.TER)
        elif w.startswith("ke"):
            self._cut_start(2, self.KE)

    def second_order_prefix(self) -> None:
        w = self.word
        if w.startswith("ber") or w == "belajar":
            self._cut_start(3, self.BER)
        elif w.startswith("be") and len(w) > 4 and w[2] not in _VOWELS and w[3] == "e" and w[4] == "r":
            self._cut_start(2, self.BER)  # bekerja -> kerja
        elif w.startswith("per") or w == "pelajar":
            self._cut_start(3)
        elif w.startswith("pe"):
            self._cut_start(2, self.PE)

    def suffix(self) -> None:
        w, f = self.word, self.flags
        if w.endswith("kan") and not f & (self.KE | self.PENG | self.PE):
            self._cut_end(3)
        elif w.endswith("an") and not f & (self.DI | self.MENG | self.TER):
            self._cut_end(2)
        elif w.endswith("asi") and self.syllables > 3:  # loanwords: vaksinasi, imunisasi (not in Lucene)
            self._cut_end(3, 2)
        elif w.endswith("i") and not w.endswith("si") and not f & (self.BER | self.KE | self.PENG):
            self._cut_end(1)


def stems(tokens: list[str]) -> list[str]:
    return [stem(t) for t in tokens]


def indexed(title: str | None, text: str) -> tuple[str, str]:
    """(stems, words) of a post as space-separated tokens, title first, FIELD_GAP between title and text."""
    w = (words(title) + [FIELD_GAP] if title else []) + words(text)
    return " ".join(t if t == FIELD_GAP else stem(t) for t in w), " ".join(w)


def link_domains(links: list[str]) -> list[str]:
    """Every domain a `domain:` filter may name for these links: the host without `www.` and each parent domain of
    two labels or more (news.kompas.com -> news.kompas.com, kompas.com). IP hosts are kept whole."""
    found: dict[str, None] = {}
    for link in links:
        try:
            host = (urlsplit(link.strip()).hostname or "").rstrip(".").removeprefix("www.")
        except ValueError:
            continue
        if not host:
            continue
        try:
            ip_address(host)
            found.setdefault(host, None)
            continue
        except ValueError:
            pass
        labels = host.split(".")
        for i in range(max(len(labels) - 1, 1)):
            found.setdefault(".".join(labels[i:]), None)
    return list(found)[:500]
